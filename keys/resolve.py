"""Key identifiers -> keys, with AWS's rules (reference kms.md §3, §2.1).

A key id or alias name always means the caller's own account and the call's region; another account's
key is reached only by key ARN or alias ARN, and a key ARN of another account that does not exist is
answered like a denial, so that existence never leaks across accounts.
"""

import copy
import re

from django.utils import timezone

from awsapi import errors
from keys.key_material_expiry import expire_on_access
from keys.models import Alias, Key, alias_arn, key_arn
from keys.store import after_key_deleted
from kmsconsole import statecache

_KEY_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):([0-9]{12}):(key/.+|alias/.+)$")


def cross_account_denial_message(caller_arn: str, action: str) -> str:
    return (
        f"User: {caller_arn} is not authorized to perform: {action} on this resource because the resource "
        "does not exist in this Region, no resource-based policies allow access, or a resource-based policy "
        "explicitly denies access"
    )


def resolve_key(call, identifier: str, *, action: str, aliases: bool = True, for_update: bool = False) -> Key:
    """The key `identifier` names for this call. Raises NotFoundException, or AccessDenied for a foreign ARN."""
    caller_account = call.principal.account_id
    match = _ARN.match(identifier)
    if match:
        _, region, account_id, resource = match.groups()
        if region != call.region:
            raise errors.NotFoundException(f"Invalid arn {region}")
    elif identifier.startswith("arn:"):
        raise errors.NotFoundException(f"Invalid arn {identifier}")
    else:
        account_id, region, resource = caller_account, call.region, identifier
        if not resource.startswith("alias/"):
            resource = f"key/{resource}"

    is_alias = resource.startswith("alias/")
    if is_alias and not aliases:
        raise errors.NotFoundException(f"Invalid keyId '{identifier}'")
    foreign = account_id != caller_account

    if is_alias:
        key = _cached_copy("key-by-alias", (account_id, region, resource),
                           lambda: _key_by_alias(account_id, region, resource))
        call.requested_alias = resource
    else:
        key_id = resource[len("key/"):]
        if not _KEY_ID.match(key_id):
            if foreign:
                deny_foreign(call, action, key_arn(region, account_id, key_id), account_id)
            raise errors.NotFoundException(f"Invalid keyId '{identifier}'")
        if for_update:
            key = _key_by_id(account_id, region, key_id, for_update=True)
        else:
            key = _cached_copy("key-by-id", (account_id, region, key_id),
                               lambda: _key_by_id(account_id, region, key_id))

    if key is not None and purge_if_due(key, call):
        key = None
    if key is not None and key.material_expires_at is not None:
        key = expire_on_access(key, call)
    if key is None:
        if foreign:
            target = alias_arn(region, account_id, resource) if is_alias else key_arn(region, account_id, resource[4:])
            deny_foreign(call, action, target, account_id)
        if is_alias:
            raise errors.NotFoundException(f"Alias {alias_arn(region, account_id, resource)} is not found.")
        raise errors.NotFoundException(f"Key '{key_arn(region, account_id, resource[4:])}' does not exist")
    if for_update and is_alias:
        key = Key.objects.select_for_update().select_related("account").get(pk=key.pk)
    return key


def deny_foreign(call, action: str, arn: str, account_id: str):
    """The one answer for another account's key that does not exist or is not the caller's to use."""
    call.add_resource(arn, account_id)
    raise errors.AccessDeniedException(cross_account_denial_message(call.principal.arn, action))


def _key_by_id(account_id: str, region: str, key_id: str, for_update: bool = False) -> Key | None:
    query = Key.objects.select_related("account").filter(account_id=account_id, region=region, key_id=key_id)
    if for_update:
        query = query.select_for_update()
    return query.order_by().first()


def _key_by_alias(account_id: str, region: str, name: str) -> Key | None:
    alias = (Alias.objects.select_related("key", "key__account")
             .filter(account_id=account_id, region=region, name=name).order_by().first())
    return alias.key if alias else None


def _cached_copy(kind: str, cache_key, load) -> Key | None:
    # Each call gets its own instance: operations may set attributes on the key they resolved.
    key = statecache.get(kind, cache_key, load)
    return copy.copy(key) if key is not None else None


def purge_if_due(key: Key, call=None, now=None) -> bool:
    """A key past its deletion date is gone: delete it (aliases, grants and material go with it).

    The call usually fails next (NotFound), which rolls its transaction back; the deletion is then
    done again after the rollback (Call.after_rollback), so the key really is gone either way.
    """
    now = now or timezone.now()
    if not (key.state == "PendingDeletion" and key.deletion_date and key.deletion_date <= now):
        return False

    def delete_due_key():
        Key.objects.filter(pk=key.pk, state="PendingDeletion", deletion_date__lte=now).delete()
        if key.multi_region:
            after_key_deleted(key.account_id, key.key_id, now)

    delete_due_key()
    if call is not None:
        call.after_rollback.append(delete_due_key)
    return True
