"""The AWS guide's cross-account scenarios end to end (kms.md §11.2), with boto3 against the live server.

Bob is a role session in 444455556666: user Alice of that account assumes role KeyUser with session name
"bob" (STS AssumeRole). The key 1234abcd-... lives in 111122223333 with alias/shared, in us-west-2.
Rows 17-19 are the same-account controls with Alice of 111122223333.
"""

import pytest
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from tests.conftest import DEMO_KEY_ARN, OUTSIDER, OWNER, REGION, TRUSTED, access_key_of

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{KEY_ID}"
ALIAS_ARN = f"arn:aws:kms:{REGION}:{OWNER}:alias/shared"
BOB_ARN = f"arn:aws:sts::{TRUSTED}:assumed-role/KeyUser/bob"
KEY_USER_ROLE = f"arn:aws:iam::{TRUSTED}:role/KeyUser"
OWNER_ADMIN = ("AKIAXACCOUNTADMIN001", "xaccount-admin-secret-not-secret-00001")
OWNER_ROOT = ("AKIAXACCOUNTROOT0001", "xaccount-root-secret-not-secret-000001")
OWNER_ALICE = ("AKIAXACCOUNTOALICE01", "xaccount-oalice-secret-not-secret-0001")
TRUSTED_ALICE = ("AKIAXACCOUNTTALICE01", "xaccount-talice-secret-not-secret-0001")
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GENERIC = ("is not authorized to perform: kms:Encrypt on this resource because the resource does not exist in "
           "this Region, no resource-based policies allow access, or a resource-based policy explicitly denies "
           "access")

ENABLE_IAM = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"}
SHARE_WITH_TRUSTED = {"Sid": "Allow use of the key", "Effect": "Allow",
                      "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": USE_ACTIONS, "Resource": "*"}
BOB_USES_KEY = {"Effect": "Allow", "Action": USE_ACTIONS, "Resource": KEY_ARN}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def scenario(key_policy=None, bob_statements=(BOB_USES_KEY,), *, key_enabled=True, key_region=REGION,
             trusted_regions=None, owner_regions=None):
    owner_key = {"id": KEY_ID, "region": key_region, "aliases": ["alias/shared"], "enabled": key_enabled}
    if key_policy is not None:
        owner_key["policy"] = key_policy
    owner = {
        "id": OWNER,
        "root_access_keys": [{"access_key_id": OWNER_ROOT[0], "secret_access_key": OWNER_ROOT[1]}],
        "users": [
            {"name": "Admin", "access_keys": [{"access_key_id": OWNER_ADMIN[0], "secret_access_key": OWNER_ADMIN[1]}],
             "inline_policies": {"Admin": policy({"Effect": "Allow", "Action": ["kms:*", "cloudtrail:*"],
                                                  "Resource": "*"})}},
            {"name": "Alice", "access_keys": [{"access_key_id": OWNER_ALICE[0], "secret_access_key": OWNER_ALICE[1]}]},
        ],
        "keys": [owner_key],
    }
    role = {"name": "KeyUser",
            "trust_policy": policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
                                    "Action": "sts:AssumeRole"})}
    if bob_statements:
        role["inline_policies"] = {"UseSharedKey": policy(*bob_statements)}
    trusted = {
        "id": TRUSTED,
        "users": [{"name": "Alice",
                   "access_keys": [{"access_key_id": TRUSTED_ALICE[0], "secret_access_key": TRUSTED_ALICE[1]}],
                   "inline_policies": {"AssumeKeyUser": policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Resource": KEY_USER_ROLE})}}],
        "roles": [role],
        "keys": [{"id": "4444aaaa-0000-4000-8000-000000000001", "region": REGION, "aliases": ["alias/bobs-own"]}],
    }
    if owner_regions:
        owner["enabled_regions"] = owner_regions
    if trusted_regions:
        trusted["enabled_regions"] = trusted_regions
    return {"version": 1, "accounts": [owner, trusted]}


@pytest.fixture
def world(transactional_db, load_scenario, aws):
    """world(**scenario options) loads the scenario and returns (bob's KMS client factory, owner admin client)."""

    def build(*args, **kwargs):
        load_scenario(scenario(*args, **kwargs))
        credentials = aws("sts", TRUSTED_ALICE).assume_role(RoleArn=KEY_USER_ROLE, RoleSessionName="bob")[
            "Credentials"]

        def bob(service="kms", region=REGION):
            return aws(service, (credentials["AccessKeyId"], credentials["SecretAccessKey"]), region=region,
                       session_token=credentials["SessionToken"])

        return bob, aws("kms", OWNER_ADMIN)

    return build


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def recipients_of(response_or_error) -> list[AuditEvent]:
    metadata = response_or_error["ResponseMetadata"]
    return list(AuditEvent.objects.filter(request_id=metadata["RequestId"]).order_by("recipient_account"))


# ---- §11.2 rows ----

def test_row_1_default_key_policy_denies_bob_with_the_generic_text_logged_only_in_his_account(world):
    bob, _ = world(key_policy=None)
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == ("AccessDeniedException", f"User: {BOB_ARN} {GENERIC}")
    assert [e.recipient_account for e in recipients_of(excinfo.value.response)] == [TRUSTED]


def test_row_2_key_policy_and_iam_together_allow_and_both_accounts_log_it(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    response = bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert response["KeyId"] == KEY_ARN
    events = recipients_of(response)
    assert [e.recipient_account for e in events] == [OWNER, TRUSTED]
    assert events[0].shared_event_id == events[1].shared_event_id is not None
    assert events[0].event_id != events[1].event_id


def test_row_3_key_policy_alone_is_not_enough_without_bobs_iam(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED), bob_statements=())
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {BOB_ARN} is not authorized to perform: kms:Encrypt on resource: {KEY_ARN} because no "
        "identity-based policy allows the kms:Encrypt action")


def test_row_4_a_bare_key_id_means_bobs_own_account(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ID, Plaintext=b"x")
    assert error_of(excinfo) == (
        "NotFoundException", f"Key 'arn:aws:kms:{REGION}:{TRUSTED}:key/{KEY_ID}' does not exist")


def test_row_5_an_alias_name_means_bobs_own_account(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId="alias/shared", Plaintext=b"x")
    assert error_of(excinfo) == (
        "NotFoundException", f"Alias arn:aws:kms:{REGION}:{TRUSTED}:alias/shared is not found.")


def test_row_6_the_alias_arn_works_across_accounts(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    assert bob().encrypt(KeyId=ALIAS_ARN, Plaintext=b"x")["KeyId"] == KEY_ARN
    assert bob().describe_key(KeyId=ALIAS_ARN)["KeyMetadata"]["Arn"] == KEY_ARN


def test_row_7_grant_operations_refuse_an_alias_arn(world):
    share_grants = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
                    "Action": ["kms:CreateGrant", "kms:ListGrants"], "Resource": "*"}
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED, share_grants),
                   bob_statements=(BOB_USES_KEY, {"Effect": "Allow", "Action": "kms:*Grant*", "Resource": KEY_ARN}))
    with pytest.raises(ClientError) as excinfo:
        bob().create_grant(KeyId=ALIAS_ARN, GranteePrincipal=BOB_ARN, Operations=["Encrypt"])
    assert error_of(excinfo)[0] == "NotFoundException"
    with pytest.raises(ClientError) as excinfo:
        bob().list_grants(KeyId=ALIAS_ARN)
    assert error_of(excinfo)[0] == "NotFoundException"
    # By key ARN the same calls work.
    bob().create_grant(KeyId=KEY_ARN, GranteePrincipal=BOB_ARN, Operations=["Encrypt"])
    (entry,) = bob().list_grants(KeyId=KEY_ARN)["Grants"]
    assert entry["GranteePrincipal"] == BOB_ARN and entry["KeyId"] == KEY_ARN


def test_row_8_management_operations_never_work_across_accounts(world):
    everything = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": "kms:*",
                  "Resource": "*"}
    bob, owner = world(key_policy=policy(ENABLE_IAM, everything),
                       bob_statements=({"Effect": "Allow", "Action": "kms:*", "Resource": "*"},))
    attempts = [
        lambda kms: kms.schedule_key_deletion(KeyId=KEY_ARN, PendingWindowInDays=7),
        lambda kms: kms.put_key_policy(KeyId=KEY_ARN, PolicyName="default", Policy='{"Version":"2012-10-17",'
                                       '"Statement":[]}'),
        lambda kms: kms.tag_resource(KeyId=KEY_ARN, Tags=[{"TagKey": "k", "TagValue": "v"}]),
        lambda kms: kms.disable_key(KeyId=KEY_ARN),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as excinfo:
            attempt(bob())
        assert error_of(excinfo)[0] == "AccessDeniedException"
    assert owner.describe_key(KeyId=KEY_ID)["KeyMetadata"]["KeyState"] == "Enabled"
    # ...while the cryptographic operations do.
    bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")


def test_row_9_a_key_arn_of_another_region_is_not_found(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    with pytest.raises(ClientError) as excinfo:
        bob(region="us-east-2").encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == ("NotFoundException", f"Invalid arn {REGION}")


def test_row_10_a_disabled_key(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED), key_enabled=False)
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == ("DisabledException", f"{KEY_ARN} is disabled.")


def test_row_11_a_key_pending_deletion(world):
    bob, owner = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    owner.schedule_key_deletion(KeyId=KEY_ID, PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{KEY_ARN} is pending deletion.")


def test_row_12_an_explicit_deny_for_bobs_account_wins_with_the_generic_text(world):
    deny = {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": "kms:Encrypt",
            "Resource": "*"}
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED, deny))
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == ("AccessDeniedException", f"User: {BOB_ARN} {GENERIC}")
    bob().generate_data_key(KeyId=KEY_ARN, KeySpec="AES_256")


def test_row_13_a_grant_alone_gives_exactly_its_operations(world):
    bob, owner = world(key_policy=policy(ENABLE_IAM), bob_statements=())
    blob = owner.encrypt(KeyId=KEY_ID, Plaintext=b"for bob")["CiphertextBlob"]
    owner.create_grant(KeyId=KEY_ID, GranteePrincipal=KEY_USER_ROLE, Operations=["Decrypt"])
    assert bob().decrypt(CiphertextBlob=blob)["Plaintext"] == b"for bob"
    with pytest.raises(ClientError) as excinfo:
        bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == ("AccessDeniedException", f"User: {BOB_ARN} {GENERIC}")


def test_row_14_decrypt_with_another_encryption_context_is_invalid_ciphertext(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    blob = bob().encrypt(KeyId=KEY_ARN, Plaintext=b"x", EncryptionContext={"order": "1"})["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        bob().decrypt(CiphertextBlob=blob, EncryptionContext={"order": "2"})
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
    assert bob().decrypt(CiphertextBlob=blob, EncryptionContext={"order": "1"})["Plaintext"] == b"x"


def test_row_15_a_key_in_an_opt_in_region_bobs_account_has_not_enabled(world):
    opt_in = "af-south-1"
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED), key_region=opt_in,
                   owner_regions=[REGION, opt_in],
                   bob_statements=({"Effect": "Allow", "Action": USE_ACTIONS, "Resource": "*"},))
    with pytest.raises(ClientError) as excinfo:
        bob(region=opt_in).encrypt(KeyId=f"arn:aws:kms:{opt_in}:{OWNER}:key/{KEY_ID}", Plaintext=b"x")
    assert error_of(excinfo)[0] in {"UnrecognizedClientException", "AccessDeniedException"}


def test_row_16_list_keys_and_aliases_show_only_bobs_own_account(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED),
                   bob_statements=(BOB_USES_KEY, {"Effect": "Allow", "Action": ["kms:ListKeys", "kms:ListAliases"],
                                                  "Resource": "*"}))
    keys = bob().list_keys()["Keys"]
    assert [k["KeyArn"].split(":")[4] for k in keys] == [TRUSTED]
    aliases = [a["AliasName"] for a in bob().list_aliases()["Aliases"]]
    assert "alias/bobs-own" in aliases and "alias/shared" not in aliases


def test_row_17_same_account_alice_named_in_the_key_policy_needs_no_iam(world, aws):
    names_alice = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/Alice"},
                   "Action": "kms:Encrypt", "Resource": "*"}
    world(key_policy=policy(ENABLE_IAM, names_alice))
    assert aws("kms", OWNER_ALICE).encrypt(KeyId=KEY_ID, Plaintext=b"x")["KeyId"] == KEY_ARN


def test_row_18_without_the_root_statement_nobody_in_the_account_gets_in_not_even_root(world, aws):
    only_trusted = policy(SHARE_WITH_TRUSTED)
    world(key_policy=only_trusted)
    for credentials, caller in ((OWNER_ALICE, f"arn:aws:iam::{OWNER}:user/Alice"),
                                (OWNER_ADMIN, f"arn:aws:iam::{OWNER}:user/Admin"),
                                (OWNER_ROOT, f"arn:aws:iam::{OWNER}:root")):
        with pytest.raises(ClientError) as excinfo:
            aws("kms", credentials).encrypt(KeyId=KEY_ID, Plaintext=b"x")
        assert error_of(excinfo) == (
            "AccessDeniedException",
            f"User: {caller} is not authorized to perform: kms:Encrypt on resource: {KEY_ARN} because no "
            "resource-based policy allows the kms:Encrypt action")


def test_row_19_default_policy_without_iam_is_denied_by_the_identity_side(world, aws):
    world(key_policy=None)
    with pytest.raises(ClientError) as excinfo:
        aws("kms", OWNER_ALICE).encrypt(KeyId=KEY_ID, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{OWNER}:user/Alice is not authorized to perform: kms:Encrypt on resource: {KEY_ARN} "
        "because no identity-based policy allows the kms:Encrypt action")


# ---- Beyond the table ----

def test_bob_as_an_iam_user_gets_the_same_answers(transactional_db, load_scenario, aws):
    document = scenario(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED))
    trusted = document["accounts"][1]
    trusted["users"].append({"name": "Bob", "access_keys": [{"access_key_id": "AKIAXACCOUNTBOBUSER1",
                                                              "secret_access_key": "xaccount-bob-not-secret-1"}],
                             "inline_policies": {"Use": policy(BOB_USES_KEY)}})
    load_scenario(document)
    bob = aws("kms", ("AKIAXACCOUNTBOBUSER1", "xaccount-bob-not-secret-1"))
    blob = bob.encrypt(KeyId=KEY_ARN, Plaintext=b"x")["CiphertextBlob"]
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with pytest.raises(ClientError) as excinfo:
        bob.sign(KeyId=KEY_ARN, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_re_encrypt_from_bobs_own_key_to_the_shared_key_needs_both_sides(world):
    bob, _ = world(key_policy=policy(ENABLE_IAM, SHARE_WITH_TRUSTED),
                   bob_statements=(BOB_USES_KEY, {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:ReEncryptFrom"],
                                                  "Resource": f"arn:aws:kms:{REGION}:{TRUSTED}:key/*"}))
    mine = bob().encrypt(KeyId="alias/bobs-own", Plaintext=b"move")["CiphertextBlob"]
    moved = bob().re_encrypt(CiphertextBlob=mine, DestinationKeyId=KEY_ARN)
    assert moved["KeyId"] == KEY_ARN
    assert bob().decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"move"


def test_decrypt_without_key_id_finds_the_foreign_key_but_still_asks_its_policy(world):
    bob, owner = world(key_policy=policy(ENABLE_IAM))
    blob = owner.encrypt(KeyId=KEY_ID, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        bob().decrypt(CiphertextBlob=blob)
    assert error_of(excinfo)[0] == "AccessDeniedException"


# ---- The demo scenario: the AWS guide's example as shipped ----

def test_demo_example_role_session_uses_the_shared_key_and_the_outsider_cannot(demo, aws):
    alice = access_key_of(demo, TRUSTED, "Alice")
    credentials = aws("sts", alice).assume_role(RoleArn=f"arn:aws:iam::{TRUSTED}:role/ExampleRole",
                                                RoleSessionName="bob")["Credentials"]
    kms = aws("kms", (credentials["AccessKeyId"], credentials["SecretAccessKey"]),
              session_token=credentials["SessionToken"])
    blob = kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"demo", EncryptionContext={"k": "v"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"demo"
    data_key = kms.generate_data_key(KeyId=DEMO_KEY_ARN, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    assert kms.describe_key(KeyId=DEMO_KEY_ARN)["KeyMetadata"]["KeyId"] == KEY_ID
    # Alice herself has no KMS permission in IAM: the key policy's account statement is not enough.
    with pytest.raises(ClientError):
        aws("kms", alice).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")
    # The persistent-resources statement only opens CreateGrant for AWS services, never for direct calls.
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=DEMO_KEY_ARN, GranteePrincipal=f"arn:aws:iam::{TRUSTED}:root", Operations=["Encrypt"])
    assert error_of(excinfo)[0] == "AccessDeniedException"

    eve = aws("kms", access_key_of(demo, OUTSIDER, "Eve"))
    with pytest.raises(ClientError) as excinfo:
        eve.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException", f"User: arn:aws:iam::{OUTSIDER}:user/Eve {GENERIC}")
    with pytest.raises(ClientError) as excinfo:
        eve.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    assert error_of(excinfo)[0] == "AccessDeniedException"
