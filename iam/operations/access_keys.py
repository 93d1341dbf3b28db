"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed.

Only long-term keys (AKIA) of the caller's own account are IAM's to manage: a session's keys (ASIA) and
another account's keys are NoSuchEntity, as a key that does not exist. Without UserName an operation means
the caller's own keys: the calling IAM user's, or the root user's own root keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import AccessKey, IamUser, new_access_key_id, new_secret_access_key
from audit.models import AuditEvent
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import account_id, authorize, find_user, paginate
from iam.operations.users import calling_user_name

MAX_KEYS_PER_USER = 2  # IAM's quota, for users and the root user alike
NEVER_USED = "N/A"  # what GetAccessKeyLastUsed answers for ServiceName and Region of an unused key


@dataclass(frozen=True)
class KeyOwner:
    """Whose keys an operation acts on: an IAM user of the caller's account, or (user None) its root user."""

    account_id: str
    user: IamUser | None

    @property
    def arn(self) -> str:
        return self.user.arn if self.user else f"arn:aws:iam::{self.account_id}:root"

    def keys(self):
        owned = {"user": self.user} if self.user else {"user__isnull": True}
        return AccessKey.objects.filter(account_id=self.account_id, session__isnull=True, expires_at__isnull=True,
                                        **owned)


def _owner(call) -> KeyOwner:
    """The named user, else the caller itself; authorised for iam:<operation> on its ARN."""
    name = call.params.get("UserName")
    if name is None and call.principal.kind == "Root":
        owner = KeyOwner(account_id(call), None)
    else:
        owner = KeyOwner(account_id(call), find_user(call, name or calling_user_name(call)))
    authorize(call, owner.arn)
    return owner


def _not_found(access_key_id: str) -> errors.NoSuchEntityException:
    return errors.NoSuchEntityException(f"The Access Key with id {access_key_id} cannot be found.",
                                        field="AccessKeyId")


def _find_key(owner: KeyOwner, access_key_id: str) -> AccessKey:
    key = owner.keys().filter(access_key_id=access_key_id).first()
    if key is None:
        raise _not_found(access_key_id)
    return key


def _metadata(key: AccessKey, owner: KeyOwner) -> dict:
    # The root user has no user name: AWS's shapes leave it out rather than invent one.
    shape = {"AccessKeyId": key.access_key_id, "Status": key.status, "CreateDate": key.created_at}
    if owner.user is not None:
        shape["UserName"] = owner.user.name
    return shape


@operation("iam", "CreateAccessKey")
def create_access_key(call):
    owner = _owner(call)
    if owner.keys().count() >= MAX_KEYS_PER_USER:
        raise errors.LimitExceededException(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
    key = AccessKey(access_key_id=new_access_key_id(), account_id=owner.account_id, user=owner.user)
    secret = new_secret_access_key()
    key.secret_access_key = secret
    key.save()
    metadata = _metadata(key, owner)
    # CloudTrail records the new key's id and status, never its secret.
    call.response_elements = {"accessKey": {name[:1].lower() + name[1:]: value for name, value in metadata.items()}}
    return {"AccessKey": {**metadata, "SecretAccessKey": secret}}


@operation("iam", "ListAccessKeys", read_only=True)
def list_access_keys(call):
    owner = _owner(call)
    page, more = paginate(owner.keys(), call.params, key="access_key_id")
    return {"AccessKeyMetadata": [_metadata(key, owner) for key in page], **more}


@operation("iam", "UpdateAccessKey")
def update_access_key(call):
    """Active/Inactive. The save moves the state token, so the very next call with the key sees it."""
    owner = _owner(call)
    key = _find_key(owner, call.params["AccessKeyId"])
    key.status = call.params["Status"]
    key.save(update_fields=["status"])
    return {}


@operation("iam", "DeleteAccessKey")
def delete_access_key(call):
    owner = _owner(call)
    _find_key(owner, call.params["AccessKeyId"]).delete()
    return {}


@operation("iam", "GetAccessKeyLastUsed", read_only=True)
def get_access_key_last_used(call):
    """When, where and with which service the key last signed a call, read from the audit trail (the newest
    record of a call signed with it), so that no call pays a write to keep it."""
    access_key_id = call.params["AccessKeyId"]
    key = (AccessKey.objects.select_related("user")
           .filter(account_id=account_id(call), access_key_id=access_key_id, session__isnull=True,
                   expires_at__isnull=True)
           .first())
    if key is None:
        raise _not_found(access_key_id)
    owner = KeyOwner(key.account_id, key.user)
    authorize(call, owner.arn)
    last = (AuditEvent.objects.filter(recipient_account=key.account_id, access_key_id=access_key_id)
            .order_by("-event_time").values("event_time", "event_source", "region").first())
    if last is None:
        used = {"ServiceName": NEVER_USED, "Region": NEVER_USED}
    else:
        used = {"LastUsedDate": last["event_time"], "ServiceName": last["event_source"].split(".")[0],
                "Region": last["region"]}
    result = {"AccessKeyLastUsed": used}
    if owner.user is not None:
        result["UserName"] = owner.user.name
    return result
