"""Policy engine speed: one decision on the console's default key policy, and on a 100-statement one.

Run: python bench/bench_policies.py   (prints median and p95 in microseconds and whether each target is met)
Policies go through parse_policy_cached, as in the app, so parsing is not on the hot path.
"""

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.engine import AccessRequest, Caller, NamedPolicy, evaluate_key_access  # noqa: E402
from policies.grammar import parse_policy_cached  # noqa: E402

KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
ADMIN = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
         "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
         "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]
ROOT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}
USERS = ["arn:aws:iam::111122223333:role/ExampleRole", "arn:aws:iam::444455556666:root"]
CONSOLE_POLICY = {"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [
    ROOT,
    {"Sid": "Allow access for Key Administrators", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::111122223333:user/KMSAdminUser", "arn:aws:iam::111122223333:role/KMSAdminRole"]},
     "Action": ADMIN, "Resource": "*"},
    {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": USERS}, "Action": USE, "Resource": "*"},
    {"Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": {"AWS": USERS},
     "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
]}
IAM_POLICIES = [
    {"Version": "2012-10-17", "Statement": [{"Sid": "AllowUseOfKey", "Effect": "Allow", "Action": USE, "Resource": KEY}]},
    {"Version": "2012-10-17", "Statement": [{"Sid": "ReadOnly", "Effect": "Allow", "Action": ["kms:List*", "kms:Describe*"],
                                             "Resource": "arn:aws:kms:*:111122223333:key/*"}]},
    {"Version": "2012-10-17", "Statement": [{"Sid": "Trail", "Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"},
                                            {"Sid": "NoDeletes", "Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]},
]


def big_policy(n=100):
    statements = [ROOT]
    for i in range(1, n - 1):
        statements.append({"Sid": f"Statement{i}", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{100000000000 + i}:role/Role{i}"},
                           "Action": USE if i % 2 else ["kms:Sign", "kms:Verify"], "Resource": "*",
                           **({"Condition": {"StringEquals": {"kms:EncryptionContext:Team": f"team{i}"}}} if i % 3 == 0 else {})})
    statements.append({"Sid": "Bob", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                       "Action": USE, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def measure(run, rounds=20000):
    for _ in range(500):
        run()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def workload(key_policy_document, rounds):
    bob = Caller(arn="arn:aws:sts::444455556666:assumed-role/KeyUser/bob", account="444455556666", kind="AssumedRole",
                 user_id="AROAKEYUSEREXAMPLE01:bob", role_arn="arn:aws:iam::444455556666:role/KeyUser")
    key_text = json.dumps(key_policy_document)
    iam_texts = [json.dumps(p) for p in IAM_POLICIES]
    request = AccessRequest(caller=bob, action="kms:Encrypt", resource_arn=KEY, resource_account="111122223333",
                            region="us-west-2", context={"aws:SourceIp": "203.0.113.7"},
                            encryption_context={"Team": "payments"})

    def run():
        identity = [NamedPolicy(f"p{i}", parse_policy_cached(t)) for i, t in enumerate(iam_texts)]
        decision = evaluate_key_access(request, key_policy=parse_policy_cached(key_text), key_account="111122223333",
                                       key_region="us-west-2", identity_policies=identity)
        assert decision.allowed
    return measure(run, rounds)


def main():
    ok = True
    for label, document, target, rounds in (
            ("default console key policy (4 statements) + 3 IAM policies", CONSOLE_POLICY, 20.0, 20000),
            ("100-statement key policy + 3 IAM policies", big_policy(100), 500.0, 5000)):
        median, p95 = workload(document, rounds)
        met = median <= target
        ok &= met
        print(f"{label}: median {median:.1f} µs, p95 {p95:.1f} µs, target median <= {target:.0f} µs: "
              f"{'met' if met else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
