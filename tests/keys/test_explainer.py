"""The Access explainer (keys.access_explainer.explain_access and the key page's Access tab), as the key owner
of the demo sees it (account view) and as an operator sees it (Django staff: every account's policies).

The guide's central example: on KeyAdmin's key, may arn:aws:iam::444455556666:role/ExampleRole Encrypt?
The owner can only say that its key policy lets account 444455556666 in and that the rest is that account's
IAM; the operator sees the role's IAM policy too and says Allow."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from keys.access_explainer import (ALLOWED, DENIED, DEPENDS, UNKNOWN, BadQuestion, explain_access)
from keys.models import Key, KeyPolicyVersion
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, TRUSTED

ACCESS_URL = f"/keys/{DEMO_KEY_ID}/access/"
EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
ROLE_POLICY_SOURCE = "iam:AllowUseOfKeyInAccount111122223333/AllowUseOfKeyInAccount111122223333"
EVE = f"arn:aws:iam::{OUTSIDER}:user/Eve"


def key_admin(operator: bool = False) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": OWNER, "username": "KeyAdmin",
                                        "password": "demo-KeyAdmin-password-not-secret"})
    assert response.status_code == 302
    if operator:
        staff = User.objects.create_user("trainer", password="trainer-password-not-secret", is_staff=True)
        client.force_login(staff)  # after the console sign-in, which starts a fresh session
    return client


def ask(client: Client, principal_arn: str, action: str, **extra) -> str:
    response = client.get(ACCESS_URL, {"principal_arn": principal_arn, "action": action, **extra})
    assert response.status_code == 200
    return response.content.decode()


def explain(principal_arn: str, action: str, operator: bool = False):
    return explain_access(Key.objects.get(arn=DEMO_KEY_ARN), principal_arn, action, region="us-west-2",
                          source_ip="192.0.2.10", operator=operator)


# ---- the guide's example ----


def test_owner_is_told_the_other_accounts_iam_decides_and_never_sees_it(demo):
    page = ask(key_admin(), EXAMPLE_ROLE, "kms:Encrypt")

    assert 'id="access-verdict" class="kms-verdict">Depends on account 444455556666<' in page
    assert "Account view: what account 111122223333 can know." in page
    assert "key-policy:Allow use of the key" in page
    assert ("The key policy statement &quot;Allow use of the key&quot; allows account 444455556666 to perform "
            "kms:Encrypt. The rest is decided by account 444455556666&#x27;s IAM policies, which this account "
            "cannot read: role ExampleRole may perform kms:Encrypt only if one of them allows it.") in page
    assert "AllowUseOfKeyInAccount111122223333" not in page  # the other account's policy is not the owner's to read
    assert "ImplicitDeny" not in page and "must still attach" not in page  # no guessed verdict


def test_operator_sees_allow_with_the_statements_of_both_accounts(demo):
    page = ask(key_admin(operator=True), EXAMPLE_ROLE, "kms:Encrypt")

    assert "Operator view: sees every account." in page
    assert 'id="access-verdict" class="kms-verdict">Allowed<' in page
    assert "key-policy:Allow use of the key" in page and ROLE_POLICY_SOURCE in page


def test_an_operator_may_ask_for_the_account_view(demo):
    page = ask(key_admin(operator=True), EXAMPLE_ROLE, "kms:Encrypt", **{"as": "account"})

    assert "Account view: what account 111122223333 can know." in page
    assert "Depends on account 444455556666" in page and ROLE_POLICY_SOURCE not in page


def test_a_principal_who_is_not_staff_cannot_ask_for_the_operator_view(demo):
    page = ask(key_admin(), EXAMPLE_ROLE, "kms:Encrypt", **{"as": "operator"})
    assert "Operator view" not in page and ROLE_POLICY_SOURCE not in page


def test_the_answer_as_a_dict_is_json_with_both_sides_and_sources(demo):
    account = explain(EXAMPLE_ROLE, "kms:Encrypt").as_dict()
    operator = explain(EXAMPLE_ROLE, "kms:Encrypt", operator=True).as_dict()

    assert json.loads(json.dumps(account)) == account
    assert (account["view"], account["verdict"], account["effect"]) == ("account", DEPENDS, None)
    assert account["key_side"]["decision"] == "allow-with-iam"
    assert account["caller_side"] == {"decision": "not-visible", "summary": (
        "Decided by account 444455556666's IAM policies, which this account cannot read.")}
    assert [(r["source"], r["account"]) for r in account["reasons"]] == [
        ("key-policy:Allow use of the key", OWNER)]

    assert (operator["view"], operator["verdict"], operator["effect"]) == ("operator", ALLOWED, "Allow")
    assert operator["caller_side"]["decision"] == "allow"
    assert {(r["source"], r["account"]) for r in operator["reasons"]} == {
        ("key-policy:Allow use of the key", OWNER), (ROLE_POLICY_SOURCE, TRUSTED)}


def test_the_operator_view_follows_the_other_accounts_iam_as_it_changes(demo):
    from accounts.models import IamRole

    IamRole.objects.get(account_id=TRUSTED, name="ExampleRole").managed_policies.clear()

    answer = explain(EXAMPLE_ROLE, "kms:Encrypt", operator=True)
    assert answer.verdict == DENIED and answer.effect == "ImplicitDeny"
    assert "no policy attached to role ExampleRole allows kms:Encrypt" in answer.explanation
    assert explain(EXAMPLE_ROLE, "kms:Encrypt").verdict == DEPENDS  # the owner still cannot tell


# ---- unknown principals and actions ----


def test_an_unknown_role_of_another_account(demo):
    no_such_role = f"arn:aws:iam::{TRUSTED}:role/NoSuchRole"

    owner = ask(key_admin(), no_such_role, "kms:Encrypt")
    # AWS does not tell the key owner whether another account's role exists: neither does the account view.
    assert "Depends on account 444455556666" in owner
    assert "This view does not say whether role NoSuchRole exists" in owner and "no IAM role" not in owner

    operator = ask(key_admin(operator=True), no_such_role, "kms:Encrypt")
    assert 'id="access-verdict" class="kms-verdict">Unknown<' in operator
    assert "Account 444455556666 has no IAM role NoSuchRole: nothing to evaluate." in operator
    assert "access-reasons" not in operator


def test_an_unknown_principal_of_the_keys_own_account_is_unknown_in_either_view(demo):
    for client in (key_admin(), key_admin(operator=True)):
        page = ask(client, f"arn:aws:iam::{OWNER}:user/NoSuchUser", "kms:Decrypt")
        assert 'class="kms-verdict">Unknown<' in page
        assert "Account 111122223333 has no IAM user NoSuchUser: nothing to evaluate." in page
        client.logout()


def test_an_account_missing_from_this_installation_is_unknown_to_the_operator(demo):
    answer = explain("arn:aws:iam::123456789012:root", "kms:Encrypt", operator=True)
    assert answer.verdict == UNKNOWN
    assert answer.explanation.startswith("Account 123456789012 does not exist in this installation")


def test_an_unknown_action_is_unknown_not_a_cross_account_rule(demo):
    page = ask(key_admin(), EXAMPLE_ROLE, "kms:NoSuchAction")

    assert 'class="kms-verdict">Unknown<' in page
    assert "kms:NoSuchAction is not a KMS action: nothing to evaluate." in page
    assert "cross-account" not in page


def test_an_action_iam_alone_decides_is_refused_by_the_field(demo):
    page = ask(key_admin(), EXAMPLE_ROLE, "kms:CreateKey")

    assert 'id="action-error">kms:CreateKey is not performed on a key' in page
    assert "access-answer" not in page
    with pytest.raises(BadQuestion):
        explain(EXAMPLE_ROLE, "kms:ListKeys")


def test_action_names_are_matched_as_iam_matches_them(demo):
    assert explain(EXAMPLE_ROLE, "kms:encrypt", operator=True).action == "kms:Encrypt"


# ---- principals of the key's own account, and an outsider ----


def test_own_account_principals_are_evaluated_with_their_real_iam_policies(demo):
    client = key_admin()

    admin = ask(client, f"arn:aws:iam::{OWNER}:user/KeyAdmin", "kms:Encrypt")
    assert 'class="kms-verdict">Allowed<' in admin
    assert "iam:user/KeyAdmin/inline/KeyAdministration/ManageKmsKeysOfThisAccount" in admin
    assert "key-policy:Enable IAM User Permissions" in admin

    root = explain(OWNER, "kms:PutKeyPolicy")
    assert (root.verdict, root.key_side.decision, root.caller_side.decision) == (ALLOWED, "allow", "not-needed")


def test_a_key_administrator_named_by_the_key_policy_needs_no_iam_policy(demo):
    from accounts.models import InlinePolicy

    InlinePolicy.objects.filter(user__name="KeyAdmin").delete()

    answer = explain(f"arn:aws:iam::{OWNER}:user/KeyAdmin", "kms:DescribeKey")
    assert answer.verdict == ALLOWED and answer.key_side.decision == "allow"
    assert answer.caller_side.summary.startswith("Not needed: the key policy names this principal directly")
    denied = explain(f"arn:aws:iam::{OWNER}:user/KeyAdmin", "kms:Encrypt")
    assert denied.verdict == DENIED and denied.caller_side.decision == "deny"


def test_the_outsider_is_denied_by_the_key_side_with_certainty(demo):
    owner = ask(key_admin(), EVE, "kms:Decrypt")
    assert 'class="kms-verdict">Denied<' in owner
    assert ("The key policy of account 111122223333 allows neither account 777788889999 nor user Eve of account "
            "777788889999 to perform kms:Decrypt") in owner
    assert "No IAM policy in account 777788889999 can change that" in owner
    assert "AllowAllKms" not in owner

    operator = explain(EVE, "kms:Decrypt", operator=True)
    assert operator.verdict == DENIED and operator.caller_side.decision == "allow"
    assert any(r.source.startswith("iam:user/Eve/inline/AllowAllKms") for r in operator.reasons)


def test_own_account_only_actions_are_denied_to_another_account_whatever_its_iam(demo):
    answer = explain(EXAMPLE_ROLE, "kms:PutKeyPolicy")
    assert answer.verdict == DENIED and answer.key_side.decision == "deny"
    assert answer.key_side.summary.startswith("kms:PutKeyPolicy is not a cross-account operation")


def test_the_explainer_changes_nothing_and_records_only_the_policy_read(demo):
    from audit.models import AuditEvent

    versions = KeyPolicyVersion.objects.count()
    before = AuditEvent.objects.count()
    ask(key_admin(operator=True), EXAMPLE_ROLE, "kms:Encrypt")

    assert KeyPolicyVersion.objects.count() == versions
    names = list(AuditEvent.objects.order_by("pk")[before:].values_list("event_name", flat=True))
    assert "GetKeyPolicy" in names and "Encrypt" not in names


def test_the_explainer_needs_permission_to_read_the_key_policy(demo):
    client = Client()
    client.post("/signin/", {"account": TRUSTED, "username": "Alice", "password": "demo-Alice-password-not-secret"})
    response = client.get(ACCESS_URL, {"principal_arn": EXAMPLE_ROLE, "action": "kms:Encrypt"})
    assert response.status_code == 404  # another account's key id is not found in Alice's account
