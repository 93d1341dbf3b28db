"""CreateAlias, UpdateAlias, DeleteAlias and ListAliases through boto3."""

from tests.api.conftest import BOB, KEY_ONLY, SHARED_KEY_ARN, SHARED_KEY_ID, error_of
from tests.conftest import OWNER, REGION, TRUSTED


def customer_aliases(client, **params):
    """ListAliases without the AWS managed aliases every account lists (tests/api/test_aws_exact_answers.py)."""
    return [a for a in client.list_aliases(**params)["Aliases"] if not a["AliasName"].startswith("alias/aws/")]


def test_create_alias_then_use_it_and_list_it(kms):
    client = kms()
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.create_alias(AliasName="alias/payments", TargetKeyId=key_id)
    assert client.describe_key(KeyId="alias/payments")["KeyMetadata"]["KeyId"] == key_id
    entries = {a["AliasName"]: a for a in customer_aliases(client)}
    assert set(entries) == {"alias/payments", "alias/shared"}
    entry = entries["alias/payments"]
    assert entry["AliasArn"] == f"arn:aws:kms:{REGION}:{OWNER}:alias/payments"
    assert entry["TargetKeyId"] == key_id
    assert "CreationDate" in entry and "LastUpdatedDate" in entry
    only = client.list_aliases(KeyId=key_id)["Aliases"]
    assert [a["AliasName"] for a in only] == ["alias/payments"]


def test_create_alias_errors(kms):
    client = kms()
    assert error_of(client.create_alias, AliasName="alias/shared", TargetKeyId=SHARED_KEY_ID) == (
        "AlreadyExistsException", f"An alias with the name arn:aws:kms:{REGION}:{OWNER}:alias/shared already exists")
    assert error_of(client.create_alias, AliasName="payments", TargetKeyId=SHARED_KEY_ID) == (
        "ValidationException",
        'Alias must start with the prefix "alias/". Please see '
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
    assert error_of(client.create_alias, AliasName="alias/aws/s3", TargetKeyId=SHARED_KEY_ID)[0] == \
        "InvalidAliasNameException"
    assert error_of(client.create_alias, AliasName="alias/x", TargetKeyId="alias/shared")[0] == "NotFoundException"


def test_create_alias_needs_permission_on_the_alias_from_iam(kms):
    # KeyOnly's IAM policy covers keys but not alias ARNs: the key half passes, the alias half does not.
    code, message = error_of(kms(KEY_ONLY).create_alias, AliasName="alias/mine", TargetKeyId=SHARED_KEY_ID)
    assert code == "AccessDeniedException"
    assert "alias/mine" in message and "kms:CreateAlias" in message


def test_alias_operations_do_not_work_across_accounts(kms):
    code, _ = error_of(kms(BOB).create_alias, AliasName="alias/theirs", TargetKeyId=SHARED_KEY_ARN)
    assert code == "AccessDeniedException"
    assert customer_aliases(kms(BOB)) == []
    assert error_of(kms(BOB).list_aliases, KeyId=SHARED_KEY_ARN)[0] == "AccessDeniedException"


def test_update_alias_moves_it_to_a_key_of_the_same_kind(kms):
    client = kms()
    new_key = client.create_key()["KeyMetadata"]["KeyId"]
    client.update_alias(AliasName="alias/shared", TargetKeyId=new_key)
    assert client.describe_key(KeyId="alias/shared")["KeyMetadata"]["KeyId"] == new_key
    signer = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert error_of(client.update_alias, AliasName="alias/shared", TargetKeyId=signer)[0] == "ValidationException"
    assert error_of(client.update_alias, AliasName="alias/none", TargetKeyId=new_key) == (
        "NotFoundException", f"Alias arn:aws:kms:{REGION}:{OWNER}:alias/none is not found.")


def test_update_alias_may_leave_but_not_target_a_key_pending_deletion(kms):
    client = kms()
    doomed = client.create_key()["KeyMetadata"]["KeyId"]
    client.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    code, message = error_of(client.update_alias, AliasName="alias/shared", TargetKeyId=doomed)
    assert code == "KMSInvalidStateException" and message.endswith("is pending deletion.")
    client.create_alias(AliasName="alias/leaving", TargetKeyId=SHARED_KEY_ID)
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    fresh = client.create_key()["KeyMetadata"]["KeyId"]
    client.update_alias(AliasName="alias/leaving", TargetKeyId=fresh)
    assert client.describe_key(KeyId="alias/leaving")["KeyMetadata"]["KeyId"] == fresh


def test_delete_alias(kms):
    client = kms()
    client.delete_alias(AliasName="alias/shared")
    assert customer_aliases(client) == []
    assert error_of(client.delete_alias, AliasName="alias/shared")[0] == "NotFoundException"
    assert error_of(kms(KEY_ONLY).delete_alias, AliasName="alias/other")[0] == "NotFoundException"


def test_list_aliases_pages(kms):
    client = kms()
    for n in range(3):
        client.create_alias(AliasName=f"alias/page-{n}", TargetKeyId=SHARED_KEY_ID)
    first = client.list_aliases(Limit=2)
    assert first["Truncated"] is True
    rest = client.list_aliases(Limit=2, Marker=first["NextMarker"])
    names = [a["AliasName"] for a in first["Aliases"] + rest["Aliases"]]
    assert names == ["alias/page-0", "alias/page-1", "alias/page-2", "alias/shared"]
    assert customer_aliases(kms(region="us-east-1")) == []
    assert TRUSTED not in str(names)
