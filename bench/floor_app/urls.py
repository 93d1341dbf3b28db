"""POST / -> a bare Encrypt: parse, AES-GCM, one audit row."""

import base64
import json
import secrets
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from rest_framework.views import APIView

from audit.models import AuditEvent
from audit.trail import insert_rows

_KEY = AESGCM(secrets.token_bytes(32))  # per process; the floor needs no key management
_KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_ACCOUNT = "111122223333"
_CALLER_ARN = "arn:aws:iam::111122223333:user/KeyAdmin"
_ACCESS_KEY_ID = "AKIADEMOKEYADMIN0001"
_PRINCIPAL_ID = "AIDAF3I1Q74VN2HOFW1YL"  # the same length as the demo's generated ids


class BareEncrypt(APIView):
    authentication_classes = []
    permission_classes = []
    parser_classes = []

    def post(self, request):
        body = json.loads(request._request.body)
        plaintext = base64.b64decode(body["Plaintext"])
        iv = secrets.token_bytes(12)
        blob = iv + _KEY.encrypt(iv, plaintext, json.dumps(body.get("EncryptionContext") or {}).encode())
        now = timezone.now()
        event_id, request_id = uuid.uuid4(), str(uuid.uuid4())
        # The same record, and the same row, that our server writes for this call (the floor does not
        # authenticate, so the caller is the demo's KeyAdmin, whose key the benchmark signs with).
        record = {"eventVersion": "1.11", "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "eventSource": "kms.amazonaws.com", "eventName": "Encrypt", "awsRegion": "us-west-2",
                  "sourceIPAddress": request._request.META.get("REMOTE_ADDR", ""),
                  "userAgent": request._request.headers.get("User-Agent", ""),
                  "requestParameters": {"keyId": body["KeyId"], "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                  "responseElements": None, "requestID": request_id, "readOnly": True,
                  "resources": [{"accountId": _ACCOUNT, "type": "AWS::KMS::Key", "ARN": _KEY_ARN}],
                  "eventType": "AwsApiCall", "managementEvent": True, "eventCategory": "Management",
                  "userIdentity": {"type": "IAMUser", "principalId": _PRINCIPAL_ID, "arn": _CALLER_ARN,
                                   "accountId": _ACCOUNT, "accessKeyId": _ACCESS_KEY_ID, "userName": "KeyAdmin"},
                  "eventID": str(event_id), "recipientAccountId": _ACCOUNT}
        # One INSERT with autocommit, through the same writer the real server uses.
        insert_rows([AuditEvent(
            event_id=event_id, recipient_account=_ACCOUNT, region="us-west-2", event_time=now,
            event_source="kms.amazonaws.com", event_name="Encrypt", read_only=True, principal_arn=_CALLER_ARN,
            caller_account=_ACCOUNT, username="KeyAdmin", access_key_id=_ACCESS_KEY_ID, resource_type="AWS::KMS::Key",
            resource_arn=_KEY_ARN, error_code="", request_id=request_id, shared_event_id=None, record=record)])
        answer = {"CiphertextBlob": base64.b64encode(blob).decode(), "KeyId": _KEY_ARN,
                  "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        return HttpResponse(json.dumps(answer), content_type="application/x-amz-json-1.1")


urlpatterns = [path("", BareEncrypt.as_view())]
