"""Provisioning seats: each seat's generated values (account ids, key ids, access keys) and secrets
(passwords, secret access keys), then the lab's scenario template filled in with them and created: for a new
class in bulk (labs/bulk.py), for a seat being reset by the scenario loader.

Seats never share an account: every account id is drawn fresh and checked against every existing account.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import uuid

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import scenario as account_scenario
from accounts.models import AccessKey, Account, IamUser, RoleSession, new_access_key_id
from kmsconsole import sealing, statecache
from kmsconsole.scenario import Loading
from kmsconsole.scenario_document import at
from labs import bulk
from labs.hashers import GeneratedPasswordHasher
from labs.format import Lab, fill, flat_values, provision_document
from labs.models import Seat

# Letters and digits that cannot be mistaken for one another on a printed card.
_CARD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


class AccountIds:
    """Fresh 12-digit account ids, distinct from every account in the database and from each other."""

    def __init__(self):
        self._given: set[str] = set()

    def take(self, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            wanted = count - len(chosen)
            candidates = {f"{secrets.randbelow(9 * 10**11) + 10**11:012d}" for _ in range(wanted * 2)}
            candidates -= self._given
            candidates -= set(Account.objects.filter(id__in=candidates).values_list("id", flat=True))
            for account_id in sorted(candidates)[:wanted]:
                self._given.add(account_id)
                chosen.append(account_id)
        return chosen


def _password() -> str:
    # Four groups of five: about 110 bits, readable from a card.
    return "-".join("".join(secrets.choice(_CARD_ALPHABET) for _ in range(5)) for _ in range(4))


def _secret_access_key() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def new_seat_values(lab: Lab, number: int, account_ids: list[str]) -> tuple[dict, dict]:
    """(values, secrets) of a new seat. Values fill the placeholders; secrets are sealed, never rendered."""
    accounts = dict(zip(lab.seat.accounts, account_ids))
    values = {"region": lab.region, "seat": number, "accounts": accounts, "keys": {}, "logins": {}}
    for name, key in lab.seat.keys.items():
        key_id = str(uuid.uuid4())
        region = key.get("region", lab.region)
        values["keys"][name] = {"id": key_id, "region": region,
                                "arn": f"arn:aws:kms:{region}:{accounts[key['account']]}:key/{key_id}"}
    seat_secrets = {}
    for name, login in lab.seat.logins.items():
        account_id = accounts[login["account"]]
        values["logins"][name] = {"user": login["user"], "account": account_id,
                                  "arn": f"arn:aws:iam::{account_id}:user/{login['user']}",
                                  "access_key_id": new_access_key_id()}
        seat_secrets[name] = {"password": _password(), "secret_access_key": _secret_access_key()}
    return values, seat_secrets


def seal_secrets(seat_secrets: dict) -> bytes:
    return sealing.seal(json.dumps(seat_secrets).encode())


def open_secrets(seat: Seat) -> dict:
    return json.loads(sealing.unseal(bytes(seat.secrets_sealed))) if seat.secrets_sealed else {}


def _source(lab: Lab, seat: Seat) -> str:
    return f"{lab.source} (seat {seat.number})"


def load_seat_accounts(lab: Lab, seat: Seat, seat_secrets: dict) -> list[Account]:
    """Create the seat's accounts from the lab's template (inside the caller's transaction)."""
    values = seat.values
    filled = fill(copy.deepcopy(lab.scenario), flat_values(values))
    document = provision_document(filled, lab.seat, values, seat_secrets)
    loading = Loading(source=_source(lab, seat))
    accounts = [account_scenario.apply_account(entry, at("accounts", index), loading)
                for index, entry in enumerate(document["accounts"])]
    Seat.accounts.through.objects.bulk_create(
        [Seat.accounts.through(seat_id=seat.pk, account_id=account.pk) for account in accounts],
        ignore_conflicts=True)
    now = timezone.now()
    for name, login in values["logins"].items():
        IamUser.objects.filter(account_id=login["account"], name=login["user"]).update(
            console_password=make_password(seat_secrets[name]["password"], hasher=GeneratedPasswordHasher.algorithm),
            login_profile_created_at=now)
    statecache.bump()  # QuerySet.update() sends no signal
    return accounts


def provision_seats(lab: Lab, classroom, count: int) -> list[Seat]:
    """The class's seats, numbered from 1, each with its accounts (inside the caller's transaction)."""
    per_seat = len(lab.seat.accounts)
    account_ids = AccountIds().take(per_seat * count)
    drawn = [new_seat_values(lab, number, account_ids[(number - 1) * per_seat:number * per_seat])
             for number in range(1, count + 1)]
    seats = Seat.objects.bulk_create([
        Seat(classroom=classroom, number=number, values=values, secrets_sealed=seal_secrets(seat_secrets))
        for number, (values, seat_secrets) in enumerate(drawn, start=1)])
    if not bulk.supports(lab.scenario):
        for seat, (_, seat_secrets) in zip(seats, drawn):
            load_seat_accounts(lab, seat, seat_secrets)
        return seats
    documents = []
    for seat, (values, seat_secrets) in zip(seats, drawn):
        filled = fill(copy.deepcopy(lab.scenario), flat_values(values))
        passwords = {(login["account"], login["user"]): seat_secrets[name]["password"]
                     for name, login in values["logins"].items()}
        documents.append((provision_document(filled, lab.seat, values, seat_secrets), passwords,
                          Loading(source=_source(lab, seat)).changed_by))
    bulk.create_accounts(documents)
    Seat.accounts.through.objects.bulk_create([
        Seat.accounts.through(seat_id=seat.pk, account_id=account_id)
        for seat in seats for account_id in seat.values["accounts"].values()])
    statecache.bump()  # bulk INSERTs send no signal
    return seats


def rebuild_seat_accounts(lab: Lab, seat: Seat) -> None:
    """Remove the seat's accounts (and all in them) and load them again from the template, same ids and
    credentials, so the trainee starts over with the card they hold."""
    ids = list(seat.values["accounts"].values())
    Account.objects.filter(id__in=ids).delete()
    load_seat_accounts(lab, seat, open_secrets(seat))


def stop_credentials(account_ids: list[str]) -> None:
    """Closing a class: its access keys stop working, its console passwords go, its role sessions end, and
    anyone signed in to one of its accounts is signed out."""
    now = timezone.now()
    AccessKey.objects.filter(account_id__in=account_ids).update(status=AccessKey.INACTIVE)
    IamUser.objects.filter(account_id__in=account_ids).update(console_password="", login_profile_created_at=None)
    Account.objects.filter(id__in=account_ids).update(root_password="")
    RoleSession.objects.filter(role__account_id__in=account_ids, expires_at__gt=now).update(expires_at=now)
    wanted = set(account_ids)
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        identity = session.get_decoded().get("console.identity") or {}
        if identity.get("account") in wanted:
            session.delete()
    statecache.bump()  # QuerySet.update() sends no signal
