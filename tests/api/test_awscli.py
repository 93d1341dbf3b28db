"""One real AWS CLI call through AWS_ENDPOINT_URL, as a user would make it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import OWNER_ROOT, SHARED_KEY_ARN, SHARED_KEY_ID
from tests.conftest import REGION


def test_aws_cli_describe_key(world, live_server, tmp_path):
    aws = Path(sys.executable).with_name("aws")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),  # no user config or credentials file gets in the way
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_ENDPOINT_URL": live_server.url,
        "AWS_ACCESS_KEY_ID": OWNER_ROOT[0],
        "AWS_SECRET_ACCESS_KEY": OWNER_ROOT[1],
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
    }
    done = subprocess.run([str(aws), "kms", "describe-key", "--key-id", "alias/shared", "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    metadata = json.loads(done.stdout)["KeyMetadata"]
    assert metadata["KeyId"] == SHARED_KEY_ID and metadata["Arn"] == SHARED_KEY_ARN
