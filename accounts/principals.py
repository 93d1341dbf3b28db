"""The principal behind a call: the account root, an IAM user, or an assumed-role session.

API calls get one from their access key (accounts.authn); console requests get one from the signed-in
session. Either way it is the same object, so the same policy engine decides and the same audit
trail records.
"""

from dataclasses import dataclass, field

from accounts.authz import identity_policies
from accounts.models import Account, IamRole, IamUser, RoleSession
from policies.engine import Caller, NamedPolicy
from policies.grammar import parse_policy_cached

ROOT, IAM_USER, ASSUMED_ROLE = "Root", "IAMUser", "AssumedRole"


@dataclass
class Principal:
    account: Account
    kind: str
    user: IamUser | None = None
    session: RoleSession | None = None
    access_key_id: str = ""
    _identity_policies: list | None = field(default=None, repr=False)

    @classmethod
    def root(cls, account: Account, access_key_id: str = "") -> "Principal":
        return cls(account=account, kind=ROOT, access_key_id=access_key_id)

    @classmethod
    def for_user(cls, user: IamUser, access_key_id: str = "") -> "Principal":
        return cls(account=user.account, kind=IAM_USER, user=user, access_key_id=access_key_id)

    @classmethod
    def for_session(cls, session: RoleSession, access_key_id: str = "") -> "Principal":
        return cls(account=session.role.account, kind=ASSUMED_ROLE, session=session, access_key_id=access_key_id)

    @property
    def account_id(self) -> str:
        return self.account.id

    @property
    def role(self) -> IamRole | None:
        return self.session.role if self.session else None

    @property
    def arn(self) -> str:
        if self.kind == ROOT:
            return self.account.root_arn
        if self.kind == IAM_USER:
            return self.user.arn
        return self.session.arn

    @property
    def principal_id(self) -> str:
        """What CloudTrail calls principalId and STS GetCallerIdentity calls UserId."""
        if self.kind == ROOT:
            return self.account.id
        if self.kind == IAM_USER:
            return self.user.unique_id
        return self.session.principal_id

    @property
    def username(self) -> str | None:
        return self.user.name if self.user else None

    @property
    def display_name(self) -> str:
        if self.kind == ROOT:
            return "root"
        if self.kind == IAM_USER:
            return self.user.name
        return f"{self.session.role.name}/{self.session.session_name}"

    def caller(self) -> Caller:
        tags = {}
        if self.user is not None:
            tags = self.user.tags or {}
        elif self.session is not None:
            tags = self.session.role.tags or {}
        return Caller(
            arn=self.arn,
            account=self.account.id,
            kind=self.kind,
            user_id=self.principal_id,
            username=self.username,
            role_arn=self.role.arn if self.role else None,
            tags=tags,
        )

    def identity_policies(self) -> list[NamedPolicy]:
        """The IAM policies attached to the user or role and its groups (accounts.authz), once per call."""
        if self._identity_policies is None:
            self._identity_policies = identity_policies(self)
        return self._identity_policies

    def session_policy(self):
        if self.session is not None and self.session.session_policy:
            return parse_policy_cached(self.session.session_policy)
        return None

