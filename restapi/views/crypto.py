"""Encrypt, decrypt and generate a data key with a key: the KMS operations themselves, with their members in
base64 as on the AWS API. Plaintext is used for this one answer only: never stored, logged or recorded."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from restapi import wire
from restapi.base import KEY_PARAMETER, SpeculativeApiView, body, body_members, responses, run


def _crypto_view(operation: str, verb: str, summary: str):
    class KeyCrypto(SpeculativeApiView):
        @extend_schema(operation_id=f"keys_{verb.replace('-', '_')}", summary=summary, parameters=[KEY_PARAMETER],
                       request=body(wire.input_schema("kms", operation)),
                       responses=responses(wire.output_schema("kms", operation)))
        def post(self, request, key):
            result, _ = run(request, "kms", operation, wire=body_members(request), KeyId=key)
            return Response(wire.encode_output("kms", operation, result))

    KeyCrypto.__name__ = KeyCrypto.__qualname__ = f"Key{operation}"
    return KeyCrypto


KeyEncrypt = _crypto_view("Encrypt", "encrypt", "Encrypt up to 4 KiB with the key (Encrypt); Plaintext in base64")
KeyDecrypt = _crypto_view("Decrypt", "decrypt", "Decrypt a ciphertext of the key (Decrypt); CiphertextBlob in "
                          "base64")
KeyGenerateDataKey = _crypto_view("GenerateDataKey", "generate-data-key", "A data key, in plaintext and "
                                  "encrypted under the key (GenerateDataKey)")
