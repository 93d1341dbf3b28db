"""EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, and keys past their deletion date."""

import datetime as dt

import pytest

from django.core.management import call_command
from django.utils import timezone

from keys.models import Alias, Key
from tests.api.conftest import NOBODY, SHARED_KEY_ARN, SHARED_KEY_ID, error_of
from kmsconsole import statecache


def _state(client):
    return client.describe_key(KeyId=SHARED_KEY_ID)["KeyMetadata"]


def test_disable_and_enable_are_idempotent(kms):
    client = kms()
    client.disable_key(KeyId=SHARED_KEY_ID)
    client.disable_key(KeyId=SHARED_KEY_ARN)
    assert _state(client)["KeyState"] == "Disabled" and _state(client)["Enabled"] is False
    client.enable_key(KeyId=SHARED_KEY_ID)
    client.enable_key(KeyId=SHARED_KEY_ID)
    assert _state(client)["KeyState"] == "Enabled"
    assert error_of(client.disable_key, KeyId="alias/shared")[0] == "NotFoundException"
    assert error_of(kms(NOBODY).disable_key, KeyId=SHARED_KEY_ID)[0] == "AccessDeniedException"


def test_schedule_key_deletion_default_window_and_response(kms):
    client = kms()
    result = client.schedule_key_deletion(KeyId=SHARED_KEY_ID)
    assert result["KeyId"] == SHARED_KEY_ARN
    assert result["KeyState"] == "PendingDeletion" and result["PendingWindowInDays"] == 30
    assert abs(result["DeletionDate"] - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=5)
    metadata = _state(client)
    assert metadata["KeyState"] == "PendingDeletion" and metadata["Enabled"] is False
    assert "DeletionDate" in metadata


def test_schedule_key_deletion_window_is_7_to_30_days(kms):
    for days in (6, 31):
        code, message = error_of(kms().schedule_key_deletion, KeyId=SHARED_KEY_ID, PendingWindowInDays=days)
        assert code == "ValidationException" and str(days) in message


def test_states_refuse_what_they_must(kms):
    client = kms()
    assert error_of(client.cancel_key_deletion, KeyId=SHARED_KEY_ID) == (
        "KMSInvalidStateException", f"{SHARED_KEY_ARN} is not pending deletion.")
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    assert error_of(client.schedule_key_deletion, KeyId=SHARED_KEY_ID) == (
        "KMSInvalidStateException", f"{SHARED_KEY_ARN} is pending deletion.")
    assert error_of(client.enable_key, KeyId=SHARED_KEY_ID) == (
        "KMSInvalidStateException", f"{SHARED_KEY_ARN} is pending deletion.")
    assert error_of(client.update_key_description, KeyId=SHARED_KEY_ID, Description="x")[0] == \
        "KMSInvalidStateException"


def test_cancel_key_deletion_leaves_the_key_disabled(kms):
    client = kms()
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    assert client.cancel_key_deletion(KeyId=SHARED_KEY_ID)["KeyId"] == SHARED_KEY_ARN
    metadata = _state(client)
    assert metadata["KeyState"] == "Disabled" and "DeletionDate" not in metadata
    client.enable_key(KeyId=SHARED_KEY_ID)
    assert _state(client)["KeyState"] == "Enabled"


def test_a_key_past_its_deletion_date_is_gone(kms):
    client = kms()
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    Key.objects.filter(key_id=SHARED_KEY_ID).update(deletion_date=timezone.now() - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed
    assert error_of(client.describe_key, KeyId=SHARED_KEY_ID)[0] == "NotFoundException"
    assert error_of(client.describe_key, KeyId="alias/shared")[0] == "NotFoundException"
    assert SHARED_KEY_ID not in {k["KeyId"] for k in client.list_keys()["Keys"]}
    assert not Alias.objects.filter(name="alias/shared").exists()
    assert not Key.objects.filter(key_id=SHARED_KEY_ID).exists()


def test_a_failed_call_on_a_key_past_its_deletion_date_still_deletes_it_and_frees_its_alias(kms):
    client = kms()
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    Key.objects.filter(key_id=SHARED_KEY_ID).update(deletion_date=timezone.now() - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed
    assert error_of(client.describe_key, KeyId=SHARED_KEY_ID)[0] == "NotFoundException"

    assert not Key.objects.filter(key_id=SHARED_KEY_ID).exists()
    # As on AWS, the deleted key's alias name is free again.
    successor = client.create_key()["KeyMetadata"]["KeyId"]
    client.create_alias(AliasName="alias/shared", TargetKeyId=successor)
    assert client.describe_key(KeyId="alias/shared")["KeyMetadata"]["KeyId"] == successor


def test_delete_due_keys_command(kms, capsys):
    client = kms()
    waiting = client.create_key()["KeyMetadata"]["KeyId"]
    client.schedule_key_deletion(KeyId=waiting, PendingWindowInDays=7)
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    Key.objects.filter(key_id=SHARED_KEY_ID).update(deletion_date=timezone.now() - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed
    call_command("delete_due_keys")
    assert "deleted 1 key(s)" in capsys.readouterr().out
    assert not Key.objects.filter(key_id=SHARED_KEY_ID).exists()
    assert Key.objects.filter(key_id=waiting).exists()


def test_demo_key_admin_manages_the_key_and_the_outsider_cannot_see_it(demo, aws):
    from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, access_key_of

    admin = aws("kms", access_key_of(demo, OWNER, "KeyAdmin"))
    admin.disable_key(KeyId=DEMO_KEY_ID)
    assert admin.describe_key(KeyId="alias/ExampleKey")["KeyMetadata"]["KeyState"] == "Disabled"
    admin.enable_key(KeyId=DEMO_KEY_ID)
    eve = aws("kms", access_key_of(demo, OUTSIDER, "Eve"))
    code, message = error_of(eve.describe_key, KeyId=DEMO_KEY_ARN)
    assert code == "AccessDeniedException"
    assert message == (f"User: arn:aws:iam::{OUTSIDER}:user/Eve is not authorized to perform: kms:DescribeKey on "
                       "this resource because the resource does not exist in this Region, no resource-based "
                       "policies allow access, or a resource-based policy explicitly denies access")


def _make_shared_key_due():
    Key.objects.filter(key_id=SHARED_KEY_ID).update(state="PendingDeletion",
                                                   deletion_date=timezone.now() - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed


def test_the_alias_of_a_key_past_its_deletion_date_is_free_for_a_new_key(kms):
    kms = kms()
    _make_shared_key_due()
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/shared", TargetKeyId=other)
    assert kms.describe_key(KeyId="alias/shared")["KeyMetadata"]["KeyId"] == other


def test_the_alias_of_a_key_past_its_deletion_date_can_be_neither_moved_nor_deleted(kms):
    kms = kms()
    _make_shared_key_due()
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    assert error_of(kms.update_alias, AliasName="alias/shared", TargetKeyId=other)[0] == "NotFoundException"
    assert error_of(kms.delete_alias, AliasName="alias/shared")[0] == "NotFoundException"
    assert not Key.objects.filter(key_id=SHARED_KEY_ID).exists()
