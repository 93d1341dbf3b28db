"""The AWS example, second half: Alice in 444455556666 assumes ExampleRole and encrypts with the key of
111122223333 by key ARN, using the session credentials STS gave her (scenarios/demo.yaml)."""

import pytest
from botocore.exceptions import ClientError

from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, TRUSTED, access_key_of

EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"


def test_alice_assumes_example_role_and_encrypts_with_the_owners_key(demo, aws):
    alice = aws("sts", access_key_of(demo, TRUSTED, "Alice"))
    assumed = alice.assume_role(RoleArn=EXAMPLE_ROLE, RoleSessionName="alice")
    creds = assumed["Credentials"]
    kms = aws("kms", (creds["AccessKeyId"], creds["SecretAccessKey"]), session_token=creds["SessionToken"])

    encrypted = kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"cross-account secret")
    assert encrypted["KeyId"] == DEMO_KEY_ARN
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], KeyId=DEMO_KEY_ARN)
    assert decrypted["Plaintext"] == b"cross-account secret"

    # A key id alone means a key of the caller's own account: the owner's key is reached only by ARN.
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=DEMO_KEY_ID, Plaintext=b"x")
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"


def test_alice_herself_cannot_use_the_owners_key_without_the_role(demo, aws):
    kms = aws("kms", access_key_of(demo, TRUSTED, "Alice"))
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
