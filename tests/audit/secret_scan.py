"""pytest plugin: no audit record written by any test may contain a secret or a plaintext the tests used.

Registered from tests/conftest.py. It learns the secrets where they enter the system, cheaply:
- every password and secret access key set on a model (scenario loading, STS), through the setters;
- every Plaintext, CiphertextBlob, password, secret and session token a boto3 client sent or received.
After each test that used the database it reads the records written during that test and fails the
test if any known secret appears in one, as text or in base64.
"""

import base64
import datetime as dt
import json

import pytest

_SECRETS: set[str] = set()
_SECRET_MEMBERS = {"Plaintext", "CiphertextBlob", "SecretAccessKey", "SessionToken", "Password",
                   "PrivateKeyPlaintext", "GrantToken", "SharedSecret", "Mac", "Signature", "Message"}
_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}
_MIN_LENGTH = 8  # shorter values would match by chance
_MIN_DISTINCT = 4  # nor can "xxxxxxxx"-like filler (size-limit tests) tell a leak from a coincidence


def remember(value):
    """Add a secret (text or bytes) and its base64 forms to the registry."""
    if isinstance(value, (str, bytes, bytearray, memoryview)) and len(set(value)) < _MIN_DISTINCT:
        return
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = None
        if text and len(text) >= _MIN_LENGTH:
            _SECRETS.add(text)
    elif isinstance(value, str):
        text, raw = value, value.encode()
        if len(text) >= _MIN_LENGTH:
            _SECRETS.add(text)
    else:
        return
    if len(raw) >= 6:
        encoded = base64.b64encode(raw).decode()
        _SECRETS.add(encoded.rstrip("="))  # without padding: found inside a longer base64 text too


def known_secrets() -> frozenset[str]:
    return frozenset(_SECRETS)


def _collect_members(value):
    if isinstance(value, dict):
        for name, item in value.items():
            if name in _SECRET_MEMBERS:
                remember(item)
            else:
                _collect_members(item)
    elif isinstance(value, list):
        for item in value:
            _collect_members(item)


def _install_hooks():
    import botocore.client

    from accounts.models import AccessKey, Account, IamUser

    original_call = botocore.client.BaseClient._make_api_call

    def make_api_call(self, operation_name, api_params):
        _collect_members(api_params)
        credentials = self._request_signer._credentials
        if credentials is not None:
            remember(credentials.secret_key)
            if credentials.token:
                remember(credentials.token)
        response = original_call(self, operation_name, api_params)
        _collect_members(response)
        return response

    botocore.client.BaseClient._make_api_call = make_api_call

    secret_property = AccessKey.secret_access_key

    def set_secret(self, value):
        remember(value)
        secret_property.fset(self, value)

    AccessKey.secret_access_key = secret_property.setter(set_secret)

    for model, method_name in ((Account, "set_root_password"), (IamUser, "set_console_password")):
        original = getattr(model, method_name)

        def set_password(self, raw, _original=original):
            if raw:
                remember(raw)
            return _original(self, raw)

        setattr(model, method_name, set_password)


_installed = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Installed at the first test, once Django is set up, before any fixture loads a scenario.
    global _installed
    from django.apps import apps

    if not _installed and apps.ready:
        _installed = True
        _install_hooks()


def leaked_secrets(since: dt.datetime) -> list[tuple[str, str]]:
    """(eventName, secret prefix) of every record written since `since` that holds a known secret."""
    from audit.models import AuditEvent

    secrets = known_secrets()
    if not secrets:
        return []
    found = []
    for name, record in AuditEvent.objects.filter(event_time__gte=since).values_list("event_name", "record"):
        text = json.dumps(record)
        leaked = next((secret for secret in secrets if secret in text), None)
        if leaked is not None:
            found.append((name, leaked[:4] + "..."))  # one finding per record is enough to fail
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    uses_db = bool(_DB_FIXTURES & set(getattr(item, "fixturenames", ()))) or item.get_closest_marker("django_db")
    if not uses_db:
        return (yield)
    from django.utils import timezone

    started = timezone.now() - dt.timedelta(seconds=1)
    result = yield
    leaks = leaked_secrets(started)
    assert not leaks, f"audit records contain secrets or plaintexts: {leaks}"
    return result
