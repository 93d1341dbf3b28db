"""Build and store CloudTrail records. The only writer of AuditEvent rows.

awsapi.dispatch.execute calls record_call for every call, from the API or the console, allowed or
denied. A successful call on another account's key is written to both accounts (same requestID and
sharedEventID, own eventID); a denied one only to the caller's account, as CloudTrail does
(reference kms.md §8.1–§8.2).

What never reaches a record: plaintext, ciphertext, key material, signatures, MACs, grant tokens,
passwords, secret access keys and session tokens. Request members are copied through botocore's
model (blobs and members marked sensitive are dropped at any depth), and any member whose name says
it is a secret is dropped whatever the model says, in requests and responses alike.
"""

import functools
import uuid

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from audit.models import AuditEvent
from awsapi import errors, shapes, storable
from kmsconsole import statecache

EVENT_VERSION = "1.11"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Request members that are never recorded, whatever the service model says.
_NEVER_RECORDED = {
    "Plaintext", "CiphertextBlob", "Message", "Signature", "Mac", "GrantTokens", "GrantToken",
    "PublicKey", "SecretAccessKey", "SessionToken", "Password", "TokenCode", "PrivateKeyPlaintext",
    "Recipient", "NextToken", "SharedSecret", "CiphertextForRecipient", "KeyMaterial",
    "EncryptedKeyMaterial", "ImportToken",
}
# Fragments of member names that mark a secret in any casing (console-only operations have no model).
_SECRET_NAME_FRAGMENTS = ("password", "secret", "token", "plaintext", "ciphertext", "privatekey")
# Crypto operations whose records always carry the encryption algorithm, even when not sent.
_RECORDS_ALGORITHM = {"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt"}


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


# Flags whose names only look secret: CloudTrail records them (CreateLoginProfile's passwordResetRequired).
_NOT_SECRET = {"PasswordResetRequired", "passwordResetRequired"}


def looks_secret(name: str) -> bool:
    if name in _NOT_SECRET:
        return False
    lowered = name.lower()
    return name in _NEVER_RECORDED or any(fragment in lowered for fragment in _SECRET_NAME_FRAGMENTS)


def _is_blob(value) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview))


def _hidden_member(name: str, member) -> bool:
    if looks_secret(name) or member.metadata.get("sensitive") or member.type_name == "blob":
        return True
    return member.type_name == "list" and (member.member.metadata.get("sensitive") or member.member.type_name == "blob")


def _modelled_value(shape, value):
    """A request value as CloudTrail writes it, walking botocore's shape: structure members in
    camelCase, map keys (encryption contexts, tags) exactly as the caller wrote them."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        out = {}
        for name, item in value.items():
            member = shape.members.get(name)
            if item is None or member is None or _hidden_member(name, member):
                continue
            out[_camel(name)] = _modelled_value(member, item)
        return out
    if kind == "list":
        return [_modelled_value(shape.member, item) for item in value] if isinstance(value, (list, tuple)) else None
    if kind == "map":
        if not isinstance(value, dict) or shape.value.metadata.get("sensitive"):
            return None
        return {key: _modelled_value(shape.value, item) for key, item in value.items()}
    return _plain_value(value)


def _plain_value(value):
    if _is_blob(value):
        return None
    if hasattr(value, "strftime"):
        return value.strftime(TIME_FORMAT)
    return value


def _unmodelled_value(value):
    """Console-only operations: camelCase keys, and any secret-looking member dropped at any depth."""
    if isinstance(value, dict):
        return {
            (_camel(key) if key[:1].isupper() else key): _unmodelled_value(item)
            for key, item in value.items()
            if item is not None and not _is_blob(item) and not looks_secret(key)
        }
    if isinstance(value, (list, tuple)):
        return [_unmodelled_value(item) for item in value]
    return _plain_value(value)


def request_parameters(call, spec) -> dict | None:
    op = shapes.operation_model(call.service, call.operation) if spec.modelled else None
    if op is not None and op.input_shape is not None:
        params = _modelled_value(op.input_shape, call.params or {}) or {}
    else:
        params = _unmodelled_value(call.params or {})
    if call.service == "kms" and call.operation in _RECORDS_ALGORITHM:
        params.setdefault("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
    return params or None


def scrub(value):
    """Drop secret-looking members from an operation's responseElements, at any depth."""
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items() if not looks_secret(key) and not _is_blob(item)}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return _plain_value(value)


def user_identity(principal) -> dict:
    """The caller's full identity, as its own account's copy shows it (kms.md §8.1)."""
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
        context = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role.unique_id,
                "arn": role.arn,
                "accountId": role.account_id,
                "userName": role.name,
            },
            "webIdFederationData": {},
            "attributes": {
                "creationDate": session.created_at.strftime(TIME_FORMAT),
                "mfaAuthenticated": "false",
            },
        }
        if session.source_identity:
            context["sourceIdentity"] = session.source_identity
        identity["sessionContext"] = context
    return identity


def owner_identity(principal) -> dict:
    # The key owner's copy names the caller only by account and principal id (kms.md §8.2): no ARN,
    # no access key id, no session context.
    return {"type": "AWSAccount", "principalId": principal.principal_id, "accountId": principal.account_id}


def lookup_username(principal) -> str:
    """LookupEvents' Username: the user name, the role session name, or "root"."""
    if principal.kind == "IAMUser":
        return principal.username
    if principal.kind == "AssumedRole":
        return principal.session.session_name
    return "root"


def owner_copy_username(principal) -> str:
    """Username of the key owner's copy of another account's call, from what that copy shows of the caller.

    An assumed role's principal id ends in its session name ("AROA…:Alice"), so the session name is the
    Username, as in the caller's own copy. Any other caller is named only by its principal id (a user's
    name is not in the owner's record and must not leak through the lookup column)."""
    if principal.kind == "AssumedRole":
        return principal.session.session_name
    return principal.principal_id


def _denial_explanation(call, error, caller_account: str) -> dict | None:
    """The engine's reasons for a same-account denial. A cross-account denial never carries them:
    they would describe the other account's key policy."""
    decision = error.decision or (call.decisions[-1] if call.decisions else None)
    if decision is None or getattr(decision, "cross_account", True):
        return None
    if any(resource.account_id != caller_account for resource in call.resources):
        return None
    return {
        "policyEvaluation": {
            "explanation": decision.explanation,
            "reasons": [reason.source for reason in decision.reasons],
        }
    }


def build_records(call, spec, *, error: errors.AwsError | None, now=None) -> list[AuditEvent]:
    """The AuditEvent rows of one call: one per recipient account (unsaved)."""
    now = now or timezone.now()
    principal = call.principal
    caller_account = principal.account_id
    denied = isinstance(error, errors.AccessDeniedException)
    recipients = [caller_account]
    if not denied:
        recipients += sorted({r.account_id for r in call.resources} - {caller_account})
    shared_event_id = uuid.uuid4() if len(recipients) > 1 else None

    base = {
        "eventVersion": EVENT_VERSION,
        "eventTime": now.strftime(TIME_FORMAT),
        "eventSource": call.event_source,
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": request_parameters(call, spec),
        "responseElements": scrub(call.response_elements) if error is None and call.response_elements else None,
        "requestID": call.request_id,
        "readOnly": spec.read_only,
        "resources": [{"accountId": r.account_id, "type": r.type, "ARN": r.arn} for r in call.resources],
        "eventType": "AwsConsoleSignIn" if call.operation == "ConsoleLogin" else "AwsApiCall",
        "managementEvent": True,
        "eventCategory": "Management",
    }
    if error is not None:
        base["errorCode"] = "AccessDenied" if denied else error.code
        if error.message:
            base["errorMessage"] = error.message
    if call.via_console:
        base["sessionCredentialFromConsole"] = "true"
    base.update(scrub(call.extra_record_fields))
    # A request may carry text PostgreSQL cannot hold (NUL, lone surrogates): the record shows it as U+FFFD.
    base = storable.scrub(base)
    explanation = _denial_explanation(call, error, caller_account) if denied else None

    resource = call.resources[0] if call.resources else None
    rows = []
    for recipient in recipients:
        own_copy = recipient == caller_account
        event_id = uuid.uuid4()
        record = dict(base)
        record["userIdentity"] = user_identity(principal) if own_copy else owner_identity(principal)
        record["eventID"] = str(event_id)
        record["recipientAccountId"] = recipient
        if shared_event_id:
            record["sharedEventID"] = str(shared_event_id)
        if explanation:
            record["additionalEventData"] = explanation
        rows.append(AuditEvent(
            event_id=event_id,
            recipient_account=recipient,
            region=call.region,
            event_time=now,
            event_source=call.event_source,
            event_name=call.operation,
            read_only=spec.read_only,
            # The owner's copy is searchable only by what its record shows of the caller.
            principal_arn=principal.arn if own_copy else "",
            caller_account=caller_account,
            username=lookup_username(principal) if own_copy else owner_copy_username(principal),
            access_key_id=principal.access_key_id if own_copy else "",
            resource_type=resource.type if resource else "",
            resource_arn=storable.scrub_text(resource.arn) if resource else "",
            error_code=record.get("errorCode", ""),
            request_id=call.request_id,
            shared_event_id=shared_event_id,
            record=record,
        ))
    return rows


def record_call(call, spec, *, error: errors.AwsError | None) -> list[AuditEvent]:
    """Write the call's records. A mutating call's change and records share its (durable) transaction;
    a read-only or failed call's records are its only write, committed without waiting for the disk
    (see settings.DATABASES): still atomic and visible at once, lost only by a crash within ~0.6 s.

    A speculating request (kmsconsole.statecache) writes them only while the state token it trusted is
    still current, in the same statement, and raises statecache.Stale, having written nothing, if not."""
    rows = build_records(call, spec, error=error)
    token = statecache.unconfirmed_token()
    written = insert_rows(rows, only_while_token=token)
    if token is not None:
        if written != len(rows):
            raise statecache.Stale()
        statecache.confirmed()
    return rows


def record_service_event(*, account_id: str, region: str, event_name: str, key_arn: str, details: dict,
                         now=None) -> AuditEvent:
    """A record of something KMS did by itself (eventType AwsServiceEvent, e.g. DeleteExpiredKeyMaterial):
    no caller, no request; `details` become serviceEventDetails."""
    now = now or timezone.now()
    event_id = uuid.uuid4()
    record = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {"accountId": account_id, "invokedBy": "AWS Internal"},
        "eventTime": now.strftime(TIME_FORMAT),
        "eventSource": "kms.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "AWS Internal",
        "userAgent": "AWS Internal",
        "requestParameters": None,
        "responseElements": None,
        "eventID": str(event_id),
        "readOnly": False,
        "resources": [{"accountId": account_id, "type": "AWS::KMS::Key", "ARN": key_arn}],
        "eventType": "AwsServiceEvent",
        "recipientAccountId": account_id,
        "serviceEventDetails": scrub(details),
        "managementEvent": True,
        "eventCategory": "Management",
    }
    row = AuditEvent(
        event_id=event_id, recipient_account=account_id, region=region, event_time=now,
        event_source="kms.amazonaws.com", event_name=event_name, read_only=False, principal_arn="",
        caller_account=account_id, username="", access_key_id="", resource_type="AWS::KMS::Key",
        resource_arn=key_arn, error_code="", request_id=str(uuid.uuid4()), shared_event_id=None, record=record,
    )
    insert_rows([row])
    return row


_FIELDS = AuditEvent._meta.concrete_fields


def insert_rows(rows: list[AuditEvent], *, only_while_token: str | None = None) -> int:
    """INSERT the rows in one statement (so they are written together or not at all); the number written.

    One hand-written statement instead of Model.save(): it is the one write on the hot path of every
    call. With only_while_token (PostgreSQL), rows are written only if accounts_statetoken still holds it."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy costs a context lookup
    values = [field.get_db_prep_save(getattr(row, field.attname), db) for row in rows for field in _FIELDS]
    if only_while_token is not None:
        values.append(only_while_token)
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(db.vendor, len(rows), only_while_token is not None), values)
        return cursor.rowcount


@functools.cache
def _insert_sql(vendor: str, count: int, conditional: bool) -> str:
    db = connections[DEFAULT_DB_ALIAS]
    table = db.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(db.ops.quote_name(field.column) for field in _FIELDS)
    if not conditional:
        row = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
        return f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * count)}"
    # Typed placeholders: VALUES in a subquery does not take its types from the target columns.
    row = "(" + ", ".join(f"%s::{field.db_type(db)}" for field in _FIELDS) + ")"
    return (f"INSERT INTO {table} ({columns}) SELECT * FROM (VALUES {', '.join([row] * count)}) AS v "
            "WHERE EXISTS (SELECT 1 FROM accounts_statetoken WHERE id = 1 AND token = %s)")
