"""Scenario files, key part: check, apply and export the `keys` of one account.

A key without an `id` gets one derived from its account, region and first alias (or its place in the list),
so that loading the same file again finds the same key instead of creating another.
"""

from __future__ import annotations

import re
import uuid

from django.utils import timezone

from accounts.regions import is_known_region
from keys import crypto, store
from keys.models import Alias, Key, KeyTag
from kmsconsole.scenario_document import (
    BOOLEAN,
    LIST,
    MAPPING,
    POLICY,
    STRING,
    Problems,
    at,
    check_fields,
    check_policy,
    check_string_list,
    check_tags,
    policy_for_export,
    same_policy,
)

KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}")
ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9:/_-]+")
_DERIVED_KEY_IDS = uuid.UUID("6f1d8c2e-5b7a-4e39-9a0c-3d2b1f4e8a17")

KEY_FIELDS = {
    "id": STRING,
    "region": STRING,
    "key_spec": STRING,
    "key_usage": STRING,
    "description": STRING,
    "enabled": BOOLEAN,
    "aliases": LIST,
    "tags": MAPPING,
    "policy": POLICY,
}


def check_key(entry, path: str, account_id, region_enabled, problems: Problems) -> None:
    fields = check_fields(entry, path, KEY_FIELDS, ("region",), problems)
    region = fields.get("region")
    if region is not None:
        if not is_known_region(region):
            problems.add(at(path, "region"), f"unknown region {region!r} (expected a region code such as us-west-2)")
        elif not region_enabled(region):
            problems.add(
                at(path, "region"),
                f"region {region!r} is not enabled in {f'account {account_id}' if account_id else 'this account'} "
                "(opt-in regions must be listed in enabled_regions)",
            )
    if "id" in fields:
        if KEY_ID.fullmatch(fields["id"]):
            problems.unique("key id", fields["id"], at(path, "id"), scope=(account_id, region))
        else:
            problems.add(at(path, "id"), f"{fields['id']!r} is not a key id (a lower-case UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab)")
    _check_spec_and_usage(fields, path, problems)
    if len(fields.get("description", "")) > 8192:
        problems.add(at(path, "description"), "longer than 8192 characters")
    aliases_path = at(path, "aliases")
    for index, name in enumerate(check_string_list(fields.get("aliases", []), aliases_path, problems)):
        if not (ALIAS_NAME.fullmatch(name) and len(name) <= 256):
            problems.add(at(aliases_path, index), f"{name!r} is not an alias name (alias/ followed by letters, digits, /_-:)")
        elif name.startswith("alias/aws/"):
            problems.add(at(aliases_path, index), f"{name!r}: alias/aws/ is reserved for AWS managed keys")
        else:
            problems.unique("alias", name, at(aliases_path, index), scope=(account_id, region))
    if "tags" in fields:
        check_tags(fields["tags"], at(path, "tags"), problems)
    if "policy" in fields:
        check_policy(fields["policy"], at(path, "policy"), "KEY_POLICY", problems)


def _check_spec_and_usage(fields: dict, path: str, problems: Problems) -> None:
    spec = fields.get("key_spec", "SYMMETRIC_DEFAULT")
    if spec not in crypto.KEY_SPECS:
        problems.add(at(path, "key_spec"), f"unknown key spec {spec!r} (expected one of: {', '.join(crypto.KEY_SPECS)})")
        return
    try:
        crypto.resolve_key_usage(spec, fields.get("key_usage"))
    except crypto.CryptoValidationError as error:
        problems.add(at(path, "key_usage"), error.message)


def derived_key_id(account_id: str, region: str, entry: dict, index: int) -> str:
    anchor = entry["aliases"][0] if entry.get("aliases") else f"keys[{index}]"
    return str(uuid.uuid5(_DERIVED_KEY_IDS, f"{account_id}/{region}/{anchor}"))


def apply_key(entry: dict, path: str, account, index: int, loading) -> Key:
    region = entry["region"]
    key_id = entry.get("id") or derived_key_id(account.id, region, entry, index)
    key = Key.objects.filter(account=account, region=region, key_id=key_id).first()
    if key is None:
        key_spec = entry.get("key_spec", "SYMMETRIC_DEFAULT")
        key = store.create_key(
            account=account,
            region=region,
            key_spec=key_spec,
            key_usage=crypto.resolve_key_usage(key_spec, entry.get("key_usage")),
            description=entry.get("description", ""),
            policy_text=_key_policy_text(entry["policy"]) if "policy" in entry else store.default_key_policy(account.id),
            changed_by=loading.changed_by,
            key_id=key_id,
            enabled=entry.get("enabled", True),
            now=loading.now,
        )
        loading.count_created(key)
    else:
        _update_key(key, entry, path, loading)
    _apply_aliases(entry.get("aliases", []), at(path, "aliases"), key, loading)
    if "tags" in entry:
        _apply_tags(entry["tags"], key, loading)
    return key


def _key_policy_text(value) -> str:
    # A policy written as YAML has no text of its own: give it the layout KMS uses for the policies it writes.
    return value if isinstance(value, str) else store.aws_policy_text(value)


def _update_key(key: Key, entry: dict, path: str, loading) -> None:
    for field, current in (("key_spec", key.key_spec), ("key_usage", key.key_usage)):
        if field in entry and entry[field] != current:
            loading.fail(at(path, field), f"key {key.key_id} already exists as {current}; a key's {field} cannot change")
    changed = []
    if "description" in entry and entry["description"] != key.description:
        key.description = entry["description"]
        changed.append("description")
    # Only the two states the file can express are switched; a key pending deletion or import stays as it is.
    if "enabled" in entry and key.state in ("Enabled", "Disabled"):
        state = "Enabled" if entry["enabled"] else "Disabled"
        if state != key.state:
            key.state = state
            changed.append("state")
    if changed:
        key.save(update_fields=changed)
        loading.count_updated(key)
    if "policy" in entry and not same_policy(key.policy, entry["policy"]):
        store.set_key_policy(key, _key_policy_text(entry["policy"]), loading.changed_by, now=loading.now)
        loading.count_updated(key)


def _apply_aliases(names: list[str], path: str, key: Key, loading) -> None:
    for index, name in enumerate(names):
        alias = Alias.objects.filter(account_id=key.account_id, region=key.region, name=name).select_related("key").first()
        if alias is None:
            now = loading.now or timezone.now()
            loading.count_created(
                Alias.objects.create(account_id=key.account_id, region=key.region, name=name, key=key, created_at=now, updated_at=now)
            )
        elif alias.key_id != key.pk:
            loading.fail(at(path, index), f"alias {name} already names key {alias.key.key_id} in {key.region}")


def _apply_tags(tags: dict, key: Key, loading) -> None:
    current = {tag.tag_key: tag.tag_value for tag in key.tags.all()}
    if current == tags:
        return
    key.tags.exclude(tag_key__in=list(tags)).delete()
    for name, value in tags.items():
        if current.get(name) != value:
            KeyTag.objects.update_or_create(key=key, tag_key=name, defaults={"tag_value": value})
    loading.count_updated(key)


def export_keys(account) -> list[dict]:
    keys = account.keys.order_by("region", "key_id").prefetch_related("aliases", "tags")
    default_policy = store.default_key_policy(account.id)
    return [_export_key(key, default_policy) for key in keys]


def _export_key(key: Key, default_policy: str) -> dict:
    out: dict = {"id": key.key_id, "region": key.region, "key_spec": key.key_spec, "key_usage": key.key_usage}
    if key.description:
        out["description"] = key.description
    if key.state != "Enabled":
        out["enabled"] = False
    aliases = sorted(alias.name for alias in key.aliases.all())
    if aliases:
        out["aliases"] = aliases
    tags = sorted((tag.tag_key, tag.tag_value) for tag in key.tags.all())
    if tags:
        out["tags"] = dict(tags)
    if not same_policy(default_policy, policy_for_export(key.policy)):
        out["policy"] = policy_for_export(key.policy)
    return out
