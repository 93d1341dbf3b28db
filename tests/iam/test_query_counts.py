"""IAM list operations read a fixed number of rows' worth of queries per page, whatever the account holds:
the same count for an account with a handful of entities and one with many (no query per row)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, IamGroup, IamPolicy, IamRole, IamUser
from accounts.principals import Principal
from awsapi.dispatch import Call, execute
from kmsconsole import statecache

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def _populate(account: Account, count: int) -> None:
    for index in range(count):
        user = IamUser.objects.create(account=account, name=f"user-{index:03d}", tags={"n": str(index)})
        role = IamRole.objects.create(account=account, name=f"role-{index:03d}", trust_policy=TRUST)
        group = IamGroup.objects.create(account=account, name=f"group-{index:03d}")
        policy = IamPolicy.create_with_document(account=account, name=f"policy-{index:03d}", document=DOCUMENT)
        user.managed_policies.add(policy)
        role.managed_policies.add(policy)
        group.members.add(user)


def _queries(account: Account, operation: str, **params) -> int:
    call = Call(principal=Principal.root(account), region="us-east-1", service="iam", operation=operation,
                params=params)
    with statecache.request_scope(), CaptureQueriesContext(connection) as queries:
        execute(call)
    return len(queries)


@pytest.mark.parametrize("operation,params", [
    ("ListUsers", {}),
    ("ListRoles", {}),
    ("ListGroups", {}),
    ("ListPolicies", {"Scope": "Local"}),
    ("ListPolicies", {"Scope": "All"}),
    ("ListPolicies", {"Scope": "Local", "OnlyAttached": True}),
])
def test_list_operations_cost_the_same_for_few_and_many_entities(transactional_db, operation, params):
    few, many = Account.objects.create(id="100000000001"), Account.objects.create(id="100000000002")
    _populate(few, 3)
    _populate(many, 40)
    assert _queries(few, operation, **params) == _queries(many, operation, **params)
