"""The demo scenario plus the people the audit tests need.

444455556666  Bob    may use the demo key (the account's managed policy) and read the account's trail
              Carol  may use the demo key but has no cloudtrail:LookupEvents
777788889999  root   has an access key (the root is not governed by IAM)
111122223333  KeyAdmin (from the demo) administers the key and may read the trail
"""

import copy

import pytest
import yaml

from tests.conftest import DEMO_SCENARIO, OWNER, OUTSIDER, TRUSTED, access_key_of

BOB_KEY = ("AKIATRAILBOB00000001", "trail-test/Bob/secret/0000000000000001")
CAROL_KEY = ("AKIATRAILCAROL000001", "trail-test/Carol/secret/00000000000001")
OUTSIDER_ROOT_KEY = ("AKIATRAILOUTSIDER001", "trail-test/outsider-root/secret/00000001")
READ_TRAIL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}


def _account(document, account_id):
    return next(a for a in document["accounts"] if str(a["id"]) == account_id)


def trail_document() -> dict:
    document = copy.deepcopy(yaml.safe_load(DEMO_SCENARIO.read_text()))
    trusted = _account(document, TRUSTED)
    trusted["users"] += [
        {"name": "Bob", "console_password": "trail-test-Bob-password-0001",
         "access_keys": [{"access_key_id": BOB_KEY[0], "secret_access_key": BOB_KEY[1]}],
         "managed_policies": ["AllowUseOfKeyInAccount111122223333"],
         "inline_policies": {"ReadTrail": READ_TRAIL}},
        {"name": "Carol",
         "access_keys": [{"access_key_id": CAROL_KEY[0], "secret_access_key": CAROL_KEY[1]}],
         "managed_policies": ["AllowUseOfKeyInAccount111122223333"]},
    ]
    _account(document, OUTSIDER)["root_access_keys"] = [
        {"access_key_id": OUTSIDER_ROOT_KEY[0], "secret_access_key": OUTSIDER_ROOT_KEY[1]}]
    return document


@pytest.fixture
def trail(transactional_db, load_scenario):
    """Loads the scenario; returns the document."""
    document = trail_document()
    load_scenario(document)
    return document


@pytest.fixture
def key_admin(trail):
    return access_key_of(trail, OWNER, "KeyAdmin")


def lookup_all(client, **kwargs) -> list[dict]:
    """Every event LookupEvents returns for these arguments, following NextToken."""
    events, token = [], None
    while True:
        page = client.lookup_events(**kwargs, **({"NextToken": token} if token else {}))
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            return events
