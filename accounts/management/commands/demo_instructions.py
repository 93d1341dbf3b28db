"""python manage.py demo_instructions [--host H] [--port P] [--scenario PATH]

Prints how to sign in to the console and how to point the AWS CLI / boto3 at the endpoint, for development.
Everything comes from the demo scenario file, so only its published demo credentials are ever printed.
"""

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kmsconsole.scenario_document import ScenarioError, read_file

DEFAULT_SCENARIO = Path(settings.BASE_DIR) / "scenarios" / "demo.yaml"


class Command(BaseCommand):
    help = "Print the demo scenario's sign-in details and AWS CLI / boto3 settings (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--scenario", default=str(DEFAULT_SCENARIO), help="the demo scenario file to describe")

    def handle(self, *args, host, port, scenario, **options):
        try:
            document = read_file(scenario)
        except ScenarioError as error:
            raise CommandError(str(error)) from None
        shown = os.path.relpath(scenario, settings.BASE_DIR) if Path(scenario).resolve().is_relative_to(settings.BASE_DIR) else scenario
        self.stdout.write("\n".join(demo_instructions(document, f"http://{host}:{port}", shown)) + "\n")


def demo_instructions(document: dict, endpoint: str, source: str) -> list[str]:
    accounts = document.get("accounts", [])
    region = _first_key(accounts)[1].get("region", "us-west-2") if _first_key(accounts) else "us-west-2"
    lines = [
        f"KMS Console (development) with the demo scenario {source}.",
        "Demo credentials only: they are published in that file and protect nothing.",
        "",
        f"Console: {endpoint}/",
    ]
    lines += _console_sign_ins(accounts)
    lines += [
        "",
        "AWS CLI and boto3 (any SDK) against this endpoint:",
        f"  export AWS_ENDPOINT_URL={endpoint}",
        f"  export AWS_DEFAULT_REGION={region}",
    ]
    for arn, key in _access_keys(accounts):
        lines += [
            f"  # {arn}",
            f"  export AWS_ACCESS_KEY_ID={key['access_key_id']} AWS_SECRET_ACCESS_KEY={key['secret_access_key']}",
        ]
    lines += _examples(accounts, endpoint, region)
    return lines


def _name(account: dict) -> str:
    return f"{account['alias']} ({account['id']})" if account.get("alias") else account["id"]


def _console_sign_ins(accounts: list[dict]) -> list[str]:
    lines = []
    for account in accounts:
        for user in account.get("users", []):
            if user.get("console_password"):
                lines.append(
                    f"  IAM user   account {_name(account):28} user {user['name']:10} password {user['console_password']}"
                )
        if account.get("email") and account.get("root_password"):
            lines.append(f"  root user  email {account['email']:32} password {account['root_password']}")
    return lines


def _access_keys(accounts: list[dict]):
    for account in accounts:
        for key in account.get("root_access_keys", []):
            if key.get("secret_access_key"):
                yield f"arn:aws:iam::{account['id']}:root", key
        for user in account.get("users", []):
            for key in user.get("access_keys", []):
                if key.get("secret_access_key"):
                    yield f"arn:aws:iam::{account['id']}:user{user.get('path', '/')}{user['name']}", key


def _first_key(accounts: list[dict]):
    for account in accounts:
        for key in account.get("keys", []):
            if key.get("id"):
                return account, key
    return None


def _examples(accounts: list[dict], endpoint: str, region: str) -> list[str]:
    found = _first_key(accounts)
    if not found:
        return []
    owner, key = found
    key_arn = f"arn:aws:kms:{key['region']}:{owner['id']}:key/{key['id']}"
    lines = ["", "Examples (bash; the key of another account is reached only by its ARN):"]
    role_account = next((a for a in accounts if a["id"] != owner["id"] and a.get("roles")), None)
    if role_account:
        role_arn = f"arn:aws:iam::{role_account['id']}:role{role_account['roles'][0].get('path', '/')}{role_account['roles'][0]['name']}"
        lines += [
            f"  # with the access key of a user of {_name(role_account)}: assume the role, then use the shared key",
            f"  aws sts assume-role --role-arn {role_arn} --role-session-name demo",
            "  export AWS_ACCESS_KEY_ID=<AccessKeyId> AWS_SECRET_ACCESS_KEY=<SecretAccessKey> AWS_SESSION_TOKEN=<SessionToken>",
        ]
    lines += [
        f"  aws kms encrypt --key-id {key_arn} --plaintext fileb://<(printf 'Hello, KMS') --query CiphertextBlob --output text",
        f"  aws kms describe-key --key-id {key_arn}",
        "",
    ]
    if role_account:
        lines += _iam_half_of_the_guide(role_account, key_arn)
    lines += [
        "  # boto3",
        "  import boto3",
        f"  kms = boto3.client('kms', endpoint_url='{endpoint}', region_name='{region}',",
        "                     aws_access_key_id='...', aws_secret_access_key='...')",
        f"  kms.encrypt(KeyId='{key_arn}', Plaintext=b'Hello, KMS')",
    ]
    return lines


def _iam_half_of_the_guide(account: dict, key_arn: str) -> list[str]:
    """The external account's half of the guide (an IAM policy for the key, attached to the role), as done
    by that account's IAM administrator: a user whose own inline policy allows iam:*."""
    admin = next((user for user in account.get("users", []) if _allows_all_of_iam(user)), None)
    if admin is None:
        return []
    role = account["roles"][0]
    policy_name = "UseSharedKey"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": key_arn,
    }]}
    lines = [
        f"  # the guide's IAM half by hand, as the IAM administrator {admin['name']} of {_name(account)}: in the console,",
        f"  # sign in as {admin['name']}, create the policy (IAM > Policies), attach it to {role['name']} and switch role "
        f"into it; or:",
    ]
    lines += [
        f"  export AWS_ACCESS_KEY_ID={key['access_key_id']} AWS_SECRET_ACCESS_KEY={key['secret_access_key']}"
        for key in admin.get("access_keys", [])[:1] if key.get("secret_access_key")
    ]
    lines += [
        f"  aws iam create-policy --policy-name {policy_name} --policy-document '{json.dumps(policy, separators=(',', ':'))}'",
        f"  aws iam attach-role-policy --role-name {role['name']} "
        f"--policy-arn arn:aws:iam::{account['id']}:policy/{policy_name}",
        "",
    ]
    return lines


def _allows_all_of_iam(user: dict) -> bool:
    for document in (user.get("inline_policies") or {}).values():
        statements = document.get("Statement", []) if isinstance(document, dict) else []
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action", [])
            if statement.get("Effect") == "Allow" and "iam:*" in ([actions] if isinstance(actions, str) else actions):
                return True
    return False
