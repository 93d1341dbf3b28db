"""Seats are separate accounts under the emulated AWS rules: a seat's principals are refused another seat's
keys exactly as another account's would be, and a closed class's credentials stop working."""

import pytest
from botocore.exceptions import ClientError

from labs import service
from tests.api.conftest import error_of


@pytest.fixture
def two_seats(transactional_db):
    classroom = service.create_class("share-key", 2)
    seats = list(classroom.seats.order_by("number"))
    for seat in seats:
        service.solve_step(seat)  # each seat's key is now shared with that seat's user account
    cards = {card["number"]: {login["name"]: login for login in card["logins"]}
             for card in service.seat_cards(classroom)}
    return classroom, seats, cards


def credentials(login):
    return login["access_key_id"], login["secret_access_key"]


def example_role_kms(aws, seat, login):
    """A KMS client of the seat's ExampleRole, assumed with the seat's IamAdmin access key."""
    sts = aws("sts", credentials(login))
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{seat.values['accounts']['user']}:role/ExampleRole",
                             RoleSessionName="trainee")["Credentials"]
    return aws("kms", (answer["AccessKeyId"], answer["SecretAccessKey"]), session_token=answer["SessionToken"])


def test_a_seats_role_uses_its_own_key_and_is_refused_the_other_seats(aws, two_seats):
    _, (first, second), cards = two_seats
    kms = example_role_kms(aws, first, cards[1]["iamadmin"])
    assert kms.encrypt(KeyId=first.values["keys"]["shared"]["arn"], Plaintext=b"mine")["KeyId"]
    code, message = error_of(kms.encrypt, KeyId=second.values["keys"]["shared"]["arn"], Plaintext=b"theirs")
    assert code == "AccessDeniedException"
    assert second.values["accounts"]["owner"] in message or "not authorized" in message


def test_a_seats_key_admin_cannot_see_the_other_seats_key(aws, two_seats):
    _, (first, second), cards = two_seats
    kms = aws("kms", credentials(cards[1]["keyadmin"]))
    other_key = second.values["keys"]["shared"]
    assert error_of(kms.describe_key, KeyId=other_key["arn"])[0] == "AccessDeniedException"
    # By key id alone the key is looked up in the caller's own account, where it does not exist.
    assert error_of(kms.describe_key, KeyId=other_key["id"])[0] == "NotFoundException"
    assert kms.describe_key(KeyId=first.values["keys"]["shared"]["id"])["KeyMetadata"]["Enabled"]


def test_closing_the_class_stops_its_access_keys(aws, two_seats):
    classroom, (first, _), cards = two_seats
    kms = aws("kms", credentials(cards[1]["keyadmin"]))
    key_id = first.values["keys"]["shared"]["id"]
    assert kms.describe_key(KeyId=key_id)
    service.close_class(classroom)
    with pytest.raises(ClientError) as refused:
        kms.describe_key(KeyId=key_id)
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
