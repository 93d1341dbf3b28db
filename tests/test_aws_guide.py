"""Every claim of the AWS guide "Allowing users in other accounts to use a KMS key", shown end to end:
boto3 against the live server (and the console through Django's test client), on the demo scenario or a
small scenario loaded through the real load_scenario command.

Claims already shown elsewhere, not repeated here:
- only cryptographic, describe and grant operations work across accounts (ScheduleKeyDeletion, PutKeyPolicy,
  TagResource, DisableKey denied with kms:* on both sides; ListKeys/ListAliases list only the caller's
  account): tests/api/test_cross_account.py::test_row_8_management_operations_never_work_across_accounts and
  ::test_row_16_list_keys_and_aliases_show_only_bobs_own_account;
- cross-account calls are logged in both accounts, each seen through its own LookupEvents (and a denied one
  only in the caller's): tests/audit/test_cross_account_records.py::
  test_cross_account_encrypt_is_recorded_once_in_each_account and
  ::test_denied_cross_account_call_is_recorded_in_the_callers_account_only;
- a key id or alias name means the caller's own account with a KeyUser role session (NotFound naming that
  account), the alias ARN works: tests/api/test_cross_account.py rows 4-6 (repeated below only with the demo's
  own names, the sequence README.md walks through);
- a grant alone gives exactly its operations: tests/api/test_cross_account.py row 13.
"""

import json
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError
from django.test import Client

from keys.models import Key
from policies.validator import validate_policy
from tests.conftest import (DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, REGION, REPO, TRUSTED, access_key_of)

GUIDE = Path("/work/shared/reference/aws-guide-cross-account-kms-key.txt")
SPECIFIC_ROLE_SCENARIO = REPO / "scenarios" / "specific-role.yaml"
EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
ENABLE_IAM = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"}
GENERIC = ("is not authorized to perform: {action} on this resource because the resource does not exist in this "
           "Region, no resource-based policies allow access, or a resource-based policy explicitly denies access")
KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
ALICE_PASSWORD = "demo-Alice-password-not-secret"


def policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def error_of(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def guide_statement(sid: str, containing: str = "") -> dict:
    """A key policy statement exactly as the guide prints it (one JSON object per line)."""
    for line in GUIDE.read_text().splitlines():
        line = line.strip()
        if line.startswith("{") and f'"Sid": "{sid}"' in line and containing in line:
            return json.loads(line)
    raise AssertionError(f"{sid!r} is not in the guide")


def user(name: str, credentials: tuple[str, str], *statements) -> dict:
    entry = {"name": name, "access_keys": [{"access_key_id": credentials[0], "secret_access_key": credentials[1]}]}
    if statements:
        entry["inline_policies"] = {"Policy": policy(*statements)}
    return entry


def role_session(aws, alice: tuple[str, str], role_arn: str = EXAMPLE_ROLE, region: str = REGION):
    """A KMS client of the role session Alice gets by AssumeRole (sts in us-west-2, KMS in `region`)."""
    credentials = aws("sts", alice).assume_role(RoleArn=role_arn, RoleSessionName="alice")["Credentials"]
    return aws("kms", (credentials["AccessKeyId"], credentials["SecretAccessKey"]), region=region,
               session_token=credentials["SessionToken"])


def signed_in(account: str, username: str, password: str) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": account, "username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


# ---- (a), (b) neither the key policy nor the IAM policy alone is enough ----


def test_key_policy_alone_is_not_enough_alice_without_iam_is_denied_by_the_identity_side(demo, aws):
    alice = aws("kms", access_key_of(demo, TRUSTED, "Alice"))

    for action, attempt in (("kms:Encrypt", lambda: alice.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"Hello, KMS")),
                            ("kms:DescribeKey", lambda: alice.describe_key(KeyId=DEMO_KEY_ARN))):
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_of(excinfo) == (
            "AccessDeniedException",
            f"User: arn:aws:iam::{TRUSTED}:user/Alice is not authorized to perform: {action} on resource: "
            f"{DEMO_KEY_ARN} because no identity-based policy allows the {action} action")


def test_iam_policy_alone_is_not_enough_eve_with_kms_star_gets_the_generic_cross_account_text(demo, aws):
    eve = aws("kms", access_key_of(demo, OUTSIDER, "Eve"))

    for action, attempt in (("kms:Encrypt", lambda: eve.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")),
                            ("kms:DescribeKey", lambda: eve.describe_key(KeyId=DEMO_KEY_ARN))):
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_of(excinfo) == (
            "AccessDeniedException", f"User: arn:aws:iam::{OUTSIDER}:user/Eve {GENERIC.format(action=action)}")


# ---- (c) naming specific external roles limits what the other account can delegate ----


def test_specific_external_roles_limit_delegation_the_role_encrypts_and_alice_with_the_same_iam_is_denied(
        demo, load_scenario, aws):
    # The built-in example, loaded over the demo the way README.md says.
    load_scenario(SPECIFIC_ROLE_SCENARIO, replace=True)
    document = yaml.safe_load(SPECIFIC_ROLE_SCENARIO.read_text())
    key_policy = json.loads(Key.objects.get(arn=DEMO_KEY_ARN).policy)
    named = [s for s in key_policy["Statement"] if s["Sid"] == "Allow an external account to use this KMS key"]
    assert named == [guide_statement("Allow an external account to use this KMS key", "role/ExampleRole")]
    alice_credentials = access_key_of(document, TRUSTED, "Alice")

    session = role_session(aws, alice_credentials)
    blob = session.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"Hello, KMS")["CiphertextBlob"]
    assert session.decrypt(CiphertextBlob=blob)["Plaintext"] == b"Hello, KMS"

    # Alice's IAM allows kms:Encrypt on the key (the same managed policy as ExampleRole), to no effect.
    with pytest.raises(ClientError) as excinfo:
        aws("kms", alice_credentials).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException", f"User: arn:aws:iam::{TRUSTED}:user/Alice {GENERIC.format(action='kms:Encrypt')}")


# ---- (d) IAM can delegate only a subset of the key policy's actions ----

SUBSET_KEY = "d0d0d0d0-0000-4000-8000-000000000001"
SUBSET_KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{SUBSET_KEY}"
SUBSET_OWNER = ("AKIAGUIDESUBSETOWNR1", "guide-subset-owner-not-secret-000001")
SUBSET_CAROL = ("AKIAGUIDESUBSETCARL1", "guide-subset-carol-not-secret-000001")


def test_iam_delegates_only_the_key_policys_actions_encrypt_denied_decrypt_of_the_owners_blob_works(
        transactional_db, load_scenario, aws):
    decrypt_only = {"Sid": "Account 444455556666 may only decrypt", "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": "kms:Decrypt", "Resource": "*"}
    load_scenario({"version": 1, "accounts": [
        {"id": OWNER,
         "users": [user("Owner", SUBSET_OWNER, {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})],
         "keys": [{"id": SUBSET_KEY, "region": REGION, "policy": policy(ENABLE_IAM, decrypt_only)}]},
        {"id": TRUSTED,
         "users": [user("Carol", SUBSET_CAROL, {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
                                                "Resource": SUBSET_KEY_ARN})]},
    ]})
    carol = aws("kms", SUBSET_CAROL)

    with pytest.raises(ClientError) as excinfo:
        carol.encrypt(KeyId=SUBSET_KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException", f"User: arn:aws:iam::{TRUSTED}:user/Carol {GENERIC.format(action='kms:Encrypt')}")

    blob = aws("kms", SUBSET_OWNER).encrypt(KeyId=SUBSET_KEY, Plaintext=b"from the owner")["CiphertextBlob"]
    answer = carol.decrypt(CiphertextBlob=blob)
    assert answer["Plaintext"] == b"from the owner" and answer["KeyId"] == SUBSET_KEY_ARN


# ---- (f) permissions for external accounts need the Region enabled in that account ----

OPT_IN = "af-south-1"
OPT_IN_KEY = "afafafaf-0000-4000-8000-000000000001"
OPT_IN_KEY_ARN = f"arn:aws:kms:{OPT_IN}:{OWNER}:key/{OPT_IN_KEY}"
OPT_IN_ALICE = ("AKIAGUIDEOPTINALICE1", "guide-optin-alice-not-secret-0000001")


def opt_in_world(trusted_regions: list[str] | None) -> dict:
    share = {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
             "Action": USE_ACTIONS, "Resource": "*"}
    trusted = {
        "id": TRUSTED,
        "users": [user("Alice", OPT_IN_ALICE, {"Effect": "Allow", "Action": "sts:AssumeRole",
                                               "Resource": EXAMPLE_ROLE})],
        "roles": [{"name": "ExampleRole",
                   "trust_policy": policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
                                           "Action": "sts:AssumeRole"}),
                   "inline_policies": {"AllowUseOfKeyInAccount111122223333": policy(
                       {"Effect": "Allow", "Action": USE_ACTIONS, "Resource": OPT_IN_KEY_ARN})}}],
    }
    if trusted_regions is not None:
        trusted["enabled_regions"] = trusted_regions
    return {"version": 1, "accounts": [
        {"id": OWNER, "enabled_regions": [REGION, OPT_IN],
         "keys": [{"id": OPT_IN_KEY, "region": OPT_IN, "policy": policy(ENABLE_IAM, share)}]},
        trusted,
    ]}


def test_opt_in_region_the_other_account_is_refused_until_it_enables_af_south_1(transactional_db, load_scenario, aws):
    load_scenario(opt_in_world(trusted_regions=None))  # 444455556666 has only the default regions
    session = role_session(aws, OPT_IN_ALICE, region=OPT_IN)

    with pytest.raises(ClientError) as excinfo:
        session.encrypt(KeyId=OPT_IN_KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.")

    load_scenario(opt_in_world(trusted_regions=[REGION, OPT_IN]))
    session = role_session(aws, OPT_IN_ALICE, region=OPT_IN)
    assert session.encrypt(KeyId=OPT_IN_KEY_ARN, Plaintext=b"Hello, Cape Town")["KeyId"] == OPT_IN_KEY_ARN


# ---- (g) "Other AWS accounts" in the console adds exactly the guide's two statements ----

CONSOLE_KEY = "c0c0c0c0-0000-4000-8000-000000000001"
CONSOLE_KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{CONSOLE_KEY}"


def _owner_with_unshared_key(demo) -> dict:
    """The demo's owner account plus a key whose console policy names no other account yet."""
    owner = next(a for a in demo["accounts"] if a["id"] == OWNER)
    admins = next(s for s in owner["keys"][0]["policy"]["Statement"] if s["Sid"] == "Allow access for Key Administrators")
    return {"version": 1, "accounts": [{"id": OWNER, "keys": [
        {"id": CONSOLE_KEY, "region": REGION, "description": "not shared yet",
         "policy": policy(ENABLE_IAM, admins)}]}]}


def test_other_aws_accounts_in_the_console_adds_the_guides_two_statements_and_iam_must_still_allow(
        demo, load_scenario, aws):
    load_scenario(_owner_with_unshared_key(demo))
    before = json.loads(Key.objects.get(arn=CONSOLE_KEY_ARN).policy)["Statement"]
    console = signed_in("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)

    response = console.post(f"/keys/{CONSOLE_KEY}/policy/edit/", {"change": "add-account", "account_id": TRUSTED},
                            HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    after = json.loads(Key.objects.get(arn=CONSOLE_KEY_ARN).policy)["Statement"]
    assert after[:len(before)] == before
    assert after[len(before):] == [guide_statement("Allow use of the key"),
                                   guide_statement("Allow attachment of persistent resources")]

    # The key policy alone lets nobody in 444455556666 use the key: ExampleRole's IAM names only the demo key.
    alice = access_key_of(demo, TRUSTED, "Alice")
    with pytest.raises(ClientError) as excinfo:
        role_session(aws, alice).encrypt(KeyId=CONSOLE_KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:sts::{TRUSTED}:assumed-role/ExampleRole/alice is not authorized to perform: kms:Encrypt on "
        f"resource: {CONSOLE_KEY_ARN} because no identity-based policy allows the kms:Encrypt action")

    # Once 444455556666's IAM delegates it, the role session uses the key.
    role = next(r for r in next(a for a in demo["accounts"] if a["id"] == TRUSTED)["roles"])
    load_scenario({"version": 1, "accounts": [{"id": TRUSTED, "roles": [
        {**role, "inline_policies": {"UseTheNewKey": policy(
            {"Effect": "Allow", "Action": USE_ACTIONS, "Resource": CONSOLE_KEY_ARN})}}]}]})
    assert role_session(aws, alice).encrypt(KeyId=CONSOLE_KEY_ARN, Plaintext=b"x")["KeyId"] == CONSOLE_KEY_ARN


# ---- (i) a key id or alias name means the caller's own account ----


def test_a_key_id_or_alias_name_means_the_callers_own_account_the_key_or_alias_arn_reaches_the_owners(demo, aws):
    session = role_session(aws, access_key_of(demo, TRUSTED, "Alice"))

    with pytest.raises(ClientError) as excinfo:
        session.encrypt(KeyId=DEMO_KEY_ID, Plaintext=b"x")
    assert error_of(excinfo) == (
        "NotFoundException", f"Key 'arn:aws:kms:{REGION}:{TRUSTED}:key/{DEMO_KEY_ID}' does not exist")
    with pytest.raises(ClientError) as excinfo:
        session.encrypt(KeyId="alias/ExampleKey", Plaintext=b"x")
    assert error_of(excinfo) == (
        "NotFoundException", f"Alias arn:aws:kms:{REGION}:{TRUSTED}:alias/ExampleKey is not found.")

    assert session.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")["KeyId"] == DEMO_KEY_ARN
    alias_arn = f"arn:aws:kms:{REGION}:{OWNER}:alias/ExampleKey"
    assert session.encrypt(KeyId=alias_arn, Plaintext=b"x")["KeyId"] == DEMO_KEY_ARN


# ---- (j) the KMS console never lists another account's keys ----


def test_the_console_key_list_never_shows_the_owners_key_even_to_the_role_that_can_use_it(demo):
    console = signed_in("key-user", "Alice", ALICE_PASSWORD)
    switched = console.post("/switchrole/", {"account": TRUSTED, "role": "ExampleRole", "display_name": ""})
    assert switched.status_code == 302, switched.content[:500]

    # Usable: the role session encrypts with the key from the console's "Use a key by ARN" page ...
    used = console.post("/keys/use/", {"key_id": DEMO_KEY_ARN, "operation": "Encrypt", "text": "hello"})
    assert "Ciphertext (base64)" in used.content.decode()
    # ... yet the key list shows none of 111122223333's keys.
    listing = console.get("/keys/")
    page = listing.content.decode()
    assert listing.status_code == 200
    assert "ExampleRole" in page  # the page is the switched role's
    assert DEMO_KEY_ID not in page and OWNER not in page.replace(f"arn:aws:iam::{OWNER}", "")


# ---- (k) Principal "*" without conditions ----

STAR_ALICE = ("AKIAGUIDESTARALICE01", "guide-star-alice-not-secret-00000001")


def test_principal_star_without_conditions_opens_the_key_to_any_account_whose_iam_allows_it(
        demo, load_scenario, aws):
    everyone = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": USE_ACTIONS, "Resource": "*"}
    admin = aws("kms", access_key_of(demo, OWNER, "KeyAdmin"))
    current = json.loads(admin.get_key_policy(KeyId=DEMO_KEY_ID, PolicyName="default")["Policy"])
    starred = {**current, "Statement": current["Statement"] + [everyone]}
    admin.put_key_policy(KeyId=DEMO_KEY_ID, PolicyName="default", Policy=json.dumps(starred))

    findings = validate_policy(json.dumps(starred), "KEY_POLICY", key_account=OWNER)
    star_path = f"Statement[{len(starred['Statement']) - 1}].Principal"
    assert [(f.severity, f.path) for f in findings if f.code == "PRINCIPAL_STAR_WITHOUT_CONDITION"] == [
        ("SECURITY_WARNING", star_path)]

    # Eve's account is named nowhere, but her own IAM allows kms:*: she now uses the key.
    eve = aws("kms", access_key_of(demo, OUTSIDER, "Eve"))
    blob = eve.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"anyone")["CiphertextBlob"]
    assert eve.decrypt(CiphertextBlob=blob)["Plaintext"] == b"anyone"
    # A user of that same account whose IAM does not allow it is still denied by the identity side.
    load_scenario({"version": 1, "accounts": [{"id": OUTSIDER, "users": [user("Mallory", STAR_ALICE)]}]})
    with pytest.raises(ClientError) as excinfo:
        aws("kms", STAR_ALICE).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{OUTSIDER}:user/Mallory is not authorized to perform: kms:Encrypt on resource: "
        f"{DEMO_KEY_ARN} because no identity-based policy allows the kms:Encrypt action")
