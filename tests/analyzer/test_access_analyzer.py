"""IAM Access Analyzer's policy checks on our endpoint: boto3 and the AWS CLI, signed for access-analyzer."""

import json

import pytest
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from tests.awscli import cli_environment, run_aws
from tests.conftest import DEMO_KEY_ARN, OUTSIDER, OWNER, REGION, TRUSTED, access_key_of

KEY_ADMIN = ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001")

ROOT_STATEMENT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"}
USE_STATEMENT = {"Sid": "Allow use of the key", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
                 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


@pytest.fixture
def analyzer(demo, aws):
    return aws("accessanalyzer", KEY_ADMIN)


def test_a_public_key_policy_is_a_security_warning_at_its_principal(analyzer):
    policy = doc(ROOT_STATEMENT, {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                                  "Action": "kms:Decrypt", "Resource": "*"})
    findings = analyzer.validate_policy(policyDocument=policy, policyType="RESOURCE_POLICY",
                                        validatePolicyResourceType="AWS::KMS::Key")["findings"]
    public = [f for f in findings if f["issueCode"] == "PRINCIPAL_STAR_WITHOUT_CONDITION"]
    assert public and public[0]["findingType"] == "SECURITY_WARNING"
    location = public[0]["locations"][0]
    assert location["path"][:2] == [{"value": "Statement"}, {"index": 1}]
    start, end = location["span"]["start"], location["span"]["end"]
    assert policy[start["offset"]:end["offset"]] in ('"*"', '{"AWS": "*"}') or "*" in policy[start["offset"]:end["offset"]]
    assert policy.splitlines()[start["line"] - 1][start["column"]:].startswith(policy[start["offset"]:][:3])
    assert public[0]["learnMoreLink"].startswith("https://docs.aws.amazon.com/")


def test_an_identity_policy_granting_kms_star_on_star_is_flagged(analyzer):
    findings = analyzer.validate_policy(policyDocument=doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),
                                        policyType="IDENTITY_POLICY")["findings"]
    assert findings, "kms:* on * must not pass silently"
    assert {f["findingType"] for f in findings} & {"SECURITY_WARNING", "WARNING"}


def test_giving_another_account_put_key_policy_is_flagged(analyzer):
    policy = doc(ROOT_STATEMENT, {"Sid": "Other admin", "Effect": "Allow",
                                  "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
                                  "Action": "kms:PutKeyPolicy", "Resource": "*"})
    findings = analyzer.validate_policy(policyDocument=policy, policyType="RESOURCE_POLICY")["findings"]
    flagged = [f for f in findings if f["issueCode"] == "CROSS_ACCOUNT_NO_EFFECT"]
    assert flagged and "kms:PutKeyPolicy" in flagged[0]["findingDetails"], findings


def test_a_clean_key_policy_has_no_findings_and_json_errors_are_findings(analyzer):
    assert analyzer.validate_policy(policyDocument=doc(ROOT_STATEMENT, USE_STATEMENT),
                                    policyType="RESOURCE_POLICY")["findings"] == []
    broken = analyzer.validate_policy(policyDocument='{"Version": ', policyType="IDENTITY_POLICY")["findings"]
    assert broken[0]["findingType"] == "ERROR" and broken[0]["issueCode"] == "INVALID_JSON"


def test_findings_are_paginated(analyzer):
    statements = [{"Effect": "Allow", "Action": f"kms:NoSuchAction{i}", "Resource": "*"} for i in range(5)]
    paginator = analyzer.get_paginator("validate_policy")
    pages = list(paginator.paginate(policyDocument=doc(*statements), policyType="IDENTITY_POLICY",
                                    PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 3
    everything = analyzer.validate_policy(policyDocument=doc(*statements), policyType="IDENTITY_POLICY")["findings"]
    assert [f for page in pages for f in page["findings"]] == everything
    with pytest.raises(ClientError) as caught:
        analyzer.validate_policy(policyDocument=doc(*statements), policyType="IDENTITY_POLICY", nextToken="!!")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_service_control_policies_and_other_resource_types_are_refused_as_unsupported(analyzer):
    for kwargs in ({"policyType": "SERVICE_CONTROL_POLICY"},
                   {"policyType": "RESOURCE_POLICY", "validatePolicyResourceType": "AWS::S3::Bucket"}):
        with pytest.raises(ClientError) as caught:
            analyzer.validate_policy(policyDocument=doc(ROOT_STATEMENT), **kwargs)
        error = caught.value.response
        assert error["Error"]["Code"] == "ValidationException"
        assert error["reason"] == "notSupported"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_check_no_new_access_fails_when_a_key_policy_adds_an_account(analyzer):
    existing = doc(ROOT_STATEMENT)
    added = doc(ROOT_STATEMENT, USE_STATEMENT)
    answer = analyzer.check_no_new_access(existingPolicyDocument=existing, newPolicyDocument=added,
                                          policyType="RESOURCE_POLICY")
    assert answer["result"] == "FAIL"
    assert answer["reasons"][0]["statementIndex"] == 1
    assert answer["reasons"][0]["statementId"] == "Allow use of the key"
    # The same policy, or one that narrows it, grants nothing new.
    assert analyzer.check_no_new_access(existingPolicyDocument=added, newPolicyDocument=added,
                                        policyType="RESOURCE_POLICY")["result"] == "PASS"
    narrower = doc(ROOT_STATEMENT, {**USE_STATEMENT, "Action": ["kms:Decrypt"]})
    assert analyzer.check_no_new_access(existingPolicyDocument=added, newPolicyDocument=narrower,
                                        policyType="RESOURCE_POLICY")["result"] == "PASS"
    # A role of an account the key policy already trusts is not new access.
    role = doc(ROOT_STATEMENT, {**USE_STATEMENT, "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:role/ExampleRole"}})
    assert analyzer.check_no_new_access(existingPolicyDocument=added, newPolicyDocument=role,
                                        policyType="RESOURCE_POLICY")["result"] == "PASS"


def test_check_no_new_access_sees_a_removed_deny_and_wider_identity_resources(analyzer):
    allow = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    deny = {"Sid": "NotOutsideUsWest2", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-west-2"}}}
    answer = analyzer.check_no_new_access(existingPolicyDocument=doc(allow, deny), newPolicyDocument=doc(allow),
                                          policyType="IDENTITY_POLICY")
    assert answer["result"] == "FAIL"
    one_key = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": DEMO_KEY_ARN}
    any_key = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": f"arn:aws:kms:{REGION}:{OWNER}:key/*"}
    assert analyzer.check_no_new_access(existingPolicyDocument=doc(one_key), newPolicyDocument=doc(any_key),
                                        policyType="IDENTITY_POLICY")["result"] == "FAIL"
    assert analyzer.check_no_new_access(existingPolicyDocument=doc(any_key), newPolicyDocument=doc(one_key),
                                        policyType="IDENTITY_POLICY")["result"] == "PASS"


def test_check_access_not_granted(analyzer):
    policy = doc(ROOT_STATEMENT, USE_STATEMENT)
    answer = analyzer.check_access_not_granted(policyDocument=policy, policyType="RESOURCE_POLICY",
                                               access=[{"actions": ["kms:Decrypt"]}])
    assert answer["result"] == "FAIL" and {r["statementIndex"] for r in answer["reasons"]} == {0, 1}
    answer = analyzer.check_access_not_granted(policyDocument=doc(USE_STATEMENT), policyType="RESOURCE_POLICY",
                                               access=[{"actions": ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]}])
    assert answer["result"] == "PASS" and answer["reasons"] == []
    identity = doc({"Effect": "Allow", "Action": "kms:Encrypt", "Resource": DEMO_KEY_ARN})
    assert analyzer.check_access_not_granted(
        policyDocument=identity, policyType="IDENTITY_POLICY",
        access=[{"actions": ["kms:Encrypt"], "resources": [DEMO_KEY_ARN.replace(OWNER, OUTSIDER)]}])["result"] == "PASS"
    assert analyzer.check_access_not_granted(
        policyDocument=identity, policyType="IDENTITY_POLICY",
        access=[{"resources": [DEMO_KEY_ARN]}])["result"] == "FAIL"
    with pytest.raises(ClientError) as caught:
        analyzer.check_access_not_granted(policyDocument="{nope", policyType="IDENTITY_POLICY",
                                          access=[{"actions": ["kms:Encrypt"]}])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_check_no_public_access(analyzer):
    public = doc(ROOT_STATEMENT, {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})
    fenced = doc(ROOT_STATEMENT, {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                                  "Condition": {"StringEquals": {"kms:CallerAccount": TRUSTED}}})
    assert analyzer.check_no_public_access(policyDocument=public, resourceType="AWS::KMS::Key")["result"] == "FAIL"
    assert analyzer.check_no_public_access(policyDocument=fenced, resourceType="AWS::KMS::Key")["result"] == "PASS"


def test_calls_are_authorised_by_the_callers_iam_policies_and_recorded(demo, aws, analyzer):
    analyzer.validate_policy(policyDocument=doc(ROOT_STATEMENT), policyType="RESOURCE_POLICY")
    eve = aws("accessanalyzer", access_key_of(demo, OUTSIDER, "Eve"))
    with pytest.raises(ClientError) as caught:
        eve.validate_policy(policyDocument=doc(ROOT_STATEMENT), policyType="RESOURCE_POLICY")
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "access-analyzer:ValidatePolicy" in caught.value.response["Error"]["Message"]
    records = AuditEvent.objects.filter(event_source="access-analyzer.amazonaws.com", event_name="ValidatePolicy")
    assert {(r.recipient_account, r.error_code) for r in records} == {(OWNER, ""), (OUTSIDER, "AccessDenied")}
    assert {r.region for r in records} == {REGION}


def test_a_request_signed_for_another_service_on_an_analyzer_path_is_not_answered_as_analyzer(demo, live_server):
    import requests

    assert requests.post(f"{live_server.url}/policy/validation", data="{}").status_code == 404


def test_the_aws_cli_validates_a_key_policy_file(demo, live_server, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(doc(ROOT_STATEMENT, {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}))
    done = run_aws(cli_environment(live_server.url, tmp_path, KEY_ADMIN), "accessanalyzer", "validate-policy",
                   "--policy-document", f"file://{policy}", "--policy-type", "RESOURCE_POLICY",
                   "--validate-policy-resource-type", "AWS::KMS::Key")
    assert done.returncode == 0, done.stderr
    codes = {f["issueCode"] for f in json.loads(done.stdout)["findings"]}
    assert "PRINCIPAL_STAR_WITHOUT_CONDITION" in codes
