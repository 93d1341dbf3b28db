"""Creating many seats' accounts at once: the rows of every seat's scenario document in one INSERT per table.

The scenario loader (accounts/scenario.py) creates a document row by row, reading before each write so that
loading a file twice changes nothing; for a class of 200 seats that is some 8,000 round trips to the
database. A new class's accounts do not exist yet, so nothing needs reading: this module writes the same rows
with bulk INSERTs. It covers what lab templates use (see `supports`); a template using anything else is
loaded seat by seat by the loader instead. tests/labs/test_bulk.py checks that both give the same accounts.

The documents have been checked as scenarios when the lab file was read (labs/format.py).
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import AccessKey, Account, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyVersion
from keys import crypto, store
from keys.models import Alias, Key, KeyMaterial, KeyPolicyVersion, key_arn
from kmsconsole.scenario_document import policy_text
from labs.hashers import GeneratedPasswordHasher

_ACCOUNT_FIELDS = {"id", "enabled_regions", "managed_policies", "users", "roles", "keys"}
_POLICY_FIELDS = {"name", "path", "description", "document"}
_USER_FIELDS = {"name", "path", "inline_policies", "managed_policies", "access_keys"}
_ROLE_FIELDS = {"name", "path", "description", "max_session_duration", "trust_policy", "inline_policies",
                "managed_policies"}
_KEY_FIELDS = {"id", "region", "key_spec", "key_usage", "description", "enabled", "aliases", "policy"}


def supports(template: dict) -> bool:
    """Whether a scenario template uses only what this module creates (else: the loader, seat by seat)."""
    for account in template.get("accounts", []):
        if set(account) - _ACCOUNT_FIELDS:
            return False
        parts = [(account.get("managed_policies", []), _POLICY_FIELDS), (account.get("users", []), _USER_FIELDS),
                 (account.get("roles", []), _ROLE_FIELDS), (account.get("keys", []), _KEY_FIELDS)]
        if any(set(entry) - allowed for entries, allowed in parts for entry in entries):
            return False
        principals = account.get("users", []) + account.get("roles", [])
        if any(str(name).startswith("arn:") for p in principals for name in p.get("managed_policies", [])):
            return False  # AWS managed policies: the loader finds them in the catalogue
        if any(str(key.get("id", "")).startswith("mrk-") or "id" not in key for key in account.get("keys", [])):
            return False
    return True


class _Rows:
    """The rows of many documents, gathered before each table's one INSERT."""

    def __init__(self):
        self.now = timezone.now()
        self.accounts: list[Account] = []
        self.policies: list[tuple[IamPolicy, str]] = []
        self.users: list[tuple[IamUser, dict]] = []
        self.roles: list[tuple[IamRole, dict]] = []
        self.keys: list[tuple[Key, dict, str]] = []

    def add_document(self, document: dict, passwords: dict[tuple[str, str], str], changed_by: str) -> None:
        for entry in document["accounts"]:
            account_id = entry["id"]
            self.accounts.append(Account(id=account_id, enabled_regions=entry.get("enabled_regions")))
            for policy in entry.get("managed_policies", []):
                self.policies.append((IamPolicy(account_id=account_id, name=policy["name"],
                                                path=policy.get("path", "/"),
                                                description=policy.get("description", "")),
                                      policy_text(policy["document"])))
            for user in entry.get("users", []):
                password = passwords.get((account_id, user["name"]))
                self.users.append((IamUser(
                    account_id=account_id, name=user["name"], path=user.get("path", "/"),
                    console_password=make_password(password, hasher=GeneratedPasswordHasher.algorithm)
                    if password else "",
                    login_profile_created_at=self.now if password else None), user))
            for role in entry.get("roles", []):
                self.roles.append((IamRole(
                    account_id=account_id, name=role["name"], path=role.get("path", "/"),
                    description=role.get("description", ""),
                    max_session_duration=role.get("max_session_duration", 3600),
                    trust_policy=policy_text(role["trust_policy"]), tags={}), role))
            for key in entry.get("keys", []):
                self.keys.append((self._key(account_id, key), key, changed_by))

    def _key(self, account_id: str, entry: dict) -> Key:
        key_spec = entry.get("key_spec", "SYMMETRIC_DEFAULT")
        policy = entry.get("policy")
        return Key(
            account_id=account_id, region=entry["region"], key_id=entry["id"],
            arn=key_arn(entry["region"], account_id, entry["id"]), key_spec=key_spec,
            key_usage=crypto.resolve_key_usage(key_spec, entry.get("key_usage")),
            description=entry.get("description", ""), state="Enabled" if entry.get("enabled", True) else "Disabled",
            origin="AWS_KMS", created_at=self.now,
            # As keys/scenario.py writes them: YAML policies in the layout KMS uses for the policies it writes.
            policy=(policy if isinstance(policy, str) else store.aws_policy_text(policy)) if policy is not None
            else store.default_key_policy(account_id))

    def insert(self) -> None:
        Account.objects.bulk_create(self.accounts)
        policies = IamPolicy.objects.bulk_create([policy for policy, _ in self.policies])
        versions = PolicyVersion.objects.bulk_create(
            [PolicyVersion(policy=policy, version_id="v1", document=text)
             for policy, (_, text) in zip(policies, self.policies)])
        for policy, version in zip(policies, versions):
            policy.default_version = version
        IamPolicy.objects.bulk_update(policies, ["default_version"])
        by_name = {(policy.account_id, policy.name): policy for policy in policies}

        users = IamUser.objects.bulk_create([user for user, _ in self.users])
        roles = IamRole.objects.bulk_create([role for role, _ in self.roles])
        inline, user_links, role_links, access_keys = [], [], [], []
        for user, (_, entry) in zip(users, self.users):
            inline += [InlinePolicy(user=user, name=name, document=policy_text(document))
                       for name, document in entry.get("inline_policies", {}).items()]
            user_links += [IamUser.managed_policies.through(iamuser_id=user.pk,
                                                            iampolicy_id=by_name[(user.account_id, name)].pk)
                           for name in entry.get("managed_policies", [])]
            for key in entry.get("access_keys", []):
                access_key = AccessKey(access_key_id=key["access_key_id"], account_id=user.account_id, user=user,
                                       status=key.get("status", AccessKey.ACTIVE))
                access_key.secret_access_key = key["secret_access_key"]
                access_keys.append(access_key)
        for role, (_, entry) in zip(roles, self.roles):
            inline += [InlinePolicy(role=role, name=name, document=policy_text(document))
                       for name, document in entry.get("inline_policies", {}).items()]
            role_links += [IamRole.managed_policies.through(iamrole_id=role.pk,
                                                            iampolicy_id=by_name[(role.account_id, name)].pk)
                           for name in entry.get("managed_policies", [])]
        InlinePolicy.objects.bulk_create(inline)
        IamUser.managed_policies.through.objects.bulk_create(user_links)
        IamRole.managed_policies.through.objects.bulk_create(role_links)
        AccessKey.objects.bulk_create(access_keys)
        self._insert_keys()

    def _insert_keys(self) -> None:
        keys = Key.objects.bulk_create([key for key, _, _ in self.keys])
        materials, versions, aliases = [], [], []
        for key, (_, entry, changed_by) in zip(keys, self.keys):
            material = KeyMaterial(key=key, version=1, material_id=crypto.new_material_id(), rotation_type="",
                                   created_at=self.now)
            material.material = crypto.generate_key_material(key.key_spec)
            materials.append(material)
            versions.append(KeyPolicyVersion(key=key, version=1, document=key.policy, changed_by=changed_by,
                                             changed_at=self.now))
            aliases += [Alias(account_id=key.account_id, region=key.region, name=name, key=key,
                              created_at=self.now, updated_at=self.now) for name in entry.get("aliases", [])]
        KeyMaterial.objects.bulk_create(materials)
        KeyPolicyVersion.objects.bulk_create(versions)
        Alias.objects.bulk_create(aliases)


def create_accounts(documents: list[tuple[dict, dict, str]]) -> None:
    """Create every document's accounts, in the caller's transaction (which moves the state token: bulk
    INSERTs send no signals). Each item: (scenario document, {(account id, user name): console password},
    what the key policy versions name as their author, as the loader's "scenario:<source>")."""
    rows = _Rows()
    for document, passwords, changed_by in documents:
        rows.add_document(document, passwords, changed_by)
    rows.insert()
