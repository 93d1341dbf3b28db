"""Scenario files, account part: check, apply and export an account with its IAM (users, groups, roles, customer
managed policies, access keys, login profiles). Keys are delegated to keys/scenario.py; the file as a whole to
kmsconsole/scenario.py.

"Create or update what the file declares": an entity the file names is created or brought in line; one it does
not name is left alone (`--replace` is the way to start over). An optional field left out keeps the current
value of an existing row. Lists that describe one entity (enabled_regions, a principal's managed policy
attachments, a user's groups, tags) are complete when given.

A `managed_policies` list names the account's own customer managed policies by name and AWS managed policies
(the iam app's read-only catalogue: IamPolicy rows without an account) by ARN, as the IAM console shows them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import AccessKey, Account, IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy
from accounts.regions import DEFAULT_REGIONS, is_known_region
from keys import scenario as key_scenario
from kmsconsole.scenario_document import (
    ACCESS_KEY_ID,
    BOOLEAN,
    INTEGER,
    LIST,
    MAPPING,
    POLICY,
    STRING,
    Problems,
    at,
    check_fields,
    check_name,
    check_path,
    check_policy,
    check_string_list,
    check_tags,
    describe,
    policy_for_export,
    policy_text,
    same_policy,
)

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ACCOUNT_ALIAS = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?")
AWS_MANAGED_POLICY_ARN = re.compile(r"arn:aws:iam::aws:policy/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,128}")
# IAM's default quotas: managed policies attached to one user, group or role; groups one user belongs to.
MANAGED_POLICIES_PER_PRINCIPAL = 10
GROUPS_PER_USER = 10

ACCOUNT_FIELDS = {
    "id": STRING,
    "alias": STRING,
    "email": STRING,
    "root_password": STRING,
    "root_access_keys": LIST,
    "enabled_regions": LIST,
    "managed_policies": LIST,
    "users": LIST,
    "groups": LIST,
    "roles": LIST,
    "keys": LIST,
}
MANAGED_POLICY_FIELDS = {"name": STRING, "path": STRING, "description": STRING, "document": POLICY}
USER_FIELDS = {
    "name": STRING,
    "path": STRING,
    "console_password": STRING,
    "password_reset_required": BOOLEAN,
    "access_keys": LIST,
    "inline_policies": MAPPING,
    "managed_policies": LIST,
    "groups": LIST,
    "tags": MAPPING,
}
GROUP_FIELDS = {"name": STRING, "path": STRING, "inline_policies": MAPPING, "managed_policies": LIST}
ROLE_FIELDS = {
    "name": STRING,
    "path": STRING,
    "description": STRING,
    "max_session_duration": INTEGER,
    "trust_policy": POLICY,
    "inline_policies": MAPPING,
    "managed_policies": LIST,
    "tags": MAPPING,
}
ACCESS_KEY_FIELDS = {"access_key_id": STRING, "secret_access_key": STRING, "status": STRING}


# ----------------------------------------------------------------------------------------------------------
# Checks that need only the file
# ----------------------------------------------------------------------------------------------------------


def check_account(entry, path: str, problems: Problems) -> None:
    fields = check_fields(entry, path, ACCOUNT_FIELDS, ("id",), problems)
    account_id = fields.get("id")
    if account_id is not None:
        if ACCOUNT_ID.fullmatch(account_id):
            problems.unique("account id", account_id, at(path, "id"))
        else:
            problems.add(at(path, "id"), f"{account_id!r} is not an account id (12 digits, quoted)")
    if "alias" in fields:
        alias = fields["alias"]
        if ACCOUNT_ALIAS.fullmatch(alias):
            problems.unique("account alias", alias, at(path, "alias"))
        else:
            problems.add(at(path, "alias"), f"{alias!r} is not an account alias (3 to 63 lower-case letters, digits or -)")
    if "email" in fields:
        try:
            validate_email(fields["email"])
            problems.unique("email", fields["email"].lower(), at(path, "email"))
        except ValidationError:
            problems.add(at(path, "email"), f"{fields['email']!r} is not an email address")
    if fields.get("root_password") == "":
        problems.add(at(path, "root_password"), "empty password (leave the field out for no root password)")
    for index, key in enumerate(fields.get("root_access_keys", [])):
        check_access_key(key, at(at(path, "root_access_keys"), index), problems)
    enabled_regions = _check_enabled_regions(fields, path, problems)
    for index, policy in enumerate(fields.get("managed_policies", [])):
        _check_managed_policy(policy, at(at(path, "managed_policies"), index), account_id, problems)
    for index, user in enumerate(fields.get("users", [])):
        _check_user(user, at(at(path, "users"), index), account_id, problems)
    for index, group in enumerate(fields.get("groups", [])):
        _check_group(group, at(at(path, "groups"), index), account_id, problems)
    for index, role in enumerate(fields.get("roles", [])):
        _check_role(role, at(at(path, "roles"), index), account_id, problems)

    def region_enabled(region: str) -> bool:
        return region in (DEFAULT_REGIONS if enabled_regions is None else enabled_regions)

    for index, key in enumerate(fields.get("keys", [])):
        key_scenario.check_key(key, at(at(path, "keys"), index), account_id, region_enabled, problems)


def _check_enabled_regions(fields: dict, path: str, problems: Problems) -> set[str] | None:
    if "enabled_regions" not in fields:
        return None
    regions_path = at(path, "enabled_regions")
    regions = check_string_list(fields["enabled_regions"], regions_path, problems)
    for index, region in enumerate(regions):
        if not is_known_region(region):
            problems.add(at(regions_path, index), f"unknown region {region!r} (expected a region code such as us-west-2)")
    _report_repeats(regions, regions_path, "region", problems)
    return set(regions)


def _report_repeats(values: list[str], path: str, what: str, problems: Problems) -> None:
    for value in sorted({v for v in values if values.count(v) > 1}):
        problems.add(path, f"{what} {value!r} is listed more than once")


def check_access_key(entry, path: str, problems: Problems) -> None:
    fields = check_fields(entry, path, ACCESS_KEY_FIELDS, ("access_key_id",), problems)
    key_id = fields.get("access_key_id")
    if key_id is not None:
        if ACCESS_KEY_ID.fullmatch(key_id):
            problems.unique("access key id", key_id, at(path, "access_key_id"))
        else:
            problems.add(
                at(path, "access_key_id"),
                f"{key_id!r} is not an access key id (AKIA followed by 16 upper-case letters or digits)",
            )
    if fields.get("secret_access_key") == "":
        problems.add(at(path, "secret_access_key"), "empty secret (leave the field out to keep an existing secret)")
    if fields.get("status", AccessKey.ACTIVE) not in (AccessKey.ACTIVE, AccessKey.INACTIVE):
        problems.add(at(path, "status"), f"{fields['status']!r} is not a status (Active or Inactive)")


def _check_managed_policy(entry, path: str, account_id, problems: Problems) -> None:
    fields = check_fields(entry, path, MANAGED_POLICY_FIELDS, ("name", "document"), problems)
    if "name" in fields and check_name(fields["name"], at(path, "name"), "policy name", problems):
        problems.unique("managed policy name", fields["name"].lower(), at(path, "name"), scope=account_id)
    if "path" in fields:
        check_path(fields["path"], at(path, "path"), problems)
    if "document" in fields:
        check_policy(fields["document"], at(path, "document"), "IDENTITY_POLICY", problems)


def _check_principal_common(fields: dict, path: str, account_id, what: str, problems: Problems,
                            max_name_length: int = 64) -> None:
    if "name" in fields and check_name(fields["name"], at(path, "name"), f"{what} name", problems,
                                       max_length=max_name_length):
        # IAM names are unique regardless of case.
        problems.unique(f"{what} name", fields["name"].lower(), at(path, "name"), scope=account_id)
    if "path" in fields:
        check_path(fields["path"], at(path, "path"), problems)
    inline_path = at(path, "inline_policies")
    for name, document in fields.get("inline_policies", {}).items():
        if not isinstance(name, str):
            problems.add(inline_path, f"policy name {describe(name)} is not a string")
            continue
        if check_name(name, at(inline_path, name), "policy name", problems) and not isinstance(document, (dict, str)):
            problems.add(at(inline_path, name), f"expected a policy document, got {describe(document)}")
        elif isinstance(document, (dict, str)):
            check_policy(document, at(inline_path, name), "IDENTITY_POLICY", problems)
    _check_managed_policy_references(fields.get("managed_policies", []), at(path, "managed_policies"), what, problems)
    if "tags" in fields:
        check_tags(fields["tags"], at(path, "tags"), problems)


def _check_managed_policy_references(values: list, path: str, what: str, problems: Problems) -> None:
    references = check_string_list(values, path, problems)
    for index, reference in enumerate(references):
        if not reference.startswith("arn:"):
            check_name(reference, at(path, index), "managed policy name", problems)
        elif not AWS_MANAGED_POLICY_ARN.fullmatch(reference):
            problems.add(
                at(path, index),
                f"{reference!r} is not an AWS managed policy ARN (arn:aws:iam::aws:policy/<name>); "
                "name a policy of this account by its name",
            )
    _report_repeats(references, path, "managed policy", problems)
    if len(references) > MANAGED_POLICIES_PER_PRINCIPAL:
        problems.add(path, f"{len(references)} managed policies: IAM attaches at most "
                           f"{MANAGED_POLICIES_PER_PRINCIPAL} to one {what}")


def _check_user(entry, path: str, account_id, problems: Problems) -> None:
    fields = check_fields(entry, path, USER_FIELDS, ("name",), problems)
    _check_principal_common(fields, path, account_id, "user", problems)
    if fields.get("console_password") == "":
        problems.add(at(path, "console_password"), "empty password (leave the field out for no console password)")
    for index, key in enumerate(fields.get("access_keys", [])):
        check_access_key(key, at(at(path, "access_keys"), index), problems)
    groups_path = at(path, "groups")
    groups = check_string_list(fields.get("groups", []), groups_path, problems)
    for index, name in enumerate(groups):
        check_name(name, at(groups_path, index), "group name", problems)
    _report_repeats(groups, groups_path, "group", problems)
    if len(groups) > GROUPS_PER_USER:
        problems.add(groups_path, f"{len(groups)} groups: an IAM user belongs to at most {GROUPS_PER_USER}")


def _check_group(entry, path: str, account_id, problems: Problems) -> None:
    fields = check_fields(entry, path, GROUP_FIELDS, ("name",), problems)
    _check_principal_common(fields, path, account_id, "group", problems, max_name_length=128)


def _check_role(entry, path: str, account_id, problems: Problems) -> None:
    fields = check_fields(entry, path, ROLE_FIELDS, ("name", "trust_policy"), problems)
    _check_principal_common(fields, path, account_id, "role", problems)
    if "trust_policy" in fields:
        check_policy(fields["trust_policy"], at(path, "trust_policy"), "TRUST_POLICY", problems)
    duration = fields.get("max_session_duration")
    if duration is not None and not 3600 <= duration <= 43200:
        problems.add(at(path, "max_session_duration"), f"{duration} is not between 3600 and 43200 seconds")


# ----------------------------------------------------------------------------------------------------------
# Applying (inside the loader's transaction; problems that need the database raise through `loading.fail`)
# ----------------------------------------------------------------------------------------------------------


def _update(obj, loading, changed_already=(), **values) -> None:
    """Save `obj` only when a value really differs, so that reloading the same file writes nothing.

    `changed_already` names fields the caller has set itself (a new password hash, a new sealed secret)."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    changed += list(changed_already)
    if changed:
        obj.save(update_fields=changed)
        loading.count_updated(obj)


def apply_account(entry: dict, path: str, loading) -> Account:
    account_id = entry["id"]
    for field in ("alias", "email"):
        if field in entry:
            taken = Account.objects.filter(**{f"{field}__iexact": entry[field]}).exclude(id=account_id).first()
            if taken:
                loading.fail(at(path, field), f"{entry[field]!r} is already the {field} of account {taken.id}")
    account = Account.objects.filter(id=account_id).first()
    if account is None:
        account = Account(id=account_id)
        account.save(force_insert=True)
        loading.count_created(account)
    values = {"enabled_regions": entry.get("enabled_regions")}
    for field in ("alias", "email"):
        if field in entry:
            values[field] = entry[field]
    _update(account, loading, changed_already=_set_password(account, entry.get("root_password")), **values)

    _apply_access_keys(entry.get("root_access_keys", []), at(path, "root_access_keys"), account, None, loading)
    customer_managed = _apply_managed_policies(entry.get("managed_policies", []), path, account, loading)
    policies = _AttachablePolicies(account, customer_managed)
    # Groups before users: a user's `groups` may name a group this file creates.
    for index, group in enumerate(entry.get("groups", [])):
        _apply_group(group, at(at(path, "groups"), index), account, policies, loading)
    groups = _GroupsOf(account)
    for index, user in enumerate(entry.get("users", [])):
        _apply_user(user, at(at(path, "users"), index), account, policies, groups, loading)
    for index, role in enumerate(entry.get("roles", [])):
        _apply_role(role, at(at(path, "roles"), index), account, policies, loading)
    for index, key in enumerate(entry.get("keys", [])):
        key_scenario.apply_key(key, at(at(path, "keys"), index), account, index, loading)
    return account


def _set_password(principal, raw: str | None) -> list[str]:
    """Hash a declared password unless the stored hash already matches it (a fresh salt would be a change)."""
    if isinstance(principal, Account):
        if raw and not principal.check_root_password(raw):
            principal.set_root_password(raw)
            return ["root_password"]
    elif raw and not principal.check_console_password(raw):
        # A first password creates the login profile, which stamps its creation time.
        had_login_profile = principal.login_profile_created_at is not None
        principal.set_console_password(raw)
        return ["console_password"] if had_login_profile else ["console_password", "login_profile_created_at"]
    return []


def _apply_managed_policies(entries: list, path: str, account: Account, loading) -> dict[str, IamPolicy]:
    existing = {policy.name: policy for policy in account.managed_policies.select_related("default_version")}
    for index, entry in enumerate(entries):
        policy = existing.get(entry["name"])
        if policy is None:
            policy = IamPolicy.create_with_document(
                account=account,
                name=entry["name"],
                path=entry.get("path", "/"),
                description=entry.get("description", ""),
                document=policy_text(entry["document"]),
            )
            loading.count_created(policy)
            existing[policy.name] = policy
            continue
        values = {name: entry[name] for name in ("path", "description") if name in entry}
        if not same_policy(policy.document, entry["document"]):
            policy.set_document(policy_text(entry["document"]))
            loading.count_updated(policy)
        _update(policy, loading, **values)
    return existing


class _AttachablePolicies:
    """What a `managed_policies` list may name: the account's customer managed policies by name, AWS managed
    ones by ARN (read from the catalogue's rows only when a file names one)."""

    def __init__(self, account: Account, customer_managed: dict[str, IamPolicy]):
        self.account = account
        self.customer_managed = customer_managed
        self._aws_managed: dict[str, IamPolicy] | None = None

    def find(self, reference: str, path: str, loading) -> IamPolicy:
        if not reference.startswith("arn:"):
            if reference not in self.customer_managed:
                loading.fail(path, f"no customer managed policy named {reference!r} in account {self.account.id}")
            return self.customer_managed[reference]
        if self._aws_managed is None:
            self._aws_managed = {policy.arn: policy for policy in IamPolicy.objects.filter(account__isnull=True)}
        if reference not in self._aws_managed:
            loading.fail(path, f"no AWS managed policy {reference} in the catalogue of AWS managed policies")
        return self._aws_managed[reference]


class _GroupsOf:
    """The account's groups by name, read once when the first user names a group."""

    def __init__(self, account: Account):
        self.account = account
        self._by_name: dict[str, IamGroup] | None = None

    def find(self, name: str, path: str, loading) -> IamGroup:
        if self._by_name is None:
            self._by_name = {group.name: group for group in self.account.groups.all()}
        if name not in self._by_name:
            loading.fail(path, f"no group named {name!r} in account {self.account.id}")
        return self._by_name[name]


def _apply_group(entry: dict, path: str, account: Account, policies: _AttachablePolicies, loading) -> None:
    group = IamGroup.objects.filter(account=account, name=entry["name"]).first()
    if group is None:
        group = IamGroup.objects.create(account=account, name=entry["name"], path=entry.get("path", "/"))
        loading.count_created(group)
    elif "path" in entry:
        _update(group, loading, path=entry["path"])
    _apply_inline_policies(entry.get("inline_policies", {}), group.inline_policies, {"group": group}, loading)
    _attach_managed_policies(entry, path, group, policies, loading)


def _apply_user(entry: dict, path: str, account: Account, policies: _AttachablePolicies, groups: _GroupsOf,
                loading) -> None:
    user = IamUser.objects.filter(account=account, name=entry["name"]).first()
    if user is None:
        user = IamUser.objects.create(account=account, name=entry["name"], path=entry.get("path", "/"))
        loading.count_created(user)
    values = {name: entry[name] for name in ("path", "password_reset_required") if name in entry}
    if "tags" in entry:
        values["tags"] = dict(entry["tags"])
    _update(user, loading, changed_already=_set_password(user, entry.get("console_password")), **values)
    _apply_inline_policies(entry.get("inline_policies", {}), user.inline_policies, {"user": user}, loading)
    _attach_managed_policies(entry, path, user, policies, loading)
    _set_groups(entry, path, user, groups, loading)
    _apply_access_keys(entry.get("access_keys", []), at(path, "access_keys"), account, user, loading)


def _set_groups(entry: dict, path: str, user: IamUser, groups: _GroupsOf, loading) -> None:
    if "groups" not in entry:
        return
    wanted = [groups.find(name, at(at(path, "groups"), index), loading) for index, name in enumerate(entry["groups"])]
    if {g.pk for g in user.groups.all()} != {g.pk for g in wanted}:
        user.groups.set(wanted)
        loading.count_updated(user)


def _apply_role(entry: dict, path: str, account: Account, policies: _AttachablePolicies, loading) -> None:
    role = IamRole.objects.filter(account=account, name=entry["name"]).first()
    if role is None:
        role = IamRole.objects.create(
            account=account,
            name=entry["name"],
            path=entry.get("path", "/"),
            description=entry.get("description", ""),
            max_session_duration=entry.get("max_session_duration", 3600),
            trust_policy=policy_text(entry["trust_policy"]),
            tags=dict(entry.get("tags", {})),
        )
        loading.count_created(role)
    else:
        values = {name: entry[name] for name in ("path", "description", "max_session_duration") if name in entry}
        if "tags" in entry:
            values["tags"] = dict(entry["tags"])
        if not same_policy(role.trust_policy, entry["trust_policy"]):
            values["trust_policy"] = policy_text(entry["trust_policy"])
        _update(role, loading, **values)
    _apply_inline_policies(entry.get("inline_policies", {}), role.inline_policies, {"role": role}, loading)
    _attach_managed_policies(entry, path, role, policies, loading)


def _apply_inline_policies(declared: dict, manager, owner: dict, loading) -> None:
    existing = {policy.name: policy for policy in manager.all()}
    for name, document in declared.items():
        policy = existing.get(name)
        if policy is None:
            loading.count_created(InlinePolicy.objects.create(name=name, document=policy_text(document), **owner))
        elif not same_policy(policy.document, document):
            _update(policy, loading, document=policy_text(document))


def _attach_managed_policies(entry: dict, path: str, principal, policies: _AttachablePolicies, loading) -> None:
    if "managed_policies" not in entry:
        return
    wanted = [
        policies.find(reference, at(at(path, "managed_policies"), index), loading)
        for index, reference in enumerate(entry["managed_policies"])
    ]
    if {p.pk for p in principal.managed_policies.all()} != {p.pk for p in wanted}:
        principal.managed_policies.set(wanted)
        loading.count_updated(principal)


def _owner_arn(key: AccessKey) -> str:
    if key.session_id:
        return key.session.arn
    if key.user_id:
        return key.user.arn
    return f"arn:aws:iam::{key.account_id}:root"


def _apply_access_keys(entries: list, path: str, account: Account, user: IamUser | None, loading) -> None:
    for index, entry in enumerate(entries):
        entry_path = at(path, index)
        key_id = entry["access_key_id"]
        secret = entry.get("secret_access_key")
        key = AccessKey.objects.select_related("user", "session__role").filter(pk=key_id).first()
        if key is None:
            if secret is None:
                loading.fail(
                    at(entry_path, "secret_access_key"),
                    f"access key {key_id} does not exist yet, so it needs its secret_access_key "
                    "(an export without --include-secrets lists only the ids of existing keys)",
                )
            key = AccessKey(access_key_id=key_id, account=account, user=user, status=entry.get("status", AccessKey.ACTIVE))
            key.secret_access_key = secret
            key.save(force_insert=True)
            loading.count_created(key)
            continue
        if key.account_id != account.id or key.user_id != (user.pk if user else None) or key.session_id:
            loading.fail(at(entry_path, "access_key_id"), f"{key_id!r} already belongs to {_owner_arn(key)}")
        values = {"status": entry["status"]} if "status" in entry else {}
        changed_already = []
        if secret is not None and not _has_secret(key, secret):
            key.secret_access_key = secret
            changed_already.append("secret_sealed")
        _update(key, loading, changed_already=changed_already, **values)


def _has_secret(key: AccessKey, secret: str) -> bool:
    try:
        return key.secret_access_key == secret
    except Exception:  # sealed under a retired master key: seal it again under the current one
        return False


# ----------------------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------------------


def accounts_for_export(account_ids: list[str] | None):
    accounts = Account.objects.order_by("id").prefetch_related(
        "access_keys",
        "managed_policies__default_version",
        "users__access_keys",
        "users__inline_policies",
        "users__managed_policies",
        "users__groups",
        "groups__inline_policies",
        "groups__managed_policies",
        "roles__inline_policies",
        "roles__managed_policies",
    )
    if account_ids:
        accounts = accounts.filter(id__in=account_ids)
    return accounts


def export_account(account: Account, include_secrets: bool) -> dict:
    """The account as a scenario entry. Passwords are never exported: only their hashes are stored."""
    out: dict = {"id": account.id}
    if account.alias:
        out["alias"] = account.alias
    if account.email:
        out["email"] = account.email
    root_keys = [key for key in account.access_keys.all() if key.user_id is None and key.session_id is None]
    if root_keys:
        out["root_access_keys"] = _export_access_keys(root_keys, include_secrets)
    if account.enabled_regions is not None:
        out["enabled_regions"] = list(account.enabled_regions)
    policies = sorted(account.managed_policies.all(), key=lambda p: p.name)
    if policies:
        out["managed_policies"] = [_export_managed_policy(policy) for policy in policies]
    users = sorted(account.users.all(), key=lambda u: u.name)
    if users:
        out["users"] = [_export_user(user, include_secrets) for user in users]
    groups = sorted(account.groups.all(), key=lambda g: g.name)
    if groups:
        out["groups"] = [_export_group(group) for group in groups]
    roles = sorted(account.roles.all(), key=lambda r: r.name)
    if roles:
        out["roles"] = [_export_role(role) for role in roles]
    keys = key_scenario.export_keys(account)
    if keys:
        out["keys"] = keys
    return out


def _export_access_keys(keys, include_secrets: bool) -> list[dict]:
    exported = []
    for key in sorted(keys, key=lambda k: k.access_key_id):
        item = {"access_key_id": key.access_key_id}
        if include_secrets:
            item["secret_access_key"] = key.secret_access_key
        if key.status != AccessKey.ACTIVE:
            item["status"] = key.status
        exported.append(item)
    return exported


def _export_managed_policy(policy: IamPolicy) -> dict:
    out = {"name": policy.name}
    if policy.path != "/":
        out["path"] = policy.path
    if policy.description:
        out["description"] = policy.description
    out["document"] = policy_for_export(policy.document)
    return out


def _export_policies(principal, out: dict) -> None:
    inline = sorted(principal.inline_policies.all(), key=lambda p: p.name)
    if inline:
        out["inline_policies"] = {policy.name: policy_for_export(policy.document) for policy in inline}
    # Customer managed policies by name, AWS managed ones by ARN: the way a file names them.
    managed = sorted(policy.arn if policy.aws_managed else policy.name for policy in principal.managed_policies.all())
    if managed:
        out["managed_policies"] = managed


def _export_tags(principal, out: dict) -> None:
    if principal.tags:
        out["tags"] = dict(sorted(principal.tags.items()))


def _export_user(user: IamUser, include_secrets: bool) -> dict:
    out: dict = {"name": user.name}
    if user.path != "/":
        out["path"] = user.path
    # The password itself is never exported, so this flag may come back without one: it is kept as it is.
    if user.password_reset_required:
        out["password_reset_required"] = True
    keys = [key for key in user.access_keys.all() if key.session_id is None]
    if keys:
        out["access_keys"] = _export_access_keys(keys, include_secrets)
    _export_policies(user, out)
    groups = sorted(group.name for group in user.groups.all())
    if groups:
        out["groups"] = groups
    _export_tags(user, out)
    return out


def _export_group(group: IamGroup) -> dict:
    out: dict = {"name": group.name}
    if group.path != "/":
        out["path"] = group.path
    _export_policies(group, out)
    return out


def _export_role(role: IamRole) -> dict:
    out: dict = {"name": role.name}
    if role.path != "/":
        out["path"] = role.path
    if role.description:
        out["description"] = role.description
    if role.max_session_duration != 3600:
        out["max_session_duration"] = role.max_session_duration
    out["trust_policy"] = policy_for_export(role.trust_policy)
    _export_policies(role, out)
    _export_tags(role, out)
    return out

