"""Concurrent CreateGrant and PutKeyPolicy calls on one key lose nothing (row locks on PostgreSQL)."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from keys.models import Grant, KeyPolicyVersion
from tests.conftest import OWNER, REGION

KEY = "0000dddd-0000-4000-8000-000000000001"
ADMIN = ("AKIACONCURRENTADMIN1", "concurrent-admin-secret-not-secret-01")
THREADS, CALLS_PER_THREAD = 8, 5

SCENARIO = {"version": 1, "accounts": [{
    "id": OWNER,
    "users": [{"name": "Admin", "access_keys": [{"access_key_id": ADMIN[0], "secret_access_key": ADMIN[1]}],
               "inline_policies": {"Admin": {"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}}}],
    "keys": [{"id": KEY, "region": REGION}],
}]}

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")


@pytest.fixture
def new_client(transactional_db, load_scenario, aws):
    load_scenario(SCENARIO)
    return lambda: aws("kms", ADMIN)


def run_in_threads(work):
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [f.result() for f in [pool.submit(work, n) for n in range(THREADS)]]


def test_concurrent_create_grant_calls_keep_every_grant(new_client):
    def create_grants(thread):
        kms = new_client()
        return [kms.create_grant(KeyId=KEY, GranteePrincipal=f"arn:aws:iam::{OWNER}:user/U{thread}-{n}",
                                 Operations=["Encrypt"])["GrantId"] for n in range(CALLS_PER_THREAD)]

    created = [grant_id for ids in run_in_threads(create_grants) for grant_id in ids]
    assert len(set(created)) == THREADS * CALLS_PER_THREAD
    assert Grant.objects.filter(key__key_id=KEY).count() == THREADS * CALLS_PER_THREAD
    listed = new_client().list_grants(KeyId=KEY, Limit=100)["Grants"]
    assert {g["GrantId"] for g in listed} == set(created)


def test_concurrent_named_create_grant_calls_make_one_grant(new_client):
    def create_named(thread):
        return new_client().create_grant(KeyId=KEY, GranteePrincipal=f"arn:aws:iam::{OWNER}:user/Admin",
                                         Operations=["Decrypt"], Name="only-once")["GrantId"]

    assert len(set(run_in_threads(create_named))) == 1
    assert Grant.objects.filter(key__key_id=KEY, name="only-once").count() == 1


def test_concurrent_put_key_policy_calls_keep_every_version(new_client):
    def put_policies(thread):
        kms = new_client()
        for n in range(CALLS_PER_THREAD):
            document = {"Version": "2012-10-17", "Id": f"t{thread}-{n}", "Statement": [
                {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"}]}
            kms.put_key_policy(KeyId=KEY, PolicyName="default", Policy=json.dumps(document))

    run_in_threads(put_policies)
    versions = list(KeyPolicyVersion.objects.filter(key__key_id=KEY).values_list("version", flat=True))
    assert sorted(versions) == list(range(1, THREADS * CALLS_PER_THREAD + 2))
    ids = {json.loads(d).get("Id") for d in KeyPolicyVersion.objects.filter(key__key_id=KEY, version__gt=1)
           .values_list("document", flat=True)}
    assert ids == {f"t{t}-{n}" for t in range(THREADS) for n in range(CALLS_PER_THREAD)}
