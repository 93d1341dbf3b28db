"""Grants through boto3 against the live server (kms.md §5): CreateGrant, ListGrants, ListRetirableGrants,
RetireGrant, RevokeGrant, grant tokens and constraints. Grants take effect at once."""

import base64
import re

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OWNER, REGION, TRUSTED

KEY = "0000cccc-0000-4000-8000-000000000001"
SIGNING_KEY = "0000cccc-0000-4000-8000-000000000002"
DISABLED_KEY = "0000cccc-0000-4000-8000-000000000003"
ADMIN = ("AKIAGRANTSADMIN00001", "grants-admin-secret-not-secret-000001")
CAROL = ("AKIAGRANTSCAROL00001", "grants-carol-secret-not-secret-000001")
DAVE = ("AKIAGRANTSDAVE000001", "grants-dave-secret-not-secret-0000001")
BOB = ("AKIAGRANTSBOB0000001", "grants-bob-secret-not-secret-00000001")
CAROL_ARN = f"arn:aws:iam::{OWNER}:user/Carol"
DAVE_ARN = f"arn:aws:iam::{OWNER}:user/Dave"
BOB_ARN = f"arn:aws:iam::{TRUSTED}:user/Bob"


def arn(key_id):
    return f"arn:aws:kms:{REGION}:{OWNER}:key/{key_id}"


def user(name, credentials, statements=None):
    entry = {"name": name, "access_keys": [{"access_key_id": credentials[0], "secret_access_key": credentials[1]}]}
    if statements:
        entry["inline_policies"] = {"Policy": {"Version": "2012-10-17", "Statement": statements}}
    return entry


SCENARIO = {"version": 1, "accounts": [
    {"id": OWNER,
     "users": [user("Admin", ADMIN, [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]),
               user("Carol", CAROL), user("Dave", DAVE)],
     "keys": [{"id": KEY, "region": REGION, "aliases": ["alias/granted"]},
              {"id": SIGNING_KEY, "region": REGION, "key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY"},
              {"id": DISABLED_KEY, "region": REGION, "enabled": False}]},
    {"id": TRUSTED, "users": [user("Bob", BOB)]},
]}


@pytest.fixture
def admin(transactional_db, load_scenario, aws):
    load_scenario(SCENARIO)
    return aws("kms", ADMIN)


@pytest.fixture
def carol(admin, aws):
    return aws("kms", CAROL)


@pytest.fixture
def dave(admin, aws):
    return aws("kms", DAVE)


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_a_grant_lets_a_user_with_no_policy_use_the_key_at_once(admin, carol):
    with pytest.raises(ClientError):
        carol.encrypt(KeyId=KEY, Plaintext=b"x")
    created = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt", "Decrypt"])
    assert re.fullmatch(r"[0-9a-f]{64}", created["GrantId"])
    assert base64.b64decode(created["GrantToken"]).startswith(b"\x01\x0a\x40")
    blob = carol.encrypt(KeyId=KEY, Plaintext=b"x")["CiphertextBlob"]
    assert carol.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with pytest.raises(ClientError) as excinfo:
        carol.generate_data_key(KeyId=KEY, KeySpec="AES_256")
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_grant_token_is_accepted_in_grant_tokens(admin, carol):
    token = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])["GrantToken"]
    assert carol.encrypt(KeyId=KEY, Plaintext=b"x", GrantTokens=[token])["KeyId"] == arn(KEY)


def test_list_grants_shows_entries_as_aws_does(admin):
    grant_id = admin.create_grant(KeyId=arn(KEY), GranteePrincipal=CAROL_ARN, RetiringPrincipal=DAVE_ARN,
                                  Operations=["Decrypt"],
                                  Constraints={"EncryptionContextSubset": {"Department": "IT"}})["GrantId"]
    listed = admin.list_grants(KeyId=KEY)
    assert listed["Truncated"] is False
    (entry,) = listed["Grants"]
    assert entry["KeyId"] == arn(KEY)
    assert entry["GrantId"] == grant_id
    assert entry["Name"] == ""
    assert entry["GranteePrincipal"] == CAROL_ARN
    assert entry["RetiringPrincipal"] == DAVE_ARN
    assert entry["IssuingAccount"] == f"arn:aws:iam::{OWNER}:root"
    assert entry["Operations"] == ["Decrypt"]
    assert entry["Constraints"] == {"EncryptionContextSubset": {"Department": "IT"}}
    assert entry["CreationDate"].year >= 2024


def test_list_grants_filters_and_pages(admin):
    ids = [admin.create_grant(KeyId=KEY, GranteePrincipal=grantee, Operations=["Encrypt"])["GrantId"]
           for grantee in (CAROL_ARN, DAVE_ARN, CAROL_ARN)]
    assert [g["GrantId"] for g in admin.list_grants(KeyId=KEY, GrantId=ids[1])["Grants"]] == [ids[1]]
    carols = admin.list_grants(KeyId=KEY, GranteePrincipal=CAROL_ARN)["Grants"]
    assert sorted(g["GrantId"] for g in carols) == sorted([ids[0], ids[2]])
    first = admin.list_grants(KeyId=KEY, Limit=2)
    assert first["Truncated"] is True and len(first["Grants"]) == 2
    second = admin.list_grants(KeyId=KEY, Limit=2, Marker=first["NextMarker"])
    assert second["Truncated"] is False
    assert sorted(g["GrantId"] for g in first["Grants"] + second["Grants"]) == sorted(ids)


def test_list_grants_with_an_unknown_grant_id_is_invalid_grant_id(admin):
    with pytest.raises(ClientError) as excinfo:
        admin.list_grants(KeyId=KEY, GrantId="0" * 64)
    assert error_of(excinfo)[0] == "InvalidGrantIdException"


def test_grant_constraints_decide_with_the_encryption_context(admin, carol):
    admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"],
                       Constraints={"EncryptionContextSubset": {"Department": "IT"}})
    carol.encrypt(KeyId=KEY, Plaintext=b"x", EncryptionContext={"Department": "IT", "Extra": "ok"})
    for context in ({}, {"Department": "HR"}):
        with pytest.raises(ClientError) as excinfo:
            carol.encrypt(KeyId=KEY, Plaintext=b"x", EncryptionContext=context)
        assert error_of(excinfo)[0] == "AccessDeniedException"


def test_encryption_context_equals_needs_exactly_the_same_pairs(admin, dave):
    admin.create_grant(KeyId=KEY, GranteePrincipal=DAVE_ARN, Operations=["GenerateDataKey"],
                       Constraints={"EncryptionContextEquals": {"app": "billing"}})
    dave.generate_data_key(KeyId=KEY, KeySpec="AES_256", EncryptionContext={"app": "billing"})
    with pytest.raises(ClientError) as excinfo:
        dave.generate_data_key(KeyId=KEY, KeySpec="AES_256", EncryptionContext={"app": "billing", "x": "y"})
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_same_name_and_parameters_return_the_same_grant_with_a_new_token(admin):
    first = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"], Name="batch-job")
    again = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"], Name="batch-job")
    assert again["GrantId"] == first["GrantId"] and again["GrantToken"] != first["GrantToken"]
    other = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Decrypt"], Name="batch-job")
    assert other["GrantId"] != first["GrantId"]
    assert {g["Name"] for g in admin.list_grants(KeyId=KEY)["Grants"]} == {"batch-job"}


@pytest.mark.parametrize("key_id, operations", [(KEY, ["Sign"]), (KEY, ["GetPublicKey"]),
                                                (SIGNING_KEY, ["GenerateDataKey"]), (SIGNING_KEY, ["Decrypt"])])
def test_operations_the_key_cannot_do_are_a_validation_error(admin, key_id, operations):
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId=key_id, GranteePrincipal=CAROL_ARN, Operations=operations)
    assert error_of(excinfo)[0] == "ValidationException"


def test_constraints_are_only_for_symmetric_keys(admin):
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId=SIGNING_KEY, GranteePrincipal=CAROL_ARN, Operations=["Sign"],
                           Constraints={"EncryptionContextEquals": {"a": "b"}})
    assert error_of(excinfo)[0] == "ValidationException"
    admin.create_grant(KeyId=SIGNING_KEY, GranteePrincipal=CAROL_ARN, Operations=["Sign", "GetPublicKey"])


def test_grantee_must_be_one_principal_and_key_an_id_or_arn(admin):
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, GranteeServicePrincipal="logs.amazonaws.com",
                           Operations=["Encrypt"])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId=KEY, Operations=["Encrypt"])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId="alias/granted", GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])
    assert error_of(excinfo)[0] == "NotFoundException"


def test_service_principal_grants_are_listed_as_such(admin):
    admin.create_grant(KeyId=KEY, GranteeServicePrincipal="logs.us-west-2.amazonaws.com", Operations=["Encrypt"])
    (entry,) = admin.list_grants(KeyId=KEY)["Grants"]
    assert entry["GranteeServicePrincipal"] == "logs.us-west-2.amazonaws.com" and "GranteePrincipal" not in entry


def test_create_grant_dry_run_and_disabled_key(admin):
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"], DryRun=True)
    assert error_of(excinfo)[0] == "DryRunOperationException"
    assert admin.list_grants(KeyId=KEY)["Grants"] == []
    with pytest.raises(ClientError) as excinfo:
        admin.create_grant(KeyId=DISABLED_KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])
    assert error_of(excinfo) == ("DisabledException", f"{arn(DISABLED_KEY)} is disabled.")
    assert admin.list_grants(KeyId=DISABLED_KEY)["Grants"] == []


def test_caller_without_create_grant_permission_is_denied(carol):
    with pytest.raises(ClientError) as excinfo:
        carol.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException" and "kms:CreateGrant" in message


def test_a_create_grant_grant_passes_on_only_the_same_or_fewer_operations(admin, carol, dave):
    admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["CreateGrant", "Encrypt", "Decrypt"])
    carol.create_grant(KeyId=KEY, GranteePrincipal=DAVE_ARN, Operations=["Encrypt"])
    dave.encrypt(KeyId=KEY, Plaintext=b"x")
    with pytest.raises(ClientError) as excinfo:
        carol.create_grant(KeyId=KEY, GranteePrincipal=DAVE_ARN, Operations=["Encrypt", "GenerateDataKey"])
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_a_constrained_create_grant_grant_cannot_loosen_its_constraints(admin, carol):
    admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["CreateGrant", "Encrypt"],
                       Constraints={"EncryptionContextSubset": {"team": "a"}})
    carol.create_grant(KeyId=KEY, GranteePrincipal=DAVE_ARN, Operations=["Encrypt"],
                       Constraints={"EncryptionContextEquals": {"team": "a", "app": "x"}})
    with pytest.raises(ClientError) as excinfo:
        carol.create_grant(KeyId=KEY, GranteePrincipal=DAVE_ARN, Operations=["Encrypt"],
                           Constraints={"EncryptionContextSubset": {"team": "b"}})
    assert error_of(excinfo)[0] == "AccessDeniedException"


# ---- RetireGrant / RevokeGrant / ListRetirableGrants ----

def test_retiring_principal_retires_by_token_and_the_grant_stops_working(admin, carol, dave):
    created = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, RetiringPrincipal=DAVE_ARN,
                                 Operations=["Encrypt"])
    carol.encrypt(KeyId=KEY, Plaintext=b"x")
    dave.retire_grant(GrantToken=created["GrantToken"])
    assert admin.list_grants(KeyId=KEY)["Grants"] == []
    with pytest.raises(ClientError) as excinfo:
        carol.encrypt(KeyId=KEY, Plaintext=b"x")
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_grantee_retires_only_when_the_grant_includes_retire_grant(admin, carol):
    plain = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])
    with pytest.raises(ClientError) as excinfo:
        carol.retire_grant(GrantToken=plain["GrantToken"])
    assert error_of(excinfo)[0] == "AccessDeniedException"
    retirable = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt", "RetireGrant"])
    carol.retire_grant(KeyId=arn(KEY), GrantId=retirable["GrantId"])
    assert [g["GrantId"] for g in admin.list_grants(KeyId=KEY)["Grants"]] == [plain["GrantId"]]


def test_issuing_account_principal_with_iam_retire_grant_retires_by_key_and_grant_id(admin):
    grant_id = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])["GrantId"]
    admin.retire_grant(KeyId=KEY, GrantId=grant_id)
    assert admin.list_grants(KeyId=KEY)["Grants"] == []


def test_an_explicit_iam_deny_of_retire_grant_stops_the_retiring_principal_and_the_grantee(
        admin, load_scenario, aws):
    # kms.md §5: kms:RetireGrant in IAM alone does not let anyone retire, but a Deny on it works.
    frank = ("AKIAGRANTSFRANK00001", "grants-frank-secret-not-secret-000001")
    deny = {"Effect": "Deny", "Action": "kms:RetireGrant", "Resource": "*"}
    load_scenario({"version": 1, "accounts": [{"id": OWNER, "users": [user("Frank", frank, [deny])]}]})
    frank_arn = f"arn:aws:iam::{OWNER}:user/Frank"
    as_retiring = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, RetiringPrincipal=frank_arn,
                                     Operations=["Encrypt"])
    as_grantee = admin.create_grant(KeyId=KEY, GranteePrincipal=frank_arn, Operations=["Encrypt", "RetireGrant"])
    for created in (as_retiring, as_grantee):
        with pytest.raises(ClientError) as excinfo:
            aws("kms", frank).retire_grant(GrantToken=created["GrantToken"])
        assert error_of(excinfo)[0] == "AccessDeniedException"
    assert {g["GrantId"] for g in admin.list_grants(KeyId=KEY)["Grants"]} == {as_retiring["GrantId"],
                                                                             as_grantee["GrantId"]}


def test_retire_grant_with_a_bad_token_or_missing_identification(admin):
    with pytest.raises(ClientError) as excinfo:
        admin.retire_grant(GrantToken="AQpAbm90IGEgcmVhbCB0b2tlbg==")
    assert error_of(excinfo)[0] == "InvalidGrantTokenException"
    with pytest.raises(ClientError) as excinfo:
        admin.retire_grant(KeyId=KEY)
    assert error_of(excinfo)[0] == "ValidationException"


def test_revoke_grant_takes_effect_at_once(admin, carol):
    grant_id = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Encrypt"])["GrantId"]
    with pytest.raises(ClientError) as excinfo:
        carol.revoke_grant(KeyId=KEY, GrantId=grant_id)
    assert error_of(excinfo)[0] == "AccessDeniedException"
    admin.revoke_grant(KeyId=KEY, GrantId=grant_id)
    with pytest.raises(ClientError):
        carol.encrypt(KeyId=KEY, Plaintext=b"x")
    with pytest.raises(ClientError) as excinfo:
        admin.revoke_grant(KeyId=KEY, GrantId=grant_id)
    assert error_of(excinfo)[0] == "NotFoundException"
    with pytest.raises(ClientError) as excinfo:
        admin.revoke_grant(KeyId=KEY, GrantId="not-a-grant-id")
    assert error_of(excinfo)[0] == "InvalidGrantIdException"


def test_list_retirable_grants_is_an_iam_permission(admin, carol):
    grant_id = admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, RetiringPrincipal=DAVE_ARN,
                                  Operations=["Encrypt"])["GrantId"]
    admin.create_grant(KeyId=KEY, GranteePrincipal=CAROL_ARN, Operations=["Decrypt"])
    listed = admin.list_retirable_grants(RetiringPrincipal=DAVE_ARN)
    assert [g["GrantId"] for g in listed["Grants"]] == [grant_id]
    assert listed["Grants"][0]["KeyId"] == arn(KEY)
    with pytest.raises(ClientError) as excinfo:
        carol.list_retirable_grants(RetiringPrincipal=DAVE_ARN)
    assert error_of(excinfo)[0] == "AccessDeniedException"


# ---- Across accounts ----

def test_a_grant_to_a_user_of_another_account_works_by_key_arn_only(admin, aws):
    bob = aws("kms", BOB)
    token = admin.create_grant(KeyId=KEY, GranteePrincipal=BOB_ARN, RetiringPrincipal=BOB_ARN,
                               Operations=["Encrypt", "Decrypt", "DescribeKey"])["GrantToken"]
    blob = bob.encrypt(KeyId=arn(KEY), Plaintext=b"x")["CiphertextBlob"]
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert bob.describe_key(KeyId=arn(KEY))["KeyMetadata"]["Arn"] == arn(KEY)
    with pytest.raises(ClientError) as excinfo:
        bob.encrypt(KeyId=KEY, Plaintext=b"x")
    assert error_of(excinfo)[0] == "NotFoundException"
    bob.retire_grant(GrantToken=token)
    with pytest.raises(ClientError) as excinfo:
        bob.encrypt(KeyId=arn(KEY), Plaintext=b"x")
    assert error_of(excinfo)[0] == "AccessDeniedException"
