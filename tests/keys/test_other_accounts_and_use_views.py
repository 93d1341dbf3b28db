"""Key page items a trainer found wrong (issue 12): "Other AWS accounts" says why it refuses an account, the
policy view has a URL, and "Use a key by ARN" explains only a denial, with only what the caller may know."""

import pytest
from django.test import Client

from keys.models import Key, KeyPolicyVersion
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, TRUSTED

KEY_URL = f"/keys/{DEMO_KEY_ID}/"


def signed_in(account: str, user: str) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": account, "username": user,
                                        "password": f"demo-{user}-password-not-secret"})
    assert response.status_code == 302
    return client


def add_account(client: Client, account_id: str) -> str:
    response = client.post(f"{KEY_URL}policy/edit/", {"change": "add-account", "account_id": account_id},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


# ---- Other AWS accounts ----


@pytest.mark.parametrize("account_id, message", [
    (OWNER, "Account 111122223333 is this key&#x27;s own account: it needs no entry here. The key policy&#x27;s "
            "&quot;Enable IAM User Permissions&quot; statement already lets this account&#x27;s IAM policies "
            "allow use of the key, and Key users names its users and roles."),
    (TRUSTED, "Account 444455556666 is already listed."),
    ("123456789012", "Account 123456789012 does not exist in this installation, so a key policy cannot name it"),
])
def test_an_account_that_would_not_be_added_is_refused_by_the_field_and_nothing_changes(demo, account_id,
                                                                                          message):
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy
    versions = KeyPolicyVersion.objects.count()

    page = add_account(signed_in(OWNER, "KeyAdmin"), account_id)

    assert f'id="account-id-error">{message}' in page
    assert f'value="{account_id}"' in page  # the field keeps what was typed
    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before
    assert KeyPolicyVersion.objects.count() == versions


def test_an_existing_account_is_added(demo):
    page = add_account(signed_in(OWNER, "KeyAdmin"), OUTSIDER)
    assert "Key policy saved." in page and f"arn:aws:iam::{OUTSIDER}:root" in page
    assert f"arn:aws:iam::{OUTSIDER}:root" in Key.objects.get(arn=DEMO_KEY_ARN).policy


# ---- the policy view's URL ----


def test_the_policy_view_opens_from_its_url(demo):
    client = signed_in(OWNER, "KeyAdmin")

    json_view = client.get(KEY_URL, {"tab": "policy", "view": "json"}).content.decode()
    assert 'id="policy-json"' in json_view and "Switch to default view" in json_view

    default = client.get(KEY_URL, {"tab": "policy"}).content.decode()
    assert 'id="policy-json"' not in default and "Switch to policy view" in default
    assert 'hx-push-url="?tab=policy&view=json"' in default


# ---- Use a key by ARN ----


def use(client: Client, operation: str, **fields) -> str:
    return client.post("/keys/use/", {"key_id": DEMO_KEY_ARN, "operation": operation, **fields}).content.decode()


def test_no_explanation_under_a_success(demo):
    from accounts.models import IamPolicy, IamUser

    # Alice gets the role's policy herself, so DescribeKey succeeds as her.
    alice = IamUser.objects.get(account_id=TRUSTED, name="Alice")
    alice.managed_policies.add(IamPolicy.objects.get(account_id=TRUSTED, name="AllowUseOfKeyInAccount111122223333"))

    page = use(signed_in(TRUSTED, "Alice"), "DescribeKey")

    assert 'id="use-output"' in page and DEMO_KEY_ARN in page
    assert "use-explanation" not in page and "no policy attached" not in page


def test_no_explanation_under_not_found(demo):
    page = signed_in(TRUSTED, "Alice").post("/keys/use/", {
        "key_id": f"arn:aws:kms:us-west-2:{TRUSTED}:key/00000000-0000-4000-8000-000000000000",
        "operation": "DescribeKey"}).content.decode()

    assert "NotFoundException" in page
    assert "use-explanation" not in page


def test_a_denial_is_explained_with_the_callers_own_iam_only(demo):
    page = use(signed_in(TRUSTED, "Alice"), "Encrypt", text="hello")

    assert "AccessDeniedException" in page and 'id="use-explanation"' in page
    assert "Denied: no policy attached to user Alice allows kms:Encrypt." in page
    assert "Allow use of the key" not in page and "key-policy:" not in page


def test_an_outsider_whose_iam_allows_is_told_the_keys_side_refused(demo):
    page = use(signed_in(OUTSIDER, "Eve"), "Encrypt", text="hello")

    assert "AccessDeniedException" in page
    assert 'id="use-key-side"' in page and "key-policy:" not in page
