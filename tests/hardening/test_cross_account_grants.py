"""Grants never show across accounts (issue 11 §2): ListRetirableGrants only for the caller's own principals;
RetireGrant and RevokeGrant answer another account's existing key exactly as a missing one, and a denied call
leaves nothing in the key owner's trail."""

import pytest

from audit.models import AuditEvent
from tests.api.conftest import BOB, OWNER_ROOT, SHARED_KEY_ARN, error_of
from tests.conftest import OUTSIDER, OWNER, REGION, TRUSTED
from tests.hardening.conftest import EVE, state_digest

BOB_ARN = f"arn:aws:iam::{TRUSTED}:user/Bob"
MISSING_KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/00000000-0000-4000-8000-000000000000"
MISSING_GRANT_ID = "0" * 64


@pytest.fixture
def grant_id(world, aws):
    owner = aws("kms", OWNER_ROOT)
    return owner.create_grant(KeyId=SHARED_KEY_ARN, GranteePrincipal=BOB_ARN, RetiringPrincipal=BOB_ARN,
                              Operations=["Decrypt"])["GrantId"]


def _owner_records() -> int:
    return AuditEvent.objects.filter(recipient_account=OWNER).count()


def test_list_retirable_grants_refuses_a_principal_of_another_account(grant_id, aws):
    eve = aws("kms", EVE)
    code, message = error_of(eve.list_retirable_grants, RetiringPrincipal=BOB_ARN)
    assert code == "AccessDeniedException"
    assert message == (f"User: arn:aws:iam::{OUTSIDER}:user/Eve is not authorized to perform: "
                       f"kms:ListRetirableGrants on resource: {BOB_ARN} because no resource-based policy allows "
                       "the kms:ListRetirableGrants action")
    assert error_of(eve.list_retirable_grants, RetiringPrincipal=f"arn:aws:iam::{TRUSTED}:root")[0] == \
        "AccessDeniedException"
    assert error_of(eve.list_retirable_grants, RetiringPrincipal=TRUSTED)[0] == "AccessDeniedException"


def test_list_retirable_grants_of_the_callers_own_principal_lists_grants_on_other_accounts_keys(grant_id, aws):
    grants = aws("kms", BOB).list_retirable_grants(RetiringPrincipal=BOB_ARN)["Grants"]
    assert [(g["GrantId"], g["KeyId"]) for g in grants] == [(grant_id, SHARED_KEY_ARN)]


@pytest.mark.parametrize("operation", ["retire_grant", "revoke_grant"])
def test_another_accounts_key_answers_the_same_whether_key_or_grant_exists(grant_id, aws, operation):
    eve = aws("kms", EVE)
    call = getattr(eve, operation)
    before, owner_records = state_digest(), _owner_records()

    answers = {
        "existing grant": error_of(call, KeyId=SHARED_KEY_ARN, GrantId=grant_id),
        "missing grant": error_of(call, KeyId=SHARED_KEY_ARN, GrantId=MISSING_GRANT_ID),
        "malformed grant id": error_of(call, KeyId=SHARED_KEY_ARN, GrantId="not-a-grant-id"),
        "missing key": error_of(call, KeyId=MISSING_KEY_ARN, GrantId=grant_id),
    }
    action = "kms:RetireGrant" if operation == "retire_grant" else "kms:RevokeGrant"
    expected = ("AccessDeniedException",
                f"User: arn:aws:iam::{OUTSIDER}:user/Eve is not authorized to perform: {action} on this resource "
                "because the resource does not exist in this Region, no resource-based policies allow access, or a "
                "resource-based policy explicitly denies access")
    assert answers == dict.fromkeys(answers, expected)
    assert state_digest() == before
    assert _owner_records() == owner_records  # denied: recorded in the caller's account only


def test_the_retiring_principal_retires_across_accounts_and_both_trails_record_it(grant_id, aws):
    response = aws("kms", BOB).retire_grant(KeyId=SHARED_KEY_ARN, GrantId=grant_id)
    rows = AuditEvent.objects.filter(request_id=response["ResponseMetadata"]["RequestId"])
    assert sorted(row.recipient_account for row in rows) == [OWNER, TRUSTED]


def test_a_grantee_that_may_not_retire_is_denied_without_a_record_for_the_owner(grant_id, aws, load_scenario):
    # Root of the trusted account: the grant names Bob, not the root, as retiring principal.
    from tests.api.conftest import TRUSTED_ROOT

    owner_records = _owner_records()
    code, message = error_of(aws("kms", TRUSTED_ROOT).retire_grant, KeyId=SHARED_KEY_ARN, GrantId=grant_id)
    assert code == "AccessDeniedException" and "does not exist in this Region" in message
    assert _owner_records() == owner_records
