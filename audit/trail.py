"""Build and store CloudTrail records. The only writer of AuditEvent rows.

awsapi.dispatch.execute calls record_call for every call, from the API or the console, allowed or
denied. A successful call on another account's key is written to both accounts (same requestID and
sharedEventID, own eventID); a denied one only to the caller's account, as CloudTrail does.
"""

import uuid

from django.utils import timezone

from audit.models import AuditEvent
from awsapi import errors, shapes

EVENT_VERSION = "1.11"

# Request members that are never recorded, whatever the service model says: secrets and tokens.
_NEVER_RECORDED = {
    "Plaintext", "CiphertextBlob", "Message", "Signature", "Mac", "GrantTokens", "GrantToken",
    "PublicKey", "SecretAccessKey", "SessionToken", "Password", "TokenCode", "PrivateKeyPlaintext",
    "Recipient",
}
# Crypto operations whose records always carry the encryption algorithm, even when not sent.
_RECORDS_ALGORITHM = {"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt"}


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _camel_keys(value):
    if isinstance(value, dict):
        return {_camel(k) if k[:1].isupper() else k: _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None  # blobs never reach a record
    if hasattr(value, "isoformat"):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def request_parameters(call, spec) -> dict | None:
    hidden = _NEVER_RECORDED | (shapes.sensitive_members(call.service, call.operation) if spec.modelled else set())
    params = {}
    for name, value in (call.params or {}).items():
        if name in hidden or value is None:
            continue
        if name == "EncryptionContext":
            params["encryptionContext"] = dict(value)  # keys stay as the caller wrote them
            continue
        params[_camel(name)] = _camel_keys(value)
    if call.service == "kms" and call.operation in _RECORDS_ALGORITHM:
        params.setdefault("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
    return params or None


def user_identity(principal, *, via_console: bool) -> dict:
    identity = {
        "type": principal.kind,
        "principalId": principal.principal_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if principal.access_key_id:
        identity["accessKeyId"] = principal.access_key_id
    if principal.kind == "IAMUser":
        identity["userName"] = principal.username
    if principal.kind == "AssumedRole":
        session, role = principal.session, principal.session.role
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role.unique_id,
                "arn": role.arn,
                "accountId": role.account_id,
                "userName": role.name,
            },
            "webIdFederationData": {},
            "attributes": {
                "creationDate": session.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mfaAuthenticated": "false",
            },
        }
    if via_console:
        identity["sessionCredentialFromConsole"] = "true"
    return identity


def _owner_identity(principal) -> dict:
    # The key owner's copy names the caller only by account and principal id (kms.md §8.2).
    return {"type": "AWSAccount", "principalId": principal.principal_id, "accountId": principal.account_id}


def lookup_username(principal) -> str:
    if principal.kind == "IAMUser":
        return principal.username
    if principal.kind == "AssumedRole":
        return principal.session.session_name
    return "root"


def record_call(call, spec, *, error: errors.AwsError | None) -> list[AuditEvent]:
    now = timezone.now()
    principal = call.principal
    caller_account = principal.account_id
    denied = isinstance(error, errors.AccessDeniedException)
    recipients = [caller_account]
    if not denied:
        recipients += sorted({r.account_id for r in call.resources} - {caller_account})
    shared_event_id = uuid.uuid4() if len(recipients) > 1 else None

    base = {
        "eventVersion": EVENT_VERSION,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": call.event_source,
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": request_parameters(call, spec),
        "responseElements": call.response_elements if error is None else None,
        "requestID": call.request_id,
        "readOnly": spec.read_only,
        "resources": [{"accountId": r.account_id, "type": r.type, "ARN": r.arn} for r in call.resources],
        "eventType": "AwsConsoleSignIn" if call.operation == "ConsoleLogin" else "AwsApiCall",
        "managementEvent": True,
        "eventCategory": "Management",
    }
    if error is not None:
        base["errorCode"] = "AccessDenied" if denied else error.code
        base["errorMessage"] = error.message
    base.update(call.extra_record_fields)

    resource = call.resources[0] if call.resources else None
    rows = []
    for recipient in recipients:
        event_id = uuid.uuid4()
        record = dict(base)
        record["userIdentity"] = (
            user_identity(principal, via_console=call.via_console)
            if recipient == caller_account else _owner_identity(principal)
        )
        record["eventID"] = str(event_id)
        record["recipientAccountId"] = recipient
        if shared_event_id:
            record["sharedEventID"] = str(shared_event_id)
        rows.append(AuditEvent(
            event_id=event_id,
            recipient_account=recipient,
            region=call.region,
            event_time=now,
            event_source=call.event_source,
            event_name=call.operation,
            read_only=spec.read_only,
            principal_arn=principal.arn,
            username=lookup_username(principal),
            access_key_id=principal.access_key_id,
            resource_type=resource.type if resource else "",
            resource_arn=resource.arn if resource else "",
            error_code=record.get("errorCode", ""),
            request_id=call.request_id,
            shared_event_id=shared_event_id,
            record=record,
        ))
    AuditEvent.objects.bulk_create(rows)
    return rows
