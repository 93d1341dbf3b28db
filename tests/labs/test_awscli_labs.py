"""Two labs solved the way a trainee solves them: the real AWS CLI against the live server, with the seat's
own credentials. The `call` checks pass only once the real calls have been made."""

import json
import subprocess
from pathlib import Path

import pytest

from labs import service
from tests.awscli import cli_environment, run_aws

pytestmark = pytest.mark.usefixtures("transactional_db")


class Cli:
    """The AWS CLI as one trainee's shell: their access key, or a role's session once assumed."""

    def __init__(self, live_server, home: Path, login: dict, region: str):
        self.home = home
        self.env = cli_environment(live_server.url, home, (login["access_key_id"], login["secret_access_key"]),
                                   region=region)

    def run(self, *args, ok=True) -> subprocess.CompletedProcess:
        done = run_aws(self.env, *args)
        assert (done.returncode == 0) == ok, done.stderr
        return done

    def file(self, name: str, content) -> str:
        path = self.home / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return f"file://{path}" if name.endswith(".json") else f"fileb://{path}"

    def assume(self, role_arn: str) -> None:
        answer = json.loads(self.run("sts", "assume-role", "--role-arn", role_arn,
                                     "--role-session-name", "trainee").stdout)
        credentials = answer["Credentials"]
        self.env.update(AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
                        AWS_SESSION_TOKEN=credentials["SessionToken"])


def seat_and_logins(lab_id: str):
    classroom = service.create_class(lab_id, 1)
    seat = classroom.seats.get()
    logins = {login["name"]: login for login in service.seat_cards(classroom)[0]["logins"]}
    return seat, logins


def test_other_account_half_with_the_cli(live_server, tmp_path):
    seat, logins = seat_and_logins("other-account-half")
    values = seat.values
    key_arn = values["keys"]["shared"]["arn"]
    role_arn = f"arn:aws:iam::{values['accounts']['user']}:role/ExampleRole"
    cli = Cli(live_server, tmp_path, logins["iamadmin"], values["region"])

    assert not service.check_step(seat, "iam-policy").passed
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Resource": key_arn,
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]}]}
    cli.run("iam", "put-role-policy", "--role-name", "ExampleRole", "--policy-name", "UseSharedKey",
            "--policy-document", cli.file("use-shared-key.json", policy))
    assert service.check_step(seat, "iam-policy").passed

    before = service.check_step(seat, "use-with-cli")
    assert not before.passed
    assert "shows no successful Encrypt call by role ExampleRole" in before.checks[0].explanation

    cli.assume(role_arn)
    # By key id alone the CLI looks in the caller's own account: no such key there, and no Encrypt recorded.
    cli.run("kms", "encrypt", "--key-id", values["keys"]["shared"]["id"], "--plaintext",
            cli.file("message.txt", "hello"), ok=False)
    assert not service.check_step(seat, "use-with-cli").passed
    cli.run("kms", "encrypt", "--key-id", key_arn, "--plaintext", cli.file("message.txt", "hello"))
    after = service.check_step(seat, "use-with-cli")
    assert after.passed, after.checks
    assert service.seat_view(seat)["done"]


def test_encryption_context_with_the_cli(live_server, tmp_path):
    seat, logins = seat_and_logins("encryption-context")
    values = seat.values
    key_arn = values["keys"]["shared"]["arn"]
    owner_cli = Cli(live_server, tmp_path, logins["keyadmin"], values["region"])

    answer = owner_cli.run("kms", "get-key-policy", "--key-id", key_arn, "--policy-name", "default")
    policy = json.loads(json.loads(answer.stdout)["Policy"])
    use = next(s for s in policy["Statement"] if s.get("Sid") == "Allow use of the key")
    use["Action"] = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"]
    use["Condition"] = {"StringEquals": {"kms:EncryptionContext:Department": "Finance"}}
    policy["Statement"].append({"Sid": "Describe", "Effect": "Allow", "Principal": use["Principal"],
                                "Action": "kms:DescribeKey", "Resource": "*"})
    owner_cli.run("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
                  "--policy", owner_cli.file("policy.json", policy))
    assert service.check_step(seat, "add-condition").passed

    trainee = Cli(live_server, tmp_path, logins["iamadmin"], values["region"])
    trainee.assume(f"arn:aws:iam::{values['accounts']['user']}:role/ExampleRole")
    denied = trainee.run("kms", "encrypt", "--key-id", key_arn, "--plaintext", trainee.file("ledger.txt", "1"),
                         ok=False)
    assert "AccessDeniedException" in denied.stderr
    assert not service.check_step(seat, "encrypt-with-context").passed
    trainee.run("kms", "encrypt", "--key-id", key_arn, "--plaintext", trainee.file("ledger.txt", "1"),
                "--encryption-context", "Department=Finance")
    assert service.check_step(seat, "encrypt-with-context").passed
