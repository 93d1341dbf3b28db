"""The database itself refuses rows that break the model's rules, whatever code writes them."""

import pytest
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from accounts.models import AccessKey, Account, IamRole, IamUser, InlinePolicy, RoleSession
from keys.models import Alias, Grant, Key, KeyMaterial, KeyPolicyVersion

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def refused(make) -> bool:
    """Whether the database refuses the row: a CHECK or UNIQUE constraint (IntegrityError), or on PostgreSQL a
    value longer than its column (DataError), which SQLite leaves to the CHECK constraint."""
    try:
        with transaction.atomic():
            make()
    except (IntegrityError, DataError):
        return True
    return False


@pytest.fixture
def owner():
    return Account.objects.create(id="111122223333", alias="key-owner")


@pytest.fixture
def key(owner):
    return Key.objects.create(account=owner, region="us-west-2", key_id="1234abcd-12ab-34cd-56ef-1234567890ab", created_at=NOW, policy="{}")


@pytest.mark.parametrize("account_id", ["12345", "1111222233334", "11112222333a", ""])
def test_account_id_must_be_12_digits(account_id):
    assert refused(lambda: Account.objects.create(id=account_id))


@pytest.mark.parametrize("alias", ["Key-Owner", "-owner", "owner-", "has space", "under_score", "x" * 64])
def test_account_alias_format(alias):
    assert refused(lambda: Account.objects.create(id="111122223333", alias=alias))


def test_account_alias_is_unique(owner):
    assert refused(lambda: Account.objects.create(id="444455556666", alias="key-owner"))


def test_a_good_account_is_accepted():
    assert not refused(lambda: Account.objects.create(id="444455556666", alias="key-user"))


@pytest.mark.parametrize("key_id", ["AKIA123", "akiaabcdefghijklmnop", "AKIDABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOPQ"])
def test_access_key_id_form(owner, key_id):
    assert refused(lambda: AccessKey.objects.create(access_key_id=key_id, account=owner, secret_sealed=b"x"))


def test_asia_access_keys_belong_to_sessions_only(owner):
    assert refused(lambda: AccessKey.objects.create(access_key_id="ASIAABCDEFGHIJKLMNOP", account=owner, secret_sealed=b"x"))


def test_session_access_keys_must_be_asia(owner):
    role = IamRole.objects.create(account=owner, name="ExampleRole", trust_policy="{}")
    session = RoleSession.objects.create(role=role, session_name="demo", source_arn=owner.root_arn, expires_at=NOW)
    assert refused(
        lambda: AccessKey.objects.create(access_key_id="AKIAABCDEFGHIJKLMNOP", account=owner, session=session, secret_sealed=b"x")
    )
    assert not refused(
        lambda: AccessKey.objects.create(access_key_id="ASIAABCDEFGHIJKLMNOP", account=owner, session=session, secret_sealed=b"x")
    )


def test_user_name_is_unique_per_account(owner):
    IamUser.objects.create(account=owner, name="Alice")
    assert refused(lambda: IamUser.objects.create(account=owner, name="Alice"))
    other = Account.objects.create(id="444455556666")
    assert not refused(lambda: IamUser.objects.create(account=other, name="Alice"))


@pytest.mark.parametrize("name", ["has space", "", "x" * 65, "slash/name"])
def test_user_name_format(owner, name):
    assert refused(lambda: IamUser.objects.create(account=owner, name=name))


def test_user_path_format(owner):
    assert refused(lambda: IamUser.objects.create(account=owner, name="Alice", path="no-slashes"))


def test_user_unique_id_is_aida(owner):
    assert refused(lambda: IamUser.objects.create(account=owner, name="Alice", unique_id="AROAABCDEFGHIJKLMNOPQ"))


def test_role_name_is_unique_per_account_and_session_duration_bounded(owner):
    IamRole.objects.create(account=owner, name="ExampleRole", trust_policy="{}")
    assert refused(lambda: IamRole.objects.create(account=owner, name="ExampleRole", trust_policy="{}"))
    assert refused(lambda: IamRole.objects.create(account=owner, name="Short", trust_policy="{}", max_session_duration=60))


def test_inline_policy_has_exactly_one_owner(owner):
    user = IamUser.objects.create(account=owner, name="Alice")
    role = IamRole.objects.create(account=owner, name="ExampleRole", trust_policy="{}")
    assert refused(lambda: InlinePolicy.objects.create(name="Both", document="{}", user=user, role=role))
    assert refused(lambda: InlinePolicy.objects.create(name="Neither", document="{}"))
    InlinePolicy.objects.create(name="Mine", document="{}", user=user)
    assert refused(lambda: InlinePolicy.objects.create(name="Mine", document="{}", user=user))


@pytest.mark.parametrize("key_id", ["1234ABCD-12AB-34CD-56EF-1234567890AB", "not-a-key", "mrk-123", "1234abcd12ab34cd56ef1234567890ab"])
def test_key_id_format(owner, key_id):
    assert refused(lambda: Key.objects.create(account=owner, region="us-west-2", key_id=key_id, created_at=NOW, policy="{}"))


def test_multi_region_key_id_is_accepted(owner):
    assert not refused(
        lambda: Key.objects.create(account=owner, region="us-west-2", key_id="mrk-" + "a" * 32, created_at=NOW, policy="{}")
    )


def test_key_state_and_usage_are_known_values(owner):
    assert refused(lambda: Key.objects.create(account=owner, region="us-west-2", state="Sleeping", created_at=NOW, policy="{}"))
    assert refused(lambda: Key.objects.create(account=owner, region="us-west-2", key_usage="ENCRYPT", created_at=NOW, policy="{}"))


def test_pending_deletion_needs_a_deletion_date(owner):
    assert refused(lambda: Key.objects.create(account=owner, region="us-west-2", state="PendingDeletion", created_at=NOW, policy="{}"))


def test_key_arn_is_unique(key):
    assert refused(lambda: Key.objects.create(account=key.account, region="us-west-2", key_id=key.key_id, created_at=NOW, policy="{}"))


def test_alias_is_unique_per_account_and_region(key):
    Alias.objects.create(account=key.account, region="us-west-2", name="alias/ExampleKey", key=key, created_at=NOW, updated_at=NOW)
    assert refused(
        lambda: Alias.objects.create(account=key.account, region="us-west-2", name="alias/ExampleKey", key=key, created_at=NOW, updated_at=NOW)
    )
    assert not refused(
        lambda: Alias.objects.create(account=key.account, region="eu-west-1", name="alias/ExampleKey", key=key, created_at=NOW, updated_at=NOW)
    )


@pytest.mark.parametrize("name", ["ExampleKey", "alias/", "alias/has space", "alias/é"])
def test_alias_name_format(key, name):
    assert refused(lambda: Alias.objects.create(account=key.account, region="us-west-2", name=name, key=key, created_at=NOW, updated_at=NOW))


@pytest.mark.parametrize("grant_id", ["abc", "G" * 64, "A" * 64])
def test_grant_id_format(key, grant_id):
    assert refused(
        lambda: Grant.objects.create(
            grant_id=grant_id, key=key, grantee_principal="arn:aws:iam::444455556666:root", operations=["Decrypt"],
            issuing_account="111122223333", created_at=NOW,
        )
    )


def test_material_version_is_unique_per_key_and_id_is_64_hex(key):
    KeyMaterial.objects.create(key=key, version=1, material_id="a" * 64, sealed=b"x", created_at=NOW)
    assert refused(lambda: KeyMaterial.objects.create(key=key, version=1, material_id="b" * 64, sealed=b"x", created_at=NOW))
    assert refused(lambda: KeyMaterial.objects.create(key=key, version=2, material_id="xyz", sealed=b"x", created_at=NOW))


def test_policy_version_is_unique_per_key(key):
    KeyPolicyVersion.objects.create(key=key, version=1, document="{}", changed_by="x", changed_at=NOW)
    assert refused(lambda: KeyPolicyVersion.objects.create(key=key, version=1, document="{}", changed_by="x", changed_at=NOW))
