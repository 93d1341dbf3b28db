"""Low-level key data functions: build the standard key policies, create keys, record policy changes and
key material versions.

No authorisation and no audit here: callers (scenario loading, the KMS operations) decide who may do what
and write the audit record; this module only keeps the rows consistent.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from keys import crypto
from keys.models import Key, KeyMaterial, KeyPolicyVersion

ENABLE_IAM_SID = "Enable IAM User Permissions"
ADMINS_SID = "Allow access for Key Administrators"
USE_SID = "Allow use of the key"
PERSISTENT_RESOURCES_SID = "Allow attachment of persistent resources"

_ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
]
_ADMIN_DELETION_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]

# The console's "Allow use of the key" actions by key type (kms.md §4.3), in the order the console writes them.
_SYMMETRIC_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
_USE_ACTIONS_BY_USAGE = {
    "GENERATE_VERIFY_MAC": ["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"],
    "ENCRYPT_DECRYPT": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey", "kms:GetPublicKey"],
    "SIGN_VERIFY": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"],
    "KEY_AGREEMENT": ["kms:DescribeKey", "kms:GetPublicKey", "kms:DeriveSharedSecret"],
    "ENCAPSULATE_DECAPSULATE": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Encapsulate", "kms:Decapsulate"],
}
_PERSISTENT_RESOURCE_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


# ----------------------------------------------------------------------------------------------------------
# Policy text in AWS's layout
# ----------------------------------------------------------------------------------------------------------


def aws_policy_text(document: dict) -> str:
    """Render a policy the way KMS returns the policies it writes itself (Jackson's default pretty printer):
    `" : "` between name and value, objects one entry per line, arrays inline (`[ "a", "b" ]`, `[ {`)."""
    return _render(document, nesting=0)


def _render(value, nesting: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "{ }"
        inner = "\n" + "  " * (nesting + 1)
        entries = [f"{json.dumps(name, ensure_ascii=False)} : {_render(item, nesting + 1)}" for name, item in value.items()]
        return "{" + inner + ("," + inner).join(entries) + "\n" + "  " * nesting + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        # Arrays do not indent: their elements stay at the enclosing object's nesting level.
        return "[ " + ", ".join(_render(item, nesting) for item in value) + " ]"
    return json.dumps(value, ensure_ascii=False)


def _principal(arns: list[str]):
    # KMS stores a one-element principal list as a plain string.
    return arns[0] if len(arns) == 1 else list(arns)


def _enable_iam_statement(account_id: str) -> dict:
    return {
        "Sid": ENABLE_IAM_SID,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def default_key_policy(account_id: str) -> str:
    """The policy KMS gives a key created through the API without a Policy (kms.md §4.1)."""
    return aws_policy_text(
        {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [_enable_iam_statement(account_id)]}
    )


def key_user_actions(key_spec: str, key_usage: str) -> list[str]:
    if key_spec == "SYMMETRIC_DEFAULT":
        return list(_SYMMETRIC_USE_ACTIONS)
    return list(_USE_ACTIONS_BY_USAGE[key_usage])


def console_key_policy(
    account_id: str,
    admins: list[str],
    users: list[str],
    external_accounts: list[str],
    key_spec: str = "SYMMETRIC_DEFAULT",
    key_usage: str = "ENCRYPT_DECRYPT",
    allow_admin_deletion: bool = True,
) -> str:
    """The policy the KMS console writes (`key-consolepolicy-3`, kms.md §4.3).

    `admins` and `users` are principal ARNs; `external_accounts` are 12-digit ids that become
    `arn:aws:iam::<id>:root` in both key-user statements. A statement whose principal list would be empty is
    left out, since KMS refuses a statement without a principal. "Allow attachment of persistent resources" is
    written only for symmetric encryption keys: AWS services attach only those to their resources.
    """
    statements = [_enable_iam_statement(account_id)]
    if admins:
        actions = _ADMIN_ACTIONS + (_ADMIN_DELETION_ACTIONS if allow_admin_deletion else [])
        statements.append(
            {"Sid": ADMINS_SID, "Effect": "Allow", "Principal": {"AWS": _principal(admins)}, "Action": actions, "Resource": "*"}
        )
    key_users = list(users) + [f"arn:aws:iam::{external}:root" for external in external_accounts]
    if key_users:
        statements.append(
            {
                "Sid": USE_SID,
                "Effect": "Allow",
                "Principal": {"AWS": _principal(key_users)},
                "Action": key_user_actions(key_spec, key_usage),
                "Resource": "*",
            }
        )
        if key_spec == "SYMMETRIC_DEFAULT":
            statements.append(
                {
                    "Sid": PERSISTENT_RESOURCES_SID,
                    "Effect": "Allow",
                    "Principal": {"AWS": _principal(key_users)},
                    "Action": list(_PERSISTENT_RESOURCE_ACTIONS),
                    "Resource": "*",
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                }
            )
    return aws_policy_text({"Id": "key-consolepolicy-3", "Version": "2012-10-17", "Statement": statements})


# ----------------------------------------------------------------------------------------------------------
# Rows
# ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def create_key(
    *,
    account,
    region: str,
    key_spec: str,
    key_usage: str,
    description: str,
    policy_text: str,
    changed_by: str,
    key_id: str | None = None,
    enabled: bool = True,
    now=None,
    origin: str = "AWS_KMS",
    multi_region: bool = False,
) -> Key:
    """A new key with its first key material and policy version 1. The caller has validated spec and usage.

    An EXTERNAL key starts PendingImport with no material: ImportKeyMaterial brings it. A multi-Region key
    gets an "mrk-" id and is the primary of its set (a scenario's "mrk-" id makes one too)."""
    now = now or timezone.now()
    multi_region = multi_region or bool(key_id and key_id.startswith("mrk-"))
    if multi_region and not key_id:
        key_id = f"mrk-{uuid.uuid4().hex}"
    key = Key(
        account=account,
        region=region,
        key_spec=key_spec,
        key_usage=key_usage,
        description=description,
        state="PendingImport" if origin == "EXTERNAL" else "Enabled" if enabled else "Disabled",
        origin=origin,
        created_at=now,
        policy=policy_text,
        multi_region=multi_region,
        primary_region=region if multi_region else "",
    )
    if key_id:
        key.key_id = key_id
    key.save()
    if origin != "EXTERNAL":
        _add_material(key, version=1, rotation_type="", now=now)
    KeyPolicyVersion.objects.create(key=key, version=1, document=policy_text, changed_by=changed_by, changed_at=now)
    return key


@transaction.atomic
def replicate_key(primary: Key, *, region: str, description: str, policy_text: str, changed_by: str,
                  now=None) -> Key:
    """A replica of a multi-Region primary key in another Region: same id, spec, usage and material (so a
    ciphertext of any key of the set decrypts with any other); its own policy, description and tags."""
    now = now or timezone.now()
    replica = Key.objects.create(
        account_id=primary.account_id, region=region, key_id=primary.key_id, key_spec=primary.key_spec,
        key_usage=primary.key_usage, origin=primary.origin, state="Enabled", description=description,
        created_at=now, policy=policy_text, multi_region=True, primary_region=primary.primary_region,
        rotation_enabled=primary.rotation_enabled, rotation_period_days=primary.rotation_period_days,
        next_rotation_date=primary.next_rotation_date)
    KeyMaterial.objects.bulk_create([
        KeyMaterial(key=replica, version=m.version, material_id=m.material_id, sealed=m.sealed,
                    rotation_type=m.rotation_type, created_at=m.created_at)
        for m in primary.materials.all()])
    KeyPolicyVersion.objects.create(key=replica, version=1, document=policy_text, changed_by=changed_by,
                                    changed_at=now)
    return replica


@transaction.atomic
def set_key_policy(key: Key, policy_text: str, changed_by: str, now=None) -> KeyPolicyVersion:
    """Make `policy_text` the key's policy and keep it as the next version.

    The key row is locked first, so two concurrent changes are numbered one after the other instead of both
    claiming the same version."""
    now = now or timezone.now()
    locked = Key.objects.select_for_update().get(pk=key.pk)
    latest = locked.policy_versions.aggregate(latest=Max("version"))["latest"] or 0
    locked.policy = policy_text
    locked.save(update_fields=["policy"])
    key.policy = policy_text
    return KeyPolicyVersion.objects.create(
        key=locked, version=latest + 1, document=policy_text, changed_by=changed_by, changed_at=now
    )


@transaction.atomic
def add_material_version(key: Key, rotation_type: str, now=None) -> KeyMaterial:
    """Rotate: new material becomes current; older versions stay to decrypt what they encrypted."""
    now = now or timezone.now()
    locked = Key.objects.select_for_update().get(pk=key.pk)
    latest = locked.materials.aggregate(latest=Max("version"))["latest"] or 0
    material = _add_material(locked, version=latest + 1, rotation_type=rotation_type, now=now)
    # Rotating a multi-Region primary rotates the whole set: each replica gets the same new material.
    KeyMaterial.objects.bulk_create([
        KeyMaterial(key=replica, version=material.version, material_id=material.material_id, sealed=material.sealed,
                    rotation_type=rotation_type, created_at=now)
        for replica in locked.related_keys()])
    return material


def _add_material(key: Key, *, version: int, rotation_type: str, now) -> KeyMaterial:
    material = KeyMaterial(
        key=key, version=version, material_id=crypto.new_material_id(), rotation_type=rotation_type, created_at=now
    )
    material.material = crypto.generate_key_material(key.key_spec)
    material.save()
    return material


def after_key_deleted(account_id: str, key_id: str, now=None) -> None:
    """A multi-Region primary pending replica deletion starts its own waiting period once its last replica is
    gone (AWS's PendingReplicaDeletion -> PendingDeletion)."""
    remaining = list(Key.objects.filter(account_id=account_id, key_id=key_id))
    if len(remaining) != 1 or remaining[0].state != "PendingReplicaDeletion":
        return
    primary = remaining[0]
    primary.state = "PendingDeletion"
    primary.deletion_date = (now or timezone.now()) + dt.timedelta(days=primary.pending_window_days or 30)
    primary.save(update_fields=["state", "deletion_date"])
