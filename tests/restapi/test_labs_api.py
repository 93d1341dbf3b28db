"""The labs over the REST API, against the live server: self-study, a trainee's checks graded on what real AWS
calls (boto3) changed, the trainer's class endpoints (Django staff signed in to the console as well) and
nobody else's; every success answer matches its documented schema."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from openapi_schema_validator import OAS30Validator, validate

from accounts.models import Account
from labs.models import Classroom
from restapi.views import labs as documented
from tests.restapi.conftest import EVE, KEY_ADMIN, problem_of
from tests.restapi.test_operator_view import _also_sign_in_to_the_admin

TRAINER = ("trainer", "trainer-password-not-secret")


def conforms(response, schema: dict, status: int = 200) -> dict:
    assert response.status_code == status, response.text[:1000]
    assert response.headers["Content-Type"].startswith("application/json")
    answer = response.json()
    validate(answer, schema, cls=OAS30Validator)
    return answer


def credentials(card: dict, login: str) -> tuple[str, str]:
    found = next(entry for entry in card["logins"] if entry["name"] == login)
    return found["access_key_id"], found["secret_access_key"]


def policy_with_use_statement(owner: str, user: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{user}:root"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*"}]})


@pytest.fixture
def trainer(console):
    """A console session of KeyAdmin that is also signed in to the admin as a staff user: a trainer."""
    User.objects.create_user(TRAINER[0], password=TRAINER[1], is_staff=True)
    api = console("KeyAdmin")
    _also_sign_in_to_the_admin(api, *TRAINER)
    return api


def start_self_study(rest, lab="share-key") -> dict:
    answer = rest(KEY_ADMIN).post(f"labs/{lab}/classes", json={})
    created = conforms(answer, documented.CREATED_SCHEMA, status=201)
    assert answer.headers["Cache-Control"] == "no-store"
    return created


# ---- labs ---------------------------------------------------------------------------------------------------


def test_labs_are_listed_in_pages_and_described(rest):
    api = rest(EVE)
    everything = conforms(api.get("labs"), documented.page_schema(documented.LAB_SCHEMA))
    assert len(everything["results"]) >= 8 and everything["next"] is None
    assert everything["results"][0]["id"] == "share-key" and everything["results"][0]["steps"] == 2
    first = conforms(api.get("labs", params={"limit": 3}), documented.page_schema(documented.LAB_SCHEMA))
    second = conforms(api.get(first["next"]), documented.page_schema(documented.LAB_SCHEMA))
    assert [lab["id"] for lab in first["results"] + second["results"]] == \
        [lab["id"] for lab in everything["results"][:6]]

    lab = conforms(api.get("labs/share-key"), documented.LAB_DETAIL_SCHEMA)
    assert lab["accounts"] == ["owner", "user"]
    assert [step["id"] for step in lab["steps"]] == ["use-statement", "grants-for-services"]
    assert "solution" not in json.dumps(lab)

    missing = api.get("labs/no-such-lab")
    assert missing.status_code == 404 and problem_of(missing)["code"] == "NotFoundException"
    bad_cursor = api.get("labs", params={"cursor": "x"})
    assert bad_cursor.status_code == 400 and problem_of(bad_cursor)["field"] == "cursor"


# ---- self-study and the trainee --------------------------------------------------------------------------------


def test_a_trainee_fails_a_check_solves_it_with_boto3_and_the_check_passes(rest, aws):
    created = start_self_study(rest)
    assert created["class"]["kind"] == "self-study" and created["class"]["seats"] == 1
    [card] = created["cards"]
    secrets = {login["secret_access_key"] for login in card["logins"]} | {login["password"] for login in card["logins"]}
    trainee = rest(credentials(card, "keyadmin"))

    seat = conforms(trainee.get("seat"), documented.SEAT_SCHEMA)
    owner, user = seat["accounts"]["owner"], seat["accounts"]["user"]
    key_arn = seat["keys"]["shared"]["arn"]
    assert seat["class_id"] == created["class"]["id"] and seat["current_step"] == "use-statement"
    assert key_arn in seat["steps"][0]["instructions_markdown"] and key_arn in seat["steps"][0]["instructions_html"]
    assert not any(secret in json.dumps(seat) for secret in secrets)

    # The second step is not reached yet: not checked.
    early = trainee.post("seat/steps/grants-for-services/check")
    assert early.status_code == 409 and problem_of(early)["code"] == "ConflictException"

    failing = conforms(trainee.post("seat/steps/use-statement/check"), documented.STEP_RESULT_SCHEMA)
    assert failing["passed"] is False and failing["next_step"] == "use-statement"
    explanations = " ".join(check["explanation"] for check in failing["checks"] if not check["passed"])
    assert "role ExampleRole cannot Encrypt yet" in explanations

    hint = conforms(trainee.post("seat/steps/use-statement/hints"), documented.HINT_SCHEMA)
    assert f"arn:aws:iam::{user}:root" in hint["hint"] and hint["hints_revealed"] == 1

    # The real AWS call, as the seat's KeyAdmin: the product grades the state it left.
    kms = aws("kms", credentials(card, "keyadmin"), region=seat["region"])
    kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=policy_with_use_statement(owner, user))

    passing = conforms(trainee.post("seat/steps/use-statement/check"), documented.STEP_RESULT_SCHEMA)
    assert passing["passed"] is True and all(check["passed"] for check in passing["checks"])
    assert passing["next_step"] == "grants-for-services"

    # The seat's other login sees the same seat and its progress (and the question's answer, now the step passed).
    again = conforms(rest(credentials(card, "iamadmin")).get("seat"), documented.SEAT_SCHEMA)
    assert again["class_id"] == seat["class_id"] and again["current_step"] == "grants-for-services"
    assert again["steps"][0]["passed"] and again["steps"][0]["hints"] == [hint["hint"]]
    assert again["steps"][0]["question"]["answer"] and again["steps"][1]["question"] is None
    unknown = trainee.post("seat/steps/no-such-step/check")
    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "NotFoundException"


def test_a_principal_in_no_seat_gets_404_and_seats_see_only_their_own(rest):
    for call in (lambda api: api.get("seat"), lambda api: api.post("seat/steps/use-statement/check"),
                 lambda api: api.post("seat/steps/use-statement/hints")):
        answer = call(rest(EVE))
        assert answer.status_code == 404 and problem_of(answer)["code"] == "NotFoundException"

    first, second = start_self_study(rest)["cards"][0], start_self_study(rest)["cards"][0]
    seat = rest(credentials(second, "keyadmin")).get("seat").json()
    assert set(seat["accounts"].values()) == set(second["accounts"].values())
    assert not any(account_id in json.dumps(seat) for account_id in first["accounts"].values())


def test_self_study_is_limited_and_only_trainers_choose_seats(rest):
    refused = rest(KEY_ADMIN).post("labs/share-key/classes", json={"seats": 2})
    assert refused.status_code == 403 and problem_of(refused)["code"] == "AccessDeniedException"
    assert not Classroom.objects.exists()
    for _ in range(3):
        start_self_study(rest)
    fourth = rest(KEY_ADMIN).post("labs/share-key/classes", json={})
    assert fourth.status_code == 400 and problem_of(fourth)["code"] == "LimitExceededException"
    assert Classroom.objects.count() == 3
    missing = rest(KEY_ADMIN).post("labs/no-such-lab/classes", json={})
    assert missing.status_code == 404 and problem_of(missing)["code"] == "NotFoundException"


# ---- the trainer ------------------------------------------------------------------------------------------------


def test_non_staff_principals_get_403_on_every_trainer_endpoint(rest, console):
    classroom = start_self_study(rest)["class"]["id"]
    User.objects.create_user(TRAINER[0], password=TRAINER[1], is_staff=True)
    base = f"classes/{classroom}"
    calls = [("get", "classes"), ("get", base), ("get", f"{base}/results.csv"), ("get", f"{base}/seats/1"),
             ("post", f"{base}/seats/1/reset"), ("post", f"{base}/seats/1/solve"), ("post", f"{base}/close")]
    for api in (rest(KEY_ADMIN), rest(EVE), console("Alice")):
        for method, url in calls:
            answer = getattr(api, method)(url, **({"json": {}} if method == "post" else {}))
            assert answer.status_code == 403, (url, answer.text[:300])
            assert problem_of(answer)["code"] == "AccessDeniedException"
    assert Classroom.objects.get().closed_at is None


def test_a_trainer_runs_a_class_through_the_api(trainer, rest):
    created = conforms(trainer.post("labs/share-key/classes", json={"seats": 3}), documented.CREATED_SCHEMA, 201)
    klass = created["class"]
    assert klass["kind"] == "class" and klass["created_by"] == TRAINER[0] and len(created["cards"]) == 3
    base = f"classes/{klass['id']}"

    listed = conforms(trainer.get("classes", params={"open": "true"}), documented.page_schema(documented.CLASS_SCHEMA))
    assert [item["id"] for item in listed["results"]] == [klass["id"]]
    board = conforms(trainer.get(base), documented.DASHBOARD_SCHEMA)
    assert [seat["number"] for seat in board["seats"]] == [1, 2, 3]
    assert [cell["state"] for cell in board["seats"][1]["cells"]] == ["current", "waiting"]
    assert not any(login["secret_access_key"] in json.dumps(board) for login in created["cards"][1]["logins"])

    solved = conforms(trainer.post(f"{base}/seats/2/solve", json={}), documented.STEP_RESULT_SCHEMA)
    assert solved["step_id"] == "use-statement" and solved["passed"] is True
    board = trainer.get(base).json()
    assert [seat["passed_count"] for seat in board["seats"]] == [0, 1, 0]
    seat_two = conforms(trainer.get(f"{base}/seats/2"), documented.SEAT_SCHEMA)
    assert seat_two["steps"][0]["passed"] and seat_two["steps"][0]["last_results"][0]["passed"]
    assert seat_two["accounts"] == created["cards"][1]["accounts"]
    assert board["steps"][0]["passed_count"] == 1

    results = trainer.get(f"{base}/results.csv")
    assert results.status_code == 200 and results.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(results.text)))
    assert [(row["seat"], row["step"], row["passed"]) for row in rows if row["passed"] == "yes"] == \
        [("2", "use-statement", "yes")]

    unknown = trainer.post(f"{base}/seats/2/solve", json={"step": "no-such-step"})
    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "NotFoundException"
    no_seat = trainer.post(f"{base}/seats/9/reset")
    assert no_seat.status_code == 404
    too_many = trainer.post("labs/share-key/classes", json={"seats": 201})
    assert too_many.status_code == 400 and problem_of(too_many)["field"] == "seats"

    reset = conforms(trainer.post(f"{base}/seats/2/reset"), documented.SEAT_ROW_SCHEMA)
    assert reset["passed_count"] == 0 and reset["current_step"] == "use-statement"

    seat_three = credentials(created["cards"][2], "keyadmin")
    assert rest(seat_three).get("seat").status_code == 200
    account_ids = [a for card in created["cards"] for a in card["accounts"].values()]
    closed = conforms(trainer.post(f"{base}/close", json={"delete_accounts": False}), documented.CLASS_SCHEMA)
    assert closed["open"] is False and closed["closed_at"]
    assert rest(seat_three).get("seat").status_code == 401  # its credentials stopped working
    assert Account.objects.filter(id__in=account_ids).count() == len(account_ids) == 6
    after = trainer.post(f"{base}/seats/1/reset")
    assert after.status_code == 409 and problem_of(after)["code"] == "ConflictException"
    assert trainer.post(f"{base}/close", json={"delete_accounts": True}).status_code == 200
    assert not Account.objects.filter(id__in=account_ids).exists()
