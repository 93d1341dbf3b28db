"""Console passwords (login profiles): CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile.

A user has a login profile exactly when it has a console password (IamUser.console_password, a Django hash);
the console's sign-in (accounts/views.py) checks that same password. Passwords reach neither the audit trail
(the trail drops members whose names look secret) nor any answer.
"""

from __future__ import annotations

from accounts.models import IamUser
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import authorize, find_user
from iam.operations.users import calling_user_name

# AWS's default password policy, in force while an account sets none of its own (this emulator has no
# UpdateAccountPasswordPolicy): 8 to 128 characters, with at least three of the four kinds below.
MIN_PASSWORD_LENGTH = 8
PASSWORD_SYMBOLS = set("!@#$%^&*()_+-=[]{}|'")
MIN_CHARACTER_KINDS = 3
POLICY_VIOLATION = "Password does not conform to the account password policy."


def _user(call) -> IamUser:
    user = find_user(call, call.params.get("UserName") or calling_user_name(call))
    authorize(call, user.arn)
    return user


def _profile(user: IamUser) -> IamUser:
    if not user.has_login_profile:
        raise errors.NoSuchEntityException(f"Login Profile for User {user.name} cannot be found.")
    return user


def _check_password(password: str | None) -> str:
    if password is None:
        # The model leaves Password optional for AssumeRoot sessions only; every other caller must send it.
        raise errors.ValidationException(
            "1 validation error detected: Value null at 'password' failed to satisfy constraint: "
            "Member must not be null", field="Password")
    kinds = sum((
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(c in PASSWORD_SYMBOLS for c in password),
    ))
    if len(password) < MIN_PASSWORD_LENGTH or kinds < MIN_CHARACTER_KINDS:
        raise errors.PasswordPolicyViolationException(POLICY_VIOLATION, field="Password")
    return password


def _login_profile_shape(user: IamUser) -> dict:
    return {"UserName": user.name, "CreateDate": user.login_profile_created_at,
            "PasswordResetRequired": user.password_reset_required}


@operation("iam", "CreateLoginProfile")
def create_login_profile(call):
    user = _user(call)
    if user.has_login_profile:
        raise errors.EntityAlreadyExistsException(f"Login Profile for user {user.name} already exists.")
    user.set_console_password(_check_password(call.params.get("Password")))
    user.password_reset_required = bool(call.params.get("PasswordResetRequired", False))
    user.save(update_fields=["console_password", "login_profile_created_at", "password_reset_required"])
    return {"LoginProfile": _login_profile_shape(user)}


@operation("iam", "GetLoginProfile", read_only=True)
def get_login_profile(call):
    return {"LoginProfile": _login_profile_shape(_profile(_user(call)))}


@operation("iam", "UpdateLoginProfile")
def update_login_profile(call):
    """A new password and/or the reset flag; what the request leaves out stays as it was."""
    user = _profile(_user(call))
    if "Password" in call.params:
        user.set_console_password(_check_password(call.params["Password"]))
    if call.params.get("PasswordResetRequired") is not None:
        user.password_reset_required = call.params["PasswordResetRequired"]
    user.save(update_fields=["console_password", "password_reset_required"])
    return {}


@operation("iam", "DeleteLoginProfile")
def delete_login_profile(call):
    user = _profile(_user(call))
    user.set_console_password(None)
    user.password_reset_required = False
    user.save(update_fields=["console_password", "login_profile_created_at", "password_reset_required"])
    return {}
