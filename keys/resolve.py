"""Key identifiers -> keys, with AWS's rules (reference kms.md §3, §2.1).

A key id or alias name always means the caller's own account and the call's region; another account's
key is reached only by key ARN or alias ARN, and a key ARN of another account that does not exist is
answered like a denial, so that existence never leaks across accounts.
"""

import re

from django.utils import timezone

from awsapi import errors
from keys.models import Alias, Key, alias_arn, key_arn

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
        query = Alias.objects.select_related("key", "key__account").filter(
            account_id=account_id, region=region, name=resource
        )
        alias = query.first()
        key = alias.key if alias else None
        call.requested_alias = resource
    else:
        key_id = resource[len("key/"):]
        if not _KEY_ID.match(key_id):
            if foreign:
                _deny_foreign(call, action, key_arn(region, account_id, key_id), account_id)
            raise errors.NotFoundException(f"Invalid keyId '{identifier}'")
        query = Key.objects.select_related("account").filter(account_id=account_id, region=region, key_id=key_id)
        if for_update:
            query = query.select_for_update()
        key = query.first()

    if key is not None and purge_if_due(key):
        key = None
    if key is None:
        if foreign:
            target = alias_arn(region, account_id, resource) if is_alias else key_arn(region, account_id, resource[4:])
            _deny_foreign(call, action, target, account_id)
        if is_alias:
            raise errors.NotFoundException(f"Alias {alias_arn(region, account_id, resource)} is not found.")
        raise errors.NotFoundException(f"Key '{key_arn(region, account_id, resource[4:])}' does not exist")
    if for_update and is_alias:
        key = Key.objects.select_for_update().select_related("account").get(pk=key.pk)
    return key


def _deny_foreign(call, action: str, arn: str, account_id: str):
    call.add_resource(arn, account_id)
    raise errors.AccessDeniedException(cross_account_denial_message(call.principal.arn, action))


def purge_if_due(key: Key, now=None) -> bool:
    """A key past its deletion date is gone: delete it (aliases, grants and material go with it)."""
    now = now or timezone.now()
    if key.state == "PendingDeletion" and key.deletion_date and key.deletion_date <= now:
        key.delete()
        return True
    return False
