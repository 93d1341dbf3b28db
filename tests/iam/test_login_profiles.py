"""Console passwords (login profiles) over the wire, and what they mean for the console's sign-in page."""

from django.test import Client

from accounts.models import IamUser
from audit.models import AuditEvent
from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER
from tests.iam.conftest import refused

PASSWORD = "Carol-console-Pw-1"
NEW_PASSWORD = "Carol-new-console-Pw-2"


def sign_in(username: str, password: str) -> int:
    """POST the console's IAM user sign-in form; the response status (302: signed in, 400: refused)."""
    response = Client().post("/signin/", {"account": "key-user", "username": username, "password": password})
    return response.status_code


def test_a_login_profile_lets_the_user_sign_in_until_it_is_deleted(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    assert sign_in("Carol", PASSWORD) == 400

    profile = client.create_login_profile(UserName="Carol", Password=PASSWORD)["LoginProfile"]
    assert profile["UserName"] == "Carol" and profile["PasswordResetRequired"] is False
    assert sign_in("Carol", PASSWORD) == 302

    client.delete_login_profile(UserName="Carol")
    assert sign_in("Carol", PASSWORD) == 400
    refused(lambda: client.get_login_profile(UserName="Carol"), "NoSuchEntity",
            "Login Profile for User Carol cannot be found.")


def test_get_and_update_login_profile(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    created = client.create_login_profile(UserName="Carol", Password=PASSWORD, PasswordResetRequired=True)
    fetched = client.get_login_profile(UserName="Carol")["LoginProfile"]
    assert fetched == created["LoginProfile"]
    assert fetched["PasswordResetRequired"] is True

    client.update_login_profile(UserName="Carol", Password=NEW_PASSWORD)
    assert sign_in("Carol", PASSWORD) == 400
    assert sign_in("Carol", NEW_PASSWORD) == 302
    updated = client.get_login_profile(UserName="Carol")["LoginProfile"]
    assert updated["CreateDate"] == fetched["CreateDate"]  # still the same profile
    assert updated["PasswordResetRequired"] is True  # left out of the update: unchanged

    client.update_login_profile(UserName="Carol", PasswordResetRequired=False)
    assert client.get_login_profile(UserName="Carol")["LoginProfile"]["PasswordResetRequired"] is False
    assert sign_in("Carol", NEW_PASSWORD) == 302


def test_passwords_never_reach_the_audit_trail(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    client.create_login_profile(UserName="Carol", Password=PASSWORD, PasswordResetRequired=True)
    client.update_login_profile(UserName="Carol", Password=NEW_PASSWORD)
    records = {event.event_name: event.record for event in AuditEvent.objects.filter(event_source="iam.amazonaws.com")}
    for name in ("CreateLoginProfile", "UpdateLoginProfile"):
        assert records[name]["requestParameters"]["userName"] == "Carol"
        assert "password" not in records[name]["requestParameters"]
    assert all(PASSWORD not in str(record) and NEW_PASSWORD not in str(record) for record in records.values())
    # The flag only looks secret: CloudTrail records it.
    assert records["CreateLoginProfile"]["requestParameters"]["passwordResetRequired"] is True


def test_a_second_login_profile_already_exists(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    client.create_login_profile(UserName="Carol", Password=PASSWORD)
    refused(lambda: client.create_login_profile(UserName="Carol", Password=NEW_PASSWORD), "EntityAlreadyExists",
            "Login Profile for user Carol already exists.")
    assert sign_in("Carol", PASSWORD) == 302


def test_update_or_delete_of_a_missing_profile_is_no_such_entity(iam):
    client = iam(IAM_ADMIN)
    refused(lambda: client.update_login_profile(UserName="Alice", Password=PASSWORD), "NoSuchEntity",
            "Login Profile for User Alice cannot be found.")
    refused(lambda: client.delete_login_profile(UserName="Alice"), "NoSuchEntity")
    refused(lambda: client.create_login_profile(UserName="Ghost", Password=PASSWORD), "NoSuchEntity",
            "The user with name Ghost cannot be found.")


def test_without_user_name_it_is_the_callers_own_profile(iam):
    refused(iam(READER).get_login_profile, "NoSuchEntity", "Login Profile for User Reader cannot be found.")


def test_a_password_against_the_default_password_policy_is_refused(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    for weak in ("Sh0rt!", "alllowercaseletters", "lowercase-and-symbols"):
        refused(lambda: client.create_login_profile(UserName="Carol", Password=weak), "PasswordPolicyViolation",
                "Password does not conform to the account password policy.")
    assert not IamUser.objects.get(account_id=TRUSTED, name="Carol").has_login_profile


def test_a_principal_without_permission_is_denied(iam):
    iam(IAM_ADMIN).create_user(UserName="Carol")
    refused(lambda: iam(NOBODY).create_login_profile(UserName="Carol", Password=PASSWORD), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateLoginProfile on "
            f"resource: arn:aws:iam::{TRUSTED}:user/Carol because no identity-based policy allows the "
            "iam:CreateLoginProfile action")
    refused(lambda: iam(READER).create_login_profile(UserName="Carol", Password=PASSWORD), "AccessDenied")
    assert sign_in("Carol", PASSWORD) == 400


def test_another_account_cannot_set_or_remove_this_accounts_passwords(iam):
    iam(IAM_ADMIN).create_user(UserName="Carol")
    iam(IAM_ADMIN).create_login_profile(UserName="Carol", Password=PASSWORD)
    eve = iam(EVE)
    refused(lambda: eve.get_login_profile(UserName="Carol"), "NoSuchEntity",
            "The user with name Carol cannot be found.")
    refused(lambda: eve.update_login_profile(UserName="Carol", Password=NEW_PASSWORD), "NoSuchEntity")
    refused(lambda: eve.delete_login_profile(UserName="Carol"), "NoSuchEntity")
    assert sign_in("Carol", PASSWORD) == 302


def test_invalid_user_names_are_validation_errors(iam):
    refused(lambda: iam(IAM_ADMIN).create_login_profile(UserName="bad name!", Password=PASSWORD), "ValidationError")
