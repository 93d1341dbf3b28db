"""One real AWS CLI call through AWS_ENDPOINT_URL, as a user would make it."""

import json

from tests.api.conftest import OWNER_ROOT, SHARED_KEY_ARN, SHARED_KEY_ID
from tests.awscli import cli_environment, run_aws


def test_aws_cli_describe_key(world, live_server, tmp_path):
    done = run_aws(cli_environment(live_server.url, tmp_path, OWNER_ROOT), "kms", "describe-key",
                   "--key-id", "alias/shared")
    assert done.returncode == 0, done.stderr
    metadata = json.loads(done.stdout)["KeyMetadata"]
    assert metadata["KeyId"] == SHARED_KEY_ID and metadata["Arn"] == SHARED_KEY_ARN
