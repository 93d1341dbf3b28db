"""Micro-benchmark of keys.crypto and accounts.sigv4: operations per second on this machine.

    .venv/bin/python bench/bench_crypto.py [seconds-per-case]
"""

import pathlib
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from accounts import sigv4  # noqa: E402
from keys import crypto  # noqa: E402


def rate(function, seconds):
    function()  # warm caches (parsed keys) the way a running server has them
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        function()
        count += 1
    return count / (time.perf_counter() - start)


def signed_kms_request():
    body = b'{"KeyId": "alias/ExampleKey", "Plaintext": "aGVsbG8="}'
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8000/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"},
    )
    SigV4Auth(Credentials("AKIAEXAMPLE000000001", "secret", None), "kms", "us-east-2").add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers["host"] = "127.0.0.1:8000"
    return headers, body


def sigv4_full_check(headers, body):
    signed = sigv4.parse_authorization(headers)
    sigv4.check_clock_skew(signed, datetime.now(timezone.utc))
    sigv4.check_scope(signed, expected_service="kms")
    sigv4.verify_signature(
        signed, method="POST", host="127.0.0.1:8000", path="/", query_string="", headers=headers, body=body,
        secret_access_key="secret",
    )


def cases():
    symmetric, material_id = crypto.generate_key_material("SYMMETRIC_DEFAULT"), crypto.new_material_id()
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    context = {"Department": "Finance"}
    blob = crypto.encrypt_symmetric(symmetric, key_id, material_id, b"x" * 32, context)
    master = crypto.master_cipher(crypto.generate_master_key())
    sealed = crypto.seal(master, symmetric)
    rsa, ecc = crypto.generate_key_material("RSA_2048"), crypto.generate_key_material("ECC_NIST_P256")
    rsa_signature = crypto.sign("RSA_2048", rsa, "RSASSA_PSS_SHA_256", b"message")
    ecc_signature = crypto.sign("ECC_NIST_P256", ecc, "ECDSA_SHA_256", b"message")
    hmac_key = crypto.generate_key_material("HMAC_256")
    headers, body = signed_kms_request()
    return {
        "encrypt_symmetric (32 B)": lambda: crypto.encrypt_symmetric(symmetric, key_id, material_id, b"x" * 32, context),
        "decrypt_symmetric (32 B)": lambda: crypto.decrypt_symmetric(symmetric, blob, context),
        "unseal (master key)": lambda: crypto.unseal(master, sealed),
        "sign RSA_2048 PSS": lambda: crypto.sign("RSA_2048", rsa, "RSASSA_PSS_SHA_256", b"message"),
        "verify RSA_2048 PSS": lambda: crypto.verify("RSA_2048", rsa, "RSASSA_PSS_SHA_256", b"message", rsa_signature),
        "sign ECC_NIST_P256": lambda: crypto.sign("ECC_NIST_P256", ecc, "ECDSA_SHA_256", b"message"),
        "verify ECC_NIST_P256": lambda: crypto.verify("ECC_NIST_P256", ecc, "ECDSA_SHA_256", b"message", ecc_signature),
        "generate_mac HMAC_256": lambda: crypto.generate_mac("HMAC_256", hmac_key, "HMAC_SHA_256", b"message"),
        "generate_key_material RSA_2048": lambda: crypto.generate_key_material("RSA_2048"),
        "generate_data_key_pair ECC_NIST_P256": lambda: crypto.generate_data_key_pair("ECC_NIST_P256"),
        "sigv4 parse+skew+scope+verify": lambda: sigv4_full_check(headers, body),
    }


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    for name, function in cases().items():
        per_second = rate(function, seconds)
        print(f"{name:40s} {per_second:12,.0f} ops/s  {1e6 / per_second:10,.1f} µs/op")


if __name__ == "__main__":
    main()
