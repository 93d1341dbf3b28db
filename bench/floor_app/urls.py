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
        record = {"eventVersion": "1.11", "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "eventSource": "kms.amazonaws.com", "eventName": "Encrypt", "awsRegion": "us-west-2",
                  "requestParameters": {"keyId": body["KeyId"], "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                  "resources": [{"accountId": "111122223333", "type": "AWS::KMS::Key", "ARN": _KEY_ARN}]}
        # One INSERT with autocommit, through the same writer the real server uses.
        insert_rows([AuditEvent(
            event_id=uuid.uuid4(), recipient_account="111122223333", region="us-west-2", event_time=now,
            event_source="kms.amazonaws.com", event_name="Encrypt", read_only=True, request_id=str(uuid.uuid4()),
            resource_type="AWS::KMS::Key", resource_arn=_KEY_ARN, record=record)])
        answer = {"CiphertextBlob": base64.b64encode(blob).decode(), "KeyId": _KEY_ARN,
                  "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        return HttpResponse(json.dumps(answer), content_type="application/x-amz-json-1.1")


urlpatterns = [path("", BareEncrypt.as_view())]
