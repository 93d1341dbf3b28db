"""Shared test set-up: which database the suite runs on, and the three personas of the AWS example.

owner    111122223333  owns key 1234abcd-12ab-34cd-56ef-1234567890ab in us-west-2
trusted  444455556666  the account the key is shared with (role ExampleRole)
outsider 777788889999  nobody shares anything with it
"""

from django.conf import settings

pytest_plugins = ["tests.audit.secret_scan", "tests.browser"]


def pytest_report_header(config):
    from django.core.exceptions import ImproperlyConfigured

    try:
        db = settings.DATABASES["default"]
    except ImproperlyConfigured:  # pure tests run with -p no:django have no settings
        return "database: none (Django not configured)"
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST') or 'socket'}:{db.get('PORT') or ''}/{db['NAME']}"
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {where}"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(pytest_report_header(None))


# --------------------------------------------------------------------------------------------------
# Scenarios and AWS clients against the live server
# --------------------------------------------------------------------------------------------------
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from botocore.config import Config  # noqa: E402
from django.core.management import call_command  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEMO_SCENARIO = REPO / "scenarios" / "demo.yaml"
OWNER, TRUSTED, OUTSIDER = "111122223333", "444455556666", "777788889999"
REGION = "us-west-2"
DEMO_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
DEMO_KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{DEMO_KEY_ID}"


@pytest.fixture
def load_scenario(tmp_path):
    """Load a scenario given as a dict or YAML text (or a path) through the real load_scenario command."""

    def load(scenario, replace=False):
        if isinstance(scenario, Path):
            path = scenario
        else:
            path = tmp_path / f"scenario-{len(list(tmp_path.iterdir()))}.yaml"
            path.write_text(scenario if isinstance(scenario, str) else yaml.safe_dump(scenario))
        args = [str(path)] + (["--replace"] if replace else [])
        call_command("load_scenario", *args)
        return path

    return load


@pytest.fixture
def demo(transactional_db, load_scenario):
    """The built-in demo scenario, loaded; returns its parsed document (for principals' keys)."""
    load_scenario(DEMO_SCENARIO)
    return yaml.safe_load(DEMO_SCENARIO.read_text())


def access_key_of(document: dict, account_id: str, user: str | None = None) -> tuple[str, str]:
    """(access key id, secret) of a user, or of the root when user is None, in a scenario document."""
    for account in document["accounts"]:
        if str(account["id"]) != account_id:
            continue
        if user is None:
            key = account["root_access_keys"][0]
        else:
            key = next(u for u in account["users"] if u["name"] == user)["access_keys"][0]
        return key["access_key_id"], key["secret_access_key"]
    raise KeyError(account_id)


@pytest.fixture
def aws(live_server):
    """aws(service, (access_key_id, secret), region=..., session_token=None) -> a boto3 client on the live server."""

    def client(service, credentials, region=REGION, session_token=None):
        access_key_id, secret = credentials
        return boto3.client(
            service,
            endpoint_url=live_server.url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret,
            aws_session_token=session_token,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    return client


def policy_json(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
