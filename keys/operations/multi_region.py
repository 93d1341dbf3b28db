"""Multi-Region keys: ReplicateKey and UpdatePrimaryRegion (CreateKey's MultiRegion is in management.py).

A multi-Region key set is one "mrk-" key id in several Regions of one account. Each key of the set is a key
of its own Region with its own key policy, description, tags, grants and aliases, so sharing it with another
account is decided per Region by that Region's key policy; the keys share their material, so a ciphertext of
any of them decrypts with any other. Rotating the primary rotates the set (keys.store.add_material_version).
"""

from __future__ import annotations

from accounts.regions import is_known_region
from awsapi import errors
from awsapi.dispatch import operation
from keys import store
from keys.authz import authorize_account_action, authorize_key
from keys.models import Key, KeyTag, key_arn
from keys.operations.common import key_metadata, record_elements, require_state
from keys.operations.management import (MAX_TAGS_PER_KEY, _check_tag_keys, _tag_context, _target_key,
                                        check_key_policy)


def _require_primary(key: Key, operation_name: str) -> None:
    if not key.multi_region:
        raise errors.UnsupportedOperationException(
            f"{key.arn} is not a multi-Region key: {operation_name} works only with multi-Region keys.")
    if not key.is_primary:
        raise errors.UnsupportedOperationException(
            f"{key.arn} is a replica key: call {operation_name} on the primary key, in {key.primary_region}.")


def _check_region(call, region: str, member: str) -> None:
    if not is_known_region(region):
        raise errors.ValidationException(f"{region} is not a valid Region.", field=member)
    if not call.principal.account.region_enabled(region):
        raise errors.UnsupportedOperationException(
            f"Region {region} is not enabled for account {call.principal.account_id}.")


@operation("kms", "ReplicateKey")
def replicate_key(call):
    params = call.params
    region = params["ReplicaRegion"]
    tags = params.get("Tags") or []
    _check_tag_keys([t["TagKey"] for t in tags])
    if len(tags) > MAX_TAGS_PER_KEY:
        raise errors.TagException("Too many tags", field="Tags")
    primary = _target_key(call, "kms:ReplicateKey", for_update=True, extra_context={"kms:ReplicaRegion": region})
    _require_primary(primary, "ReplicateKey")
    _check_region(call, region, "ReplicaRegion")
    if region == primary.region:
        raise errors.ValidationException(f"{primary.arn} is already in {region}: name another Region.",
                                         field="ReplicaRegion")
    replica_arn = key_arn(region, primary.account_id, primary.key_id)
    if Key.objects.filter(account_id=primary.account_id, region=region, key_id=primary.key_id).exists():
        raise errors.AlreadyExistsException(f"Key {replica_arn} already exists.")
    # The replica is a new key in its Region: the caller's IAM policies must let it create keys there.
    bypass = bool(params.get("BypassPolicyLockoutSafetyCheck"))
    creation = {"kms:KeySpec": primary.key_spec, "kms:KeyUsage": primary.key_usage, "kms:KeyOrigin": primary.origin,
                "kms:MultiRegion": True, "kms:MultiRegionKeyType": "REPLICA",
                "kms:BypassPolicyLockoutSafetyCheck": bypass}
    authorize_account_action(call, "kms:CreateKey", extra_context=creation)
    if tags:
        authorize_account_action(call, "kms:TagResource", extra_context={**creation, **_tag_context(tags)})
    policy_text = params.get("Policy")
    if policy_text is None:
        policy_text = store.default_key_policy(primary.account_id)
    else:
        check_key_policy(call, policy_text, key_account=primary.account_id, key_arn=replica_arn,
                         bypass_lockout=bypass)
    replica = store.replicate_key(primary, region=region, description=params.get("Description") or "",
                                  policy_text=policy_text, changed_by=call.principal.arn)
    KeyTag.objects.bulk_create([KeyTag(key=replica, tag_key=t["TagKey"], tag_value=t["TagValue"]) for t in tags])
    call.add_resource(primary.arn, primary.account_id)
    call.add_resource(replica.arn, replica.account_id)
    result = {"ReplicaKeyMetadata": key_metadata(replica), "ReplicaPolicy": policy_text,
              "ReplicaTags": [{"TagKey": t["TagKey"], "TagValue": t["TagValue"]} for t in tags]}
    call.response_elements = record_elements({k: v for k, v in result.items() if k != "ReplicaPolicy"})
    return result


@operation("kms", "UpdatePrimaryRegion")
def update_primary_region(call):
    region = call.params["PrimaryRegion"]
    primary = _target_key(call, "kms:UpdatePrimaryRegion", for_update=True,
                          extra_context={"kms:PrimaryRegion": region})
    _require_primary(primary, "UpdatePrimaryRegion")
    if region == primary.region:
        raise errors.ValidationException(f"{region} is already the primary Region of {primary.arn}.",
                                         field="PrimaryRegion")
    _check_region(call, region, "PrimaryRegion")
    replica = (Key.objects.select_for_update()
               .filter(account_id=primary.account_id, region=region, key_id=primary.key_id).first())
    if replica is None:
        raise errors.NotFoundException(
            f"Key '{key_arn(region, primary.account_id, primary.key_id)}' does not exist")
    # Both keys' policies must allow it: the replica becomes the primary.
    authorize_key(call, replica, "kms:UpdatePrimaryRegion", extra_context={"kms:PrimaryRegion": region})
    require_state(replica, "UpdatePrimaryRegion")
    Key.objects.filter(account_id=primary.account_id, key_id=primary.key_id).update(primary_region=region)
    call.add_resource(primary.arn, primary.account_id)
    call.add_resource(replica.arn, replica.account_id)
    return {}

