"""Scenario files as a whole: load one into the database (checked, atomic, idempotent) and export the
database as one. The account and key parts live in accounts/scenario.py and keys/scenario.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import scenario as account_scenario
from accounts.models import Account
from awsapi.dispatch import commit_durably
from kmsconsole.scenario_document import (
    INTEGER,
    LIST,
    Problems,
    ScenarioError,
    at,
    check_fields,
    dump_yaml,
    read_file,
)

SCENARIO_VERSION = 1


@dataclass
class Loading:
    """What one load is doing: where problems are reported, and what it changed (for idempotency checks)."""

    source: str
    now: object = field(default_factory=timezone.now)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    _new: set = field(default_factory=set)
    removed_accounts: int = 0

    @property
    def changed_by(self) -> str:
        return f"scenario:{self.source}"

    @property
    def changed_nothing(self) -> bool:
        return not self.created and not self.updated and not self.removed_accounts

    def count_created(self, obj) -> None:
        self.created[type(obj).__name__] += 1
        self._new.add((type(obj), obj.pk))

    def count_updated(self, obj) -> None:
        # Filling in a row this load has just created is part of creating it.
        if (type(obj), obj.pk) not in self._new:
            self.updated[type(obj).__name__] += 1

    def fail(self, path: str, message: str):
        raise ScenarioError(self.source, [(path, message)])

    def summary(self) -> str:
        if self.changed_nothing:
            return f"{self.source}: already loaded, nothing changed"
        parts = []
        if self.removed_accounts:
            parts.append(f"removed {self.removed_accounts} account(s) first")
        for verb, counts in (("created", self.created), ("updated", self.updated)):
            if counts:
                parts.append(f"{verb} " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
        return f"{self.source}: " + "; ".join(parts)


def check_document(document, source: str) -> None:
    """Every problem the file itself shows, all at once; raises ScenarioError when there is any."""
    problems = Problems(source)
    fields = check_fields(document, "", {"version": INTEGER, "accounts": LIST}, ("version", "accounts"), problems)
    if "version" in fields and fields["version"] != SCENARIO_VERSION:
        problems.add("version", f"unsupported version {fields['version']} (expected {SCENARIO_VERSION})")
    for index, entry in enumerate(fields.get("accounts", [])):
        account_scenario.check_account(entry, at("accounts", index), problems)
    problems.raise_if_any()


def load_scenario(path: str | Path, replace: bool = False) -> Loading:
    """Check the file, then create or update what it declares in one transaction.

    `replace` first removes the accounts the file names (and everything in them). Raises ScenarioError and
    leaves the database as it was when the file or its combination with the database is wrong."""
    loading = Loading(source=str(path))
    document = read_file(path)
    check_document(document, loading.source)
    try:
        with transaction.atomic():
            commit_durably()
            if replace:
                ids = [entry["id"] for entry in document["accounts"]]
                loading.removed_accounts = Account.objects.filter(id__in=ids).count()
                Account.objects.filter(id__in=ids).delete()
            for index, entry in enumerate(document["accounts"]):
                account_scenario.apply_account(entry, at("accounts", index), loading)
    except IntegrityError as error:
        # The checks above should catch everything; this names the file if the database still refuses.
        raise ScenarioError(loading.source, [("", f"the database refused the file: {error}")]) from None
    return loading


def export_document(account_ids: list[str] | None = None, include_secrets: bool = False) -> dict:
    accounts = account_scenario.accounts_for_export(account_ids)
    return {
        "version": SCENARIO_VERSION,
        "accounts": [account_scenario.export_account(account, include_secrets) for account in accounts],
    }


def export_scenario(account_ids: list[str] | None = None, include_secrets: bool = False) -> str:
    """The current state as scenario YAML, in a fixed order so that exports can be compared as text."""
    return dump_yaml(export_document(account_ids, include_secrets))
