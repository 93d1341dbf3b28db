"""GetKeyLastUsage: the key's last successful cryptographic operation, read from the audit trail.

The trail already holds every call, so nothing is written on the hot path to answer this. The owner's copy of
each record is the one consulted (a cross-account call has one in the key owner's account), so the event id is
the owner's, as AWS answers. Tracking starts with the oldest record the account still keeps in the key's Region
(`manage.py prune_audit` moves it forward); a key older than that (or loaded from a scenario file, which writes
no record) may have been used before it.
"""

from __future__ import annotations

from audit.models import AuditEvent
from awsapi.dispatch import operation
from keys.authz import authorize_key
from keys.operations import common
from keys.resolve import resolve_key

# The operations GetKeyLastUsage reports (botocore's enum for KeyLastUsage.Operation).
TRACKED_OPERATIONS = (
    "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "ReEncrypt", "Sign",
    "Verify", "VerifyMac", "Encapsulate", "Decapsulate",
)


@operation("kms", "GetKeyLastUsage", read_only=True)
def get_key_last_usage(call):
    key = resolve_key(call, call.params["KeyId"], action="kms:GetKeyLastUsage")
    authorize_key(call, key, "kms:GetKeyLastUsage")
    common.require_state(key, "GetKeyLastUsage")
    trail = AuditEvent.objects.filter(recipient_account=key.account_id, region=key.region)
    last = (trail.filter(resource_arn=key.arn, error_code="", event_name__in=TRACKED_OPERATIONS)
            .order_by("-event_time").values("event_name", "event_time", "event_id", "request_id").first())
    result = {"KeyId": key.arn, "KeyCreationDate": key.created_at, "TrackingStartDate": _tracking_start(trail, key)}
    if last:
        result["KeyLastUsage"] = {"Operation": last["event_name"], "Timestamp": last["event_time"],
                                  "CloudTrailEventId": str(last["event_id"]), "KmsRequestId": last["request_id"]}
    return result


def _tracking_start(trail, key):
    """The oldest record the account keeps here; a key whose own CreateKey is recorded is tracked from birth."""
    oldest = trail.order_by("event_time").values_list("event_time", flat=True).first()
    if oldest is None or oldest <= key.created_at:
        return oldest or key.created_at
    if trail.filter(resource_arn=key.arn, event_name="CreateKey", error_code="").exists():
        return key.created_at
    return oldest
