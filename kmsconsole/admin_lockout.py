"""The Django admin's sign-in gets the console's lockout (accounts/console_session.py): LOCKOUT_FAILURES
failures within LOCKOUT_WINDOW lock that user name for LOCKOUT_WINDOW, during which even the right password
is refused. Operators are Django users, and the admin is the only place they sign in, so the rule lives in
the authentication backend the admin's form calls."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import console_session

# A colon cannot appear in an account alias, id or e-mail the console counts under: the two never mix.
ADMIN_REF = "django-admin:"


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        name = username if username is not None else kwargs.get(self._username_field(), "")
        name = str(name or "")
        if console_session.is_locked(ADMIN_REF, name):
            raise PermissionDenied  # django.contrib.auth.authenticate: no other backend is tried
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            console_session.record_failure(ADMIN_REF, name)
        else:
            console_session.clear_failures(ADMIN_REF, name)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
