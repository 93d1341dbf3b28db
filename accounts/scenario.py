"""Scenario files, account part: check, apply and export an account with its IAM (users, roles, customer managed
policies, access keys). Keys are delegated to keys/scenario.py; the file as a whole to kmsconsole/scenario.py.

"Create or update what the file declares": an entity the file names is created or brought in line; one it does
not name is left alone (`--replace` is the way to start over). An optional field left out keeps the current
value of an existing row. Lists that describe one entity (enabled_regions, a principal's managed policy
attachments, tags) are complete when given.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import AccessKey, Account, IamPolicy, IamRole, IamUser, InlinePolicy
from accounts.regions import DEFAULT_REGIONS, is_known_region
from keys import scenario as key_scenario
from kmsconsole.scenario_document import (
    ACCESS_KEY_ID,
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

ACCOUNT_FIELDS = {
    "id": STRING,
    "alias": STRING,
    "email": STRING,
    "root_password": STRING,
    "root_access_keys": LIST,
    "enabled_regions": LIST,
    "managed_policies": LIST,
    "users": LIST,
    "roles": LIST,
    "keys": LIST,
}
MANAGED_POLICY_FIELDS = {"name": STRING, "path": STRING, "description": STRING, "document": POLICY}
USER_FIELDS = {
    "name": STRING,
    "path": STRING,
    "console_password": STRING,
    "access_keys": LIST,
    "inline_policies": MAPPING,
    "managed_policies": LIST,
    "tags": MAPPING,
}
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
    for region in {r for r in regions if regions.count(r) > 1}:
        problems.add(regions_path, f"region {region!r} is listed more than once")
    return set(regions)


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


def _check_principal_common(fields: dict, path: str, account_id, what: str, problems: Problems) -> None:
    if "name" in fields and check_name(fields["name"], at(path, "name"), f"{what} name", problems, max_length=64):
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
    managed_path = at(path, "managed_policies")
    for index, name in enumerate(check_string_list(fields.get("managed_policies", []), managed_path, problems)):
        check_name(name, at(managed_path, index), "managed policy name", problems)
    if "tags" in fields:
        check_tags(fields["tags"], at(path, "tags"), problems)


def _check_user(entry, path: str, account_id, problems: Problems) -> None:
    fields = check_fields(entry, path, USER_FIELDS, ("name",), problems)
    _check_principal_common(fields, path, account_id, "user", problems)
    if fields.get("console_password") == "":
        problems.add(at(path, "console_password"), "empty password (leave the field out for no console password)")
    for index, key in enumerate(fields.get("access_keys", [])):
        check_access_key(key, at(at(path, "access_keys"), index), problems)


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
    policies = _apply_managed_policies(entry.get("managed_policies", []), path, account, loading)
    for index, user in enumerate(entry.get("users", [])):
        _apply_user(user, at(at(path, "users"), index), account, policies, loading)
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
        principal.set_console_password(raw)
        return ["console_password"]
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


def _apply_user(entry: dict, path: str, account: Account, policies: dict, loading) -> None:
    user = IamUser.objects.filter(account=account, name=entry["name"]).first()
    if user is None:
        user = IamUser.objects.create(account=account, name=entry["name"], path=entry.get("path", "/"))
        loading.count_created(user)
    values = {"path": entry["path"]} if "path" in entry else {}
    if "tags" in entry:
        values["tags"] = dict(entry["tags"])
    _update(user, loading, changed_already=_set_password(user, entry.get("console_password")), **values)
    _apply_inline_policies(entry.get("inline_policies", {}), user.inline_policies, {"user": user}, loading)
    _attach_managed_policies(entry, path, user, policies, loading)
    _apply_access_keys(entry.get("access_keys", []), at(path, "access_keys"), account, user, loading)


def _apply_role(entry: dict, path: str, account: Account, policies: dict, loading) -> None:
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


def _attach_managed_policies(entry: dict, path: str, principal, policies: dict, loading) -> None:
    if "managed_policies" not in entry:
        return
    wanted = []
    for index, name in enumerate(entry["managed_policies"]):
        if name not in policies:
            loading.fail(
                at(at(path, "managed_policies"), index),
                f"no customer managed policy named {name!r} in account {principal.account_id}",
            )
        wanted.append(policies[name])
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


def _export_principal_extras(principal, out: dict) -> None:
    inline = sorted(principal.inline_policies.all(), key=lambda p: p.name)
    if inline:
        out["inline_policies"] = {policy.name: policy_for_export(policy.document) for policy in inline}
    managed = sorted(policy.name for policy in principal.managed_policies.all())
    if managed:
        out["managed_policies"] = managed
    if principal.tags:
        out["tags"] = dict(sorted(principal.tags.items()))


def _export_user(user: IamUser, include_secrets: bool) -> dict:
    out: dict = {"name": user.name}
    if user.path != "/":
        out["path"] = user.path
    keys = [key for key in user.access_keys.all() if key.session_id is None]
    if keys:
        out["access_keys"] = _export_access_keys(keys, include_secrets)
    _export_principal_extras(user, out)
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
    _export_principal_extras(role, out)
    return out

