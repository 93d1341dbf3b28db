"""The README's claim, with the real AWS CLI and the demo's own principals: a cross-account Encrypt by the
ExampleRole session of 444455556666 is found by `aws cloudtrail lookup-events` from both accounts, as KeyAdmin
of 111122223333 and as IamAdmin of 444455556666 (each may call cloudtrail:LookupEvents in its own account)."""

import json

from tests.awscli import cli_environment, run_aws
from tests.conftest import DEMO_KEY_ARN, OWNER, TRUSTED, access_key_of


def lookup_events(live_server, tmp_path, credentials, *args) -> dict:
    done = run_aws(cli_environment(live_server.url, tmp_path, credentials), "cloudtrail", "lookup-events", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_both_accounts_find_the_cross_account_encrypt_with_the_cli(demo, aws, live_server, tmp_path):
    alice = access_key_of(demo, TRUSTED, "Alice")
    session = aws("sts", alice).assume_role(RoleArn=f"arn:aws:iam::{TRUSTED}:role/ExampleRole",
                                            RoleSessionName="readme")["Credentials"]
    aws("kms", (session["AccessKeyId"], session["SecretAccessKey"]),
        session_token=session["SessionToken"]).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"Hello, KMS")

    session_arn = f"arn:aws:sts::{TRUSTED}:assumed-role/ExampleRole/readme"
    found = {}
    for account, user in ((OWNER, "KeyAdmin"), (TRUSTED, "IamAdmin")):
        events = lookup_events(live_server, tmp_path, access_key_of(demo, account, user),
                               "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Encrypt")["Events"]
        assert len(events) == 1, (account, events)
        found[account] = json.loads(events[0]["CloudTrailEvent"])
        assert found[account]["recipientAccountId"] == account
        assert found[account]["resources"][0]["ARN"] == DEMO_KEY_ARN

    assert found[TRUSTED]["userIdentity"]["arn"] == session_arn
    # The key owner's copy names the caller by account and principal id only, as CloudTrail does.
    assert found[OWNER]["userIdentity"]["type"] == "AWSAccount"
    assert found[OWNER]["userIdentity"]["accountId"] == TRUSTED
    assert found[OWNER]["userIdentity"]["principalId"].endswith(":readme")
    assert found[OWNER]["sharedEventID"] == found[TRUSTED]["sharedEventID"]


def test_the_outsiders_denied_call_is_in_its_own_account_only(demo, aws, live_server, tmp_path):
    import botocore.exceptions
    import pytest

    eve = access_key_of(demo, "777788889999", "Eve")
    with pytest.raises(botocore.exceptions.ClientError):
        aws("kms", eve).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")

    owner_view = lookup_events(live_server, tmp_path, access_key_of(demo, OWNER, "KeyAdmin"),
                               "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Encrypt")
    assert owner_view["Events"] == []
