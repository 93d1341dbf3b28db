"""Each resource for the key's owner (KeyAdmin), the trusted account (Alice in ExampleRole) and an outsider (Eve):
the same answers as the AWS API gives them, and every change through the KMS operations."""

import base64
import json

import boto3

from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, REGION, TRUSTED
from tests.restapi.conftest import ALICE, EVE, IAM_ADMIN, KEY_ADMIN, problem_of


def _example_role_session(live_server) -> tuple[tuple[str, str], str]:
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=ALICE[0],
                       aws_secret_access_key=ALICE[1])
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{TRUSTED}:role/ExampleRole",
                                  RoleSessionName="rest")["Credentials"]
    return (credentials["AccessKeyId"], credentials["SecretAccessKey"]), credentials["SessionToken"]


def test_the_owner_manages_its_key_through_every_resource(rest):
    api = rest(KEY_ADMIN)
    key = api.get(f"keys/{DEMO_KEY_ID}").json()
    assert key["KeyMetadata"]["Arn"] == DEMO_KEY_ARN
    assert [a["AliasName"] for a in key["Aliases"]] == ["alias/ExampleKey"]
    assert key["Tags"] == [{"TagKey": "Example", "TagValue": "cross-account-kms-key"}]

    changed = api.patch(f"keys/{DEMO_KEY_ID}", json={"Description": "changed over REST"})
    assert changed.status_code == 200 and changed.json()["KeyMetadata"]["Description"] == "changed over REST"
    assert api.post(f"keys/{DEMO_KEY_ID}/disable").status_code == 204
    assert api.get(f"keys/{DEMO_KEY_ID}").json()["KeyMetadata"]["KeyState"] == "Disabled"
    refused = api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "aGk="})
    assert refused.status_code == 409 and problem_of(refused)["code"] == "DisabledException"
    assert api.post(f"keys/{DEMO_KEY_ID}/enable").status_code == 204

    scheduled = api.post(f"keys/{DEMO_KEY_ID}/deletion", json={"PendingWindowInDays": 7})
    assert scheduled.status_code == 200 and scheduled.json()["KeyState"] == "PendingDeletion"
    assert api.delete(f"keys/{DEMO_KEY_ID}/deletion").json() == {"KeyId": DEMO_KEY_ARN}
    assert api.post(f"keys/{DEMO_KEY_ID}/enable").status_code == 204

    assert api.post(f"keys/{DEMO_KEY_ID}/tags", json={"Tags": [{"TagKey": "Team", "TagValue": "a"}]}).status_code == 204
    assert {"TagKey": "Team", "TagValue": "a"} in api.get(f"keys/{DEMO_KEY_ID}/tags").json()["results"]
    assert api.delete(f"keys/{DEMO_KEY_ID}/tags/Team").status_code == 204

    assert api.post("aliases", json={"AliasName": "alias/rest", "TargetKeyId": DEMO_KEY_ID}).status_code == 204
    assert "alias/rest" in [a["AliasName"] for a in api.get(f"keys/{DEMO_KEY_ID}/aliases").json()["results"]]
    assert api.delete("aliases/rest").status_code == 204

    grant = api.post(f"keys/{DEMO_KEY_ID}/grants", json={
        "GranteePrincipal": f"arn:aws:iam::{OWNER}:user/KeyAdmin", "Operations": ["Decrypt"]})
    assert grant.status_code == 201, grant.text
    grants = api.get(f"keys/{DEMO_KEY_ID}/grants", params={"grant_id": grant.json()["GrantId"]}).json()["results"]
    assert [g["GrantId"] for g in grants] == [grant.json()["GrantId"]]
    assert api.delete(f"keys/{DEMO_KEY_ID}/grants/{grant.json()['GrantId']}").status_code == 204

    created = api.post("keys", json={"Description": "made over REST"})
    assert created.status_code == 201 and created.json()["KeyMetadata"]["Description"] == "made over REST"


def test_crypto_members_are_base64_both_ways(rest):
    api = rest(KEY_ADMIN)
    secret = base64.b64encode(b"attack at dawn").decode()
    sealed = api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": secret,
                                                           "EncryptionContext": {"purpose": "test"}}).json()
    opened = api.post(f"keys/{DEMO_KEY_ID}/decrypt", json={"CiphertextBlob": sealed["CiphertextBlob"],
                                                           "EncryptionContext": {"purpose": "test"}})
    assert opened.json()["Plaintext"] == secret
    wrong_context = api.post(f"keys/{DEMO_KEY_ID}/decrypt", json={"CiphertextBlob": sealed["CiphertextBlob"]})
    assert problem_of(wrong_context)["code"] == "InvalidCiphertextException"
    data_key = api.post(f"keys/{DEMO_KEY_ID}/generate-data-key", json={"KeySpec": "AES_256"}).json()
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    not_base64 = api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "%%%"})
    assert not_base64.status_code == 400 and problem_of(not_base64)["code"] == "SerializationException"
    too_few = api.post(f"keys/{DEMO_KEY_ID}/generate-data-key", json={"NumberOfBytes": 0})
    problem = problem_of(too_few)
    assert problem["code"] == "ValidationException" and problem["field"] == "NumberOfBytes"


def test_the_trusted_account_uses_the_key_by_arn_and_sees_what_aws_shows_it(rest, live_server):
    credentials, token = _example_role_session(live_server)
    api = rest(credentials, session_token=token)
    key = api.get(f"keys/{DEMO_KEY_ARN}")
    assert key.status_code == 200, key.text
    assert key.json()["KeyMetadata"]["AWSAccountId"] == OWNER
    assert key.json()["Aliases"] is None and key.json()["Tags"] is None  # not its key: AWS does not list them
    sealed = api.post(f"keys/{DEMO_KEY_ARN}/encrypt", json={"Plaintext": "aGk="})
    assert sealed.status_code == 200
    assert api.post(f"keys/{DEMO_KEY_ARN}/decrypt", json={"CiphertextBlob": sealed.json()["CiphertextBlob"]}
                    ).json()["Plaintext"] == "aGk="
    # Not by key id: a bare id names a key of the caller's own account.
    assert problem_of(api.get(f"keys/{DEMO_KEY_ID}"))["code"] == "NotFoundException"
    # Key management is the owner's alone, whatever the key policy says (cross-account rules of KMS).
    for method, path, body in (("get", "policy", None), ("post", "disable", None),
                               ("post", "accounts", {"AccountId": OUTSIDER})):
        answer = getattr(api, method)(f"keys/{DEMO_KEY_ARN}/{path}", json=body)
        assert answer.status_code == 403, (path, answer.text)
        assert problem_of(answer)["code"] == "AccessDeniedException"
    # ExampleRole's IAM policy allows using the key, not kms:ListKeys: the AWS API refuses the list too.
    assert problem_of(api.get("keys"))["code"] == "AccessDeniedException"


def test_the_outsider_gets_nothing_but_denials(rest):
    api = rest(EVE)
    for method, path, body in (("get", "", None), ("post", "/encrypt", {"Plaintext": "aGk="}),
                               ("get", "/policy", None), ("get", "/grants", None), ("get", "/tags", None),
                               ("post", "/accounts", {"AccountId": OUTSIDER}), ("get", "/who-can-use", None)):
        answer = getattr(api, method)(f"keys/{DEMO_KEY_ARN}{path}", json=body)
        assert answer.status_code == 403, (path, answer.text)
        assert problem_of(answer)["code"] == "AccessDeniedException"
    assert api.get("keys").json() == {"results": [], "next": None}


def test_key_policy_findings_other_accounts_and_history(rest):
    api = rest(KEY_ADMIN)
    policy = api.get(f"keys/{DEMO_KEY_ID}/policy").json()["Policy"]
    accounts = api.get(f"keys/{DEMO_KEY_ID}/accounts").json()
    assert accounts == {"accounts": [TRUSTED], "default_view": True}
    added = api.post(f"keys/{DEMO_KEY_ID}/accounts", json={"AccountId": OUTSIDER})
    assert added.status_code == 200 and added.json()["accounts"] == [TRUSTED, OUTSIDER]
    bad = api.post(f"keys/{DEMO_KEY_ID}/accounts", json={"AccountId": "12"})
    assert problem_of(bad)["field"] == "AccountId"
    assert api.delete(f"keys/{DEMO_KEY_ID}/accounts/{OUTSIDER}").json()["accounts"] == [TRUSTED]

    saved = api.put(f"keys/{DEMO_KEY_ID}/policy", json={"Policy": policy})
    assert saved.status_code == 200 and isinstance(saved.json()["findings"], list)
    refused = api.put(f"keys/{DEMO_KEY_ID}/policy", json={"Policy": '{"Version": "2012-10-17", "Statement": '
                                                                    '[{"Effect": "Allow", "Action": "kms:*", '
                                                                    '"Resource": "*"}]}'})
    problem = problem_of(refused)
    assert refused.status_code == 400 and problem["code"] == "MalformedPolicyDocumentException"
    assert problem["field"] == "Policy" and any(f["code"] == "MISSING_PRINCIPAL" for f in problem["findings"])

    versions = api.get(f"keys/{DEMO_KEY_ID}/policy/versions", params={"limit": 2}).json()
    assert [v["version"] for v in versions["results"]] == [4, 3] and versions["next"]
    rest_of_them = api.get(versions["next"]).json()
    assert [v["version"] for v in rest_of_them["results"]] == [2, 1] and rest_of_them["next"] is None


def test_events_filter_and_cursor_pages(rest):
    api = rest(KEY_ADMIN)
    for _ in range(3):
        api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "aGk="})
    first = api.get("events", params={"event_name": "Encrypt", "limit": 2}).json()
    assert len(first["results"]) == 2 and all(e["EventName"] == "Encrypt" for e in first["results"])
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    two_attributes = api.get("events", params={"event_name": "Encrypt", "username": "KeyAdmin"})
    assert problem_of(two_attributes)["code"] == "InvalidLookupAttributesException"
    bad_limit = api.get("events", params={"limit": "0"})
    assert problem_of(bad_limit)["field"] == "limit"
    # Eve's account has its own history: none of KeyAdmin's events.
    assert rest(EVE).get("events").status_code == 403  # Eve has no cloudtrail:LookupEvents


def test_iam_lists_follow_iam_permissions(rest):
    users = rest(IAM_ADMIN).get("iam/users").json()["results"]
    assert sorted(u["UserName"] for u in users) == ["Alice", "IamAdmin"]
    roles = rest(IAM_ADMIN).get("iam/roles").json()["results"]
    assert [r["RoleName"] for r in roles] == ["ExampleRole"]
    local = rest(IAM_ADMIN).get("iam/policies", params={"scope": "Local"}).json()["results"]
    assert [p["PolicyName"] for p in local] == ["AllowUseOfKeyInAccount111122223333"]
    denied = rest(KEY_ADMIN).get("iam/users")
    assert denied.status_code == 403 and problem_of(denied)["code"] == "AccessDeniedException"
    assert problem_of(rest(IAM_ADMIN).get("iam/policies", params={"scope": "Mine"}))["field"] == "scope"


def test_simulate_explains_and_respects_who_may_read_the_key_policy(rest):
    owner = rest(KEY_ADMIN).post("access/simulate", json={
        "principal": f"arn:aws:iam::{TRUSTED}:role/ExampleRole", "action": "kms:Decrypt", "resource": DEMO_KEY_ID})
    assert owner.status_code == 200, owner.text
    answer = owner.json()
    assert answer["view"] == "account" and answer["verdict"] == "depends-on-other-account"
    assert any(r["source"].startswith("key-policy:") for r in answer["reasons"])
    bad = rest(KEY_ADMIN).post("access/simulate", json={"principal": "nobody", "action": "kms:Decrypt",
                                                        "resource": DEMO_KEY_ID})
    assert problem_of(bad)["field"] == "principal"
    outsider = rest(EVE).post("access/simulate", json={"principal": f"arn:aws:iam::{OUTSIDER}:user/Eve",
                                                       "action": "kms:Decrypt", "resource": DEMO_KEY_ARN})
    assert outsider.status_code == 403


def test_who_can_use_for_the_owner_only(rest, live_server):
    grid = rest(KEY_ADMIN).get(f"keys/{DEMO_KEY_ID}/who-can-use")
    assert grid.status_code == 200, grid.text
    assert grid.json()["view"] == "account"
    assert f"arn:aws:iam::{OWNER}:user/KeyAdmin" in [row["principal"] for row in grid.json()["rows"]]
    credentials, token = _example_role_session(live_server)
    assert rest(credentials, session_token=token).get(f"keys/{DEMO_KEY_ARN}/who-can-use").status_code == 403


def test_validate_reports_every_finding_without_probing_principals(rest):
    answer = rest(EVE).post("policies/validate", json={
        "policy_type": "KEY_POLICY", "key_account": OWNER,
        "policy_document": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}})
    assert answer.status_code == 200, answer.text
    assert any(f["severity"] == "SECURITY_WARNING" for f in answer.json()["findings"])
    wrong_type = rest(EVE).post("policies/validate", json={"policy_type": "SCP", "policy_document": "{}"})
    assert problem_of(wrong_type)["field"] == "policy_type"


def test_encrypt_sees_a_change_another_server_process_made(rest):
    """Encrypt trusts the process's cached state until its audit INSERT finds the state moved (as the AWS endpoint
    does): a key disabled behind this process's back is refused, not used."""
    from keys.models import Key
    from kmsconsole import statecache

    api = rest(KEY_ADMIN)
    assert api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "aGk="}).status_code == 200
    Key.objects.filter(key_id=DEMO_KEY_ID).update(state="Disabled")  # no signal: as another worker's change
    statecache.bump()
    refused = api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "aGk="})
    assert problem_of(refused)["code"] == "DisabledException"
    encrypts = api.get("events", params={"event_name": "Encrypt"}).json()["results"]
    assert [json.loads(e["CloudTrailEvent"]).get("errorCode") for e in encrypts] == ["DisabledException", None]
