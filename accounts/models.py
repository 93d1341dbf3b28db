"""AWS accounts and their IAM: users, roles, policies, access keys and STS sessions."""

import secrets
import string

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.regions import DEFAULT_REGIONS
from kmsconsole import sealing

_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_unique_id(prefix: str) -> str:
    """IAM unique ids look like AIDACKCEVSQ6C2EXAMPLE: a 4-letter type prefix and 17 characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_user_unique_id() -> str:
    return new_unique_id("AIDA")


def new_role_unique_id() -> str:
    return new_unique_id("AROA")


def new_group_unique_id() -> str:
    return new_unique_id("AGPA")


def new_policy_unique_id() -> str:
    return new_unique_id("ANPA")


def new_access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return secrets.token_urlsafe(30)[:40]


class Account(models.Model):
    id = models.CharField(primary_key=True, max_length=12)
    alias = models.CharField(max_length=63, unique=True, null=True, blank=True)
    email = models.EmailField(unique=True, null=True, blank=True)
    root_password = models.CharField(max_length=256, blank=True, help_text="Django password hash")
    # None means "every region that is not opt-in", as for a new AWS account.
    enabled_regions = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(id__regex=r"^[0-9]{12}$"), name="account_id_is_12_digits"),
            models.CheckConstraint(
                condition=Q(alias__isnull=True) | Q(alias__regex=r"^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])?$"),
                name="account_alias_format",
            ),
        ]

    def __str__(self):
        return f"{self.id} ({self.alias})" if self.alias else self.id

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:root"

    def region_enabled(self, region: str) -> bool:
        if self.enabled_regions is None:
            return region in DEFAULT_REGIONS
        return region in self.enabled_regions

    def set_root_password(self, raw: str | None):
        self.root_password = make_password(raw) if raw else ""

    def check_root_password(self, raw: str) -> bool:
        return bool(self.root_password) and check_password(raw, self.root_password)


AWS_MANAGED = "aws"  # the account part of an AWS managed policy's ARN: arn:aws:iam::aws:policy/...


class IamPolicy(models.Model):
    """A managed IAM policy: a customer managed policy of one account, or (account NULL) an AWS managed
    policy of the read-only catalogue (iam/catalogue.py), shared by every account.

    Its documents are its versions (PolicyVersion); `default_version` is the one in force."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="managed_policies")
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=21, unique=True, default=new_policy_unique_id)
    description = models.CharField(max_length=1000, blank=True)
    default_version = models.ForeignKey("PolicyVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The number of the next version (v<n>): AWS never reuses a version id, even after deleting the highest.
    next_version_number = models.PositiveIntegerField(default=2)

    class Meta:
        ordering = ["account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="managed_policy_name_unique_per_account"),
            models.UniqueConstraint(fields=["name"], condition=Q(account__isnull=True),
                                    name="aws_managed_policy_name_unique"),
            models.CheckConstraint(condition=Q(name__regex=r"^[\w+=,.@-]{1,128}$"), name="managed_policy_name_format"),
            models.CheckConstraint(condition=Q(path__regex=r"^/([\x21-\x7e]*/)?$"), name="managed_policy_path_format"),
        ]

    def __str__(self):
        return self.arn

    @property
    def aws_managed(self) -> bool:
        return self.account_id is None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id or AWS_MANAGED}:policy{self.path}{self.name}"

    @property
    def document(self) -> str:
        """The default version's document (select_related("default_version") to read it without a query)."""
        return self.default_version.document if self.default_version else ""

    @classmethod
    def create_with_document(cls, *, document: str, version_id: str = "v1", **fields) -> "IamPolicy":
        """A new policy and its first version, the default (callers run this in a transaction)."""
        policy = cls.objects.create(**fields)
        policy.default_version = PolicyVersion.objects.create(policy=policy, version_id=version_id,
                                                              document=document)
        policy.save(update_fields=["default_version"])
        return policy

    def set_document(self, document: str) -> None:
        """Replace the default version's document in place (scenario loading: a file declares one document)."""
        version = self.default_version
        version.document = document
        version.save(update_fields=["document"])
        self.save(update_fields=["updated_at"])


class PolicyVersion(models.Model):
    """One version of a managed policy (v1, v2, ...). At most five per policy; one is the default."""

    policy = models.ForeignKey(IamPolicy, on_delete=models.CASCADE, related_name="versions")
    version_id = models.CharField(max_length=20)
    document = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version_id"], name="policy_version_unique"),
            models.CheckConstraint(condition=Q(version_id__regex=r"^v[1-9][0-9]*$"), name="policy_version_id_format"),
        ]

    def __str__(self):
        return f"{self.policy_id}:{self.version_id}"

    @property
    def is_default(self) -> bool:
        return self.policy.default_version_id == self.pk


class IamGroup(models.Model):
    """An IAM user group: its policies count for every member user."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=21, unique=True, default=new_group_unique_id)
    managed_policies = models.ManyToManyField(IamPolicy, blank=True, related_name="groups")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="group_name_unique_per_account"),
            models.CheckConstraint(condition=Q(name__regex=r"^[\w+=,.@-]{1,128}$"), name="group_name_format"),
            models.CheckConstraint(condition=Q(path__regex=r"^/([\x21-\x7e]*/)?$"), name="group_path_format"),
            models.CheckConstraint(condition=Q(unique_id__regex=r"^AGPA[A-Z0-9]{17}$"), name="group_unique_id_format"),
        ]

    def __str__(self):
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:group{self.path}{self.name}"


class IamUser(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=21, unique=True, default=new_user_unique_id)
    # The login profile: a console password (hash) means the user has one.
    console_password = models.CharField(max_length=256, blank=True, help_text="Django password hash")
    password_reset_required = models.BooleanField(default=False)
    login_profile_created_at = models.DateTimeField(null=True, blank=True)
    password_last_used = models.DateTimeField(null=True, blank=True)
    managed_policies = models.ManyToManyField(IamPolicy, blank=True, related_name="users")
    groups = models.ManyToManyField(IamGroup, blank=True, related_name="members")
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="user_name_unique_per_account"),
            models.CheckConstraint(condition=Q(name__regex=r"^[\w+=,.@-]{1,64}$"), name="user_name_format"),
            models.CheckConstraint(condition=Q(path__regex=r"^/([\x21-\x7e]*/)?$"), name="user_path_format"),
            models.CheckConstraint(condition=Q(unique_id__regex=r"^AIDA[A-Z0-9]{17}$"), name="user_unique_id_format"),
        ]

    def __str__(self):
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:user{self.path}{self.name}"

    @property
    def has_login_profile(self) -> bool:
        return bool(self.console_password)

    def set_console_password(self, raw: str | None):
        self.console_password = make_password(raw) if raw else ""
        if not raw:
            self.login_profile_created_at = None
        elif self.login_profile_created_at is None:
            self.login_profile_created_at = timezone.now()

    def check_console_password(self, raw: str) -> bool:
        return bool(self.console_password) and check_password(raw, self.console_password)

    def record_password_use(self) -> None:
        """Console sign-in: GetUser's PasswordLastUsed. An UPDATE without signals: authorisation never reads it."""
        IamUser.objects.filter(pk=self.pk).update(password_last_used=timezone.now())


class IamRole(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=21, unique=True, default=new_role_unique_id)
    trust_policy = models.TextField()
    description = models.CharField(max_length=1000, blank=True)
    max_session_duration = models.PositiveIntegerField(default=3600)
    managed_policies = models.ManyToManyField(IamPolicy, blank=True, related_name="roles")
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="role_name_unique_per_account"),
            models.CheckConstraint(condition=Q(name__regex=r"^[\w+=,.@-]{1,64}$"), name="role_name_format"),
            models.CheckConstraint(condition=Q(path__regex=r"^/([\x21-\x7e]*/)?$"), name="role_path_format"),
            models.CheckConstraint(condition=Q(unique_id__regex=r"^AROA[A-Z0-9]{17}$"), name="role_unique_id_format"),
            models.CheckConstraint(
                condition=Q(max_session_duration__gte=3600) & Q(max_session_duration__lte=43200),
                name="role_max_session_duration_range",
            ),
        ]

    def __str__(self):
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role{self.path}{self.name}"


class InlinePolicy(models.Model):
    """A policy embedded in exactly one user, role or group."""

    user = models.ForeignKey(IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="inline_policies")
    role = models.ForeignKey(IamRole, null=True, blank=True, on_delete=models.CASCADE, related_name="inline_policies")
    group = models.ForeignKey(IamGroup, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="inline_policies")
    name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(role__isnull=True) & Q(group__isnull=True))
                | (Q(user__isnull=True) & Q(role__isnull=False) & Q(group__isnull=True))
                | (Q(user__isnull=True) & Q(role__isnull=True) & Q(group__isnull=False)),
                name="inline_policy_has_one_owner_of_three",
            ),
            models.UniqueConstraint(fields=["user", "name"], condition=Q(user__isnull=False), name="inline_name_unique_per_user"),
            models.UniqueConstraint(fields=["role", "name"], condition=Q(role__isnull=False), name="inline_name_unique_per_role"),
            models.UniqueConstraint(fields=["group", "name"], condition=Q(group__isnull=False),
                                    name="inline_name_unique_per_group"),
            models.CheckConstraint(condition=Q(name__regex=r"^[\w+=,.@-]{1,128}$"), name="inline_policy_name_format"),
        ]

    def __str__(self):
        return self.name


class RoleSession(models.Model):
    """An STS session of a role (AssumeRole, or "Switch role" in the console)."""

    role = models.ForeignKey(IamRole, on_delete=models.CASCADE, related_name="sessions")
    session_name = models.CharField(max_length=64)
    # The principal that assumed the role, for the audit trail and the console's way back.
    source_arn = models.CharField(max_length=2048)
    session_policy = models.TextField(blank=True)
    # SHA-256 of the session token: the token is a bearer secret and is only ever compared.
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    source_identity = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(session_name__regex=r"^[\w+=,.@-]{2,64}$"), name="session_name_format"),
        ]

    def __str__(self):
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.role.account_id}:assumed-role/{self.role.name}/{self.session_name}"

    @property
    def principal_id(self) -> str:
        return f"{self.role.unique_id}:{self.session_name}"


class AccessKey(models.Model):
    """An access key pair. The secret is sealed under the master key, never hashed: SigV4 needs it."""

    ACTIVE, INACTIVE = "Active", "Inactive"

    access_key_id = models.CharField(primary_key=True, max_length=20)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="access_keys")
    # Exactly one owner kind: an IAM user, a role session (ASIA keys), or neither for the account root.
    user = models.ForeignKey(IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="access_keys")
    session = models.OneToOneField(
        RoleSession, null=True, blank=True, on_delete=models.CASCADE, related_name="access_key"
    )
    secret_sealed = models.BinaryField()
    status = models.CharField(max_length=8, choices=[(ACTIVE, ACTIVE), (INACTIVE, INACTIVE)], default=ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # GetSessionToken keys (ASIA, for a user or the root) carry their own token and expiry; role-session
    # keys take both from their RoleSession.
    session_token_digest = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["access_key_id"]
        constraints = [
            models.CheckConstraint(condition=Q(access_key_id__regex=r"^(AKIA|ASIA)[A-Z0-9]{16}$"), name="access_key_id_format"),
            models.CheckConstraint(
                condition=Q(session__isnull=True) | Q(user__isnull=True), name="access_key_single_owner"
            ),
            # Session keys are ASIA, long-term keys AKIA, as on AWS.
            models.CheckConstraint(
                condition=((Q(session__isnull=False) | Q(expires_at__isnull=False)) & Q(access_key_id__startswith="ASIA"))
                | (Q(session__isnull=True) & Q(expires_at__isnull=True) & Q(access_key_id__startswith="AKIA")),
                name="access_key_prefix_matches_kind",
            ),
        ]

    def __str__(self):
        return self.access_key_id

    @property
    def secret_access_key(self) -> str:
        return sealing.unseal(bytes(self.secret_sealed)).decode()

    @secret_access_key.setter
    def secret_access_key(self, value: str):
        self.secret_sealed = sealing.seal(value.encode())


class StateToken(models.Model):
    """One row whose token changes with every change to what authentication and authorisation read.

    kmsconsole.statecache keeps process-local copies of those rows and trusts them only while this
    token is the one they were read under. A random token, not a counter: a counter restarted by a
    truncated table could repeat a value some process still holds.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.UUIDField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="state_token_single_row")]

    def __str__(self):
        return str(self.token)
