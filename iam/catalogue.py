"""The read-only catalogue of AWS managed policies (arn:aws:iam::aws:policy/...), shared by every account.

Each policy is one data file in iam/aws_managed_policies/, exactly as AWS publishes it: name, policy id,
path, description, default version id, creation and update dates, and the default version's document.
Sources: the AWS Managed Policy Reference (docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html:
description, creation and edit times, ARN, default version, document), and `aws iam get-policy` /
`list-policies` / `get-policy-version` outputs of real accounts (policy ids, dates to the second) as kept by
repositories that track AWS managed policies (zoph-io/MAMIP). A policy we could not reproduce exactly is left
out. Only the default version is kept: AWS's older versions of these policies are not published in full.

`sync_catalogue` makes the IamPolicy rows (account NULL) match the files. It runs as a post_migrate receiver
(iam/apps.py), like Django's content types: after `migrate`, and after the test runner's flush.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router

CATALOGUE_DIR = Path(__file__).resolve().parent / "aws_managed_policies"


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    policy_id: str
    path: str
    description: str
    version_id: str
    created_at: dt.datetime
    updated_at: dt.datetime  # also when the default version was created: it is the newest version
    document: str

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@cache
def catalogue() -> tuple[CatalogueEntry, ...]:
    entries = []
    for file in sorted(CATALOGUE_DIR.glob("*.json")):
        data = json.loads(file.read_text())
        entries.append(CatalogueEntry(
            name=data["PolicyName"],
            policy_id=data["PolicyId"],
            path=data["Path"],
            description=data["Description"],
            version_id=data["DefaultVersionId"],
            created_at=_timestamp(data["CreateDate"]),
            updated_at=_timestamp(data["UpdateDate"]),
            # The document as `aws iam get-policy-version` shows it; clients parse it, key order kept.
            document=json.dumps(data["Document"], indent=4),
        ))
    return tuple(entries)


def sync_catalogue(apps=global_apps, using: str = DEFAULT_DB_ALIAS, **_signal_kwargs) -> None:
    """Create or correct the catalogue's rows; leaves rows that already match untouched (idempotent).

    Uses the models of the migration state it is given, as post_migrate receivers must."""
    try:
        IamPolicy = apps.get_model("accounts", "IamPolicy")
        PolicyVersion = apps.get_model("accounts", "PolicyVersion")
    except LookupError:
        return
    if not router.allow_migrate_model(using, IamPolicy):
        return
    changed = False
    for entry in catalogue():
        changed |= _sync_entry(entry, IamPolicy.objects.db_manager(using), PolicyVersion.objects.db_manager(using))
    if changed:
        # QuerySet.update() sends no signals: tell the processes' caches that attached documents may differ.
        from kmsconsole import statecache

        statecache.bump()


def _sync_entry(entry: CatalogueEntry, policies, versions) -> bool:
    policy = policies.filter(account__isnull=True, name=entry.name).select_related("default_version").first()
    if policy is None:
        policy = policies.create(account=None, name=entry.name, path=entry.path, unique_id=entry.policy_id,
                                 description=entry.description)
    version = versions.filter(policy=policy, version_id=entry.version_id).first()
    if version is None:
        version = versions.create(policy=policy, version_id=entry.version_id, document=entry.document)
    wanted_version = {"document": entry.document, "created_at": entry.updated_at}
    wanted_policy = {"path": entry.path, "unique_id": entry.policy_id, "description": entry.description,
                     "default_version_id": version.pk, "created_at": entry.created_at, "updated_at": entry.updated_at}
    stale_versions = versions.filter(policy=policy).exclude(pk=version.pk)
    changed = bool(stale_versions.delete()[0])
    if any(getattr(version, field) != value for field, value in wanted_version.items()):
        versions.filter(pk=version.pk).update(**wanted_version)
        changed = True
    if any(getattr(policy, field) != value for field, value in wanted_policy.items()):
        # update(), not save(): save() would stamp created_at/updated_at with the current time.
        policies.filter(pk=policy.pk).update(**wanted_policy)
        changed = True
    return changed
