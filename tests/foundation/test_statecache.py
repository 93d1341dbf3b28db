"""The process-local state cache is exactly as fresh as the database (kmsconsole/statecache.py)."""

import pytest
from botocore.exceptions import ClientError

from accounts.models import AccessKey, InlinePolicy, StateToken
from kmsconsole import statecache
from tests.conftest import DEMO_KEY_ARN, OWNER, access_key_of


def _token():
    return StateToken.objects.values_list("token", flat=True).first()


def test_every_saved_change_to_what_authorisation_reads_moves_the_token(demo):
    before = _token()
    policy = InlinePolicy.objects.filter(user__account_id=OWNER).first()
    policy.save()
    assert _token() != before


def test_a_removed_iam_policy_takes_effect_on_the_very_next_call(demo, aws):
    # KeyAdmin may Encrypt only through its IAM kms:* (the key policy names it as administrator only).
    kms = aws("kms", access_key_of(demo, OWNER, "KeyAdmin"))
    kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"fills the cache")
    InlinePolicy.objects.filter(user__account_id=OWNER, user__name="KeyAdmin").delete()
    with pytest.raises(ClientError) as denied:
        kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"fills the cache")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_deactivated_access_key_is_refused_on_the_very_next_call(demo, aws):
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    kms = aws("kms", credentials)
    kms.list_keys()
    key = AccessKey.objects.get(access_key_id=credentials[0])
    key.status = AccessKey.INACTIVE
    key.save()
    with pytest.raises(ClientError) as refused:
        kms.list_keys()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_bulk_update_is_seen_once_it_bumps_the_token(demo, aws):
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    kms = aws("kms", credentials)
    kms.list_keys()
    AccessKey.objects.filter(access_key_id=credentials[0]).update(status=AccessKey.INACTIVE)
    statecache.bump()
    with pytest.raises(ClientError) as refused:
        kms.list_keys()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_nothing_is_cached_outside_a_request(demo):
    loads = []
    statecache.get("probe", 1, lambda: loads.append(1))
    statecache.get("probe", 1, lambda: loads.append(1))
    assert len(loads) == 2


def test_inside_a_request_a_value_is_loaded_once_until_the_token_moves(demo):
    loads = []
    with statecache.request_scope():
        statecache.get("probe", 2, lambda: loads.append(1) or "v")
        assert statecache.get("probe", 2, lambda: loads.append(1) or "v") == "v"
    assert len(loads) == 1
    statecache.bump()
    with statecache.request_scope():
        statecache.get("probe", 2, lambda: loads.append(1) or "v")
    assert len(loads) == 2
