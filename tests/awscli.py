"""The real AWS CLI against the live server, as a user following the README runs it: one place for the
environment every CLI test gives it (its own empty HOME, so no user config or credentials file gets in the way)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REGION

AWS = Path(sys.executable).with_name("aws")


def cli_environment(endpoint_url: str, home: Path, credentials: tuple[str, str], *, region: str = REGION,
                    session_token: str | None = None) -> dict:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": credentials[0],
        "AWS_SECRET_ACCESS_KEY": credentials[1],
        "AWS_DEFAULT_REGION": region,
        "AWS_MAX_ATTEMPTS": "1",
    }
    if session_token:
        env["AWS_SESSION_TOKEN"] = session_token
    return env


def run_aws(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`aws <args> --output json`, its exit status, stdout and stderr."""
    return subprocess.run([str(AWS), *args, "--output", "json"], env=env, capture_output=True, text=True,
                          timeout=120)
