"""Alias operations: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (kms.md §2.2, §3).

An alias change needs the permission twice (three times for UpdateAlias): on the alias ARN, which only
an IAM policy can grant, and on every key involved, through that key's policy.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from awsapi import errors
from awsapi.dispatch import operation
from keys import crypto
from keys.authz import authorize_account_action, authorize_key
from keys.models import Alias, Key, alias_arn
from keys.operations.common import paginate, require_state
from keys.resolve import cross_account_denial_message, purge_if_due, resolve_key

MAX_ALIASES_PER_KEY = 50
RESERVED_PREFIX = "alias/aws/"
# The AWS managed aliases every account has in every Region. AWS lists them even before the service creates
# the key behind one, without a TargetKeyId; this emulator has no AWS managed keys, so they never have one.
AWS_MANAGED_ALIASES = (
    "alias/aws/acm", "alias/aws/dynamodb", "alias/aws/ebs", "alias/aws/elasticfilesystem", "alias/aws/es",
    "alias/aws/glue", "alias/aws/kinesisvideo", "alias/aws/lambda", "alias/aws/rds", "alias/aws/redshift",
    "alias/aws/s3", "alias/aws/secretsmanager", "alias/aws/ssm", "alias/aws/xray",
)
PREFIX_MESSAGE = ('Alias must start with the prefix "alias/". Please see '
                  "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")


def _check_alias_name(name: str, *, creating: bool):
    if not name.startswith("alias/"):
        raise errors.ValidationException(PREFIX_MESSAGE, field="AliasName")
    if creating and name.startswith(RESERVED_PREFIX):
        raise errors.InvalidAliasNameException(
            f"Alias names that begin with {RESERVED_PREFIX} are reserved for AWS managed keys.", field="AliasName")
    if ":" in name:
        # The model's pattern allows ':' (it is the ARN separator); the service refuses it in a name.
        raise errors.ValidationException(f"{name} contains invalid characters for an alias", field="AliasName")
    if name == "alias/" or name.endswith("/"):
        raise errors.InvalidAliasNameException(f"Alias {name} is not a valid alias name.", field="AliasName")


def _authorize_alias(call, action: str, name: str):
    """The alias half of an alias permission: only IAM policies can grant it (kms.md §2.2)."""
    authorize_account_action(call, action, alias_arn(call.region, call.principal.account_id, name))


def _own_alias(call, name: str, *, for_update: bool = False) -> Alias:
    query = Alias.objects.select_related("key", "key__account").filter(
        account_id=call.principal.account_id, region=call.region, name=name)
    if for_update:
        query = query.select_for_update()
    alias = query.first()
    if alias is None or purge_if_due(alias.key, call):
        arn = alias_arn(call.region, call.principal.account_id, name)
        raise errors.NotFoundException(f"Alias {arn} is not found.")
    return alias


def _key_family(key: Key) -> tuple[str, str]:
    return crypto.key_spec_info(key.key_spec).key_type, key.key_usage


@operation("kms", "CreateAlias")
def create_alias(call):
    name = call.params["AliasName"]
    _check_alias_name(name, creating=True)
    key = resolve_key(call, call.params["TargetKeyId"], action="kms:CreateAlias", aliases=False, for_update=True)
    authorize_key(call, key, "kms:CreateAlias")
    _authorize_alias(call, "kms:CreateAlias", name)
    require_state(key, "CreateAlias")

    arn = alias_arn(call.region, call.principal.account_id, name)
    existing = Alias.objects.select_related("key").filter(
        account_id=call.principal.account_id, region=call.region, name=name).first()
    if existing is not None and not purge_if_due(existing.key, call):
        raise errors.AlreadyExistsException(f"An alias with the name {arn} already exists")
    if key.aliases.count() >= MAX_ALIASES_PER_KEY:
        raise errors.LimitExceededException(
            f"Cannot create more than {MAX_ALIASES_PER_KEY} aliases for the key {key.arn}.")
    now = timezone.now()
    try:
        # A concurrent CreateAlias of the same name on another key may win the unique constraint.
        with transaction.atomic():
            Alias.objects.create(account_id=call.principal.account_id, region=call.region, name=name, key=key,
                                 created_at=now, updated_at=now)
    except IntegrityError:
        raise errors.AlreadyExistsException(f"An alias with the name {arn} already exists") from None
    return {}


@operation("kms", "UpdateAlias")
def update_alias(call):
    name = call.params["AliasName"]
    _check_alias_name(name, creating=True)
    new_key = resolve_key(call, call.params["TargetKeyId"], action="kms:UpdateAlias", aliases=False,
                          for_update=True)
    alias = _own_alias(call, name, for_update=True)
    current_key = alias.key
    _authorize_alias(call, "kms:UpdateAlias", name)
    authorize_key(call, current_key, "kms:UpdateAlias")
    authorize_key(call, new_key, "kms:UpdateAlias")
    # The alias may leave a key pending deletion, but not point to one (kms.md §6.4 note 10).
    require_state(new_key, "UpdateAlias")
    if _key_family(current_key) != _key_family(new_key):
        raise errors.ValidationException(
            f"{new_key.arn} is not the same key type and key usage as the alias's current key "
            f"{current_key.arn}: an alias can only be moved to a key of the same type and usage.",
            field="TargetKeyId")
    if current_key.pk != new_key.pk:
        if new_key.aliases.count() >= MAX_ALIASES_PER_KEY:
            raise errors.LimitExceededException(
                f"Cannot create more than {MAX_ALIASES_PER_KEY} aliases for the key {new_key.arn}.")
        alias.key = new_key
        alias.updated_at = timezone.now()
        alias.save(update_fields=["key", "updated_at"])
    return {}


@operation("kms", "DeleteAlias")
def delete_alias(call):
    name = call.params["AliasName"]
    if not name.startswith("alias/"):
        raise errors.ValidationException(PREFIX_MESSAGE, field="AliasName")
    alias = _own_alias(call, name, for_update=True)
    _authorize_alias(call, "kms:DeleteAlias", name)
    authorize_key(call, alias.key, "kms:DeleteAlias")
    alias.delete()
    return {}


@operation("kms", "ListAliases", read_only=True)
def list_aliases(call):
    account_id = call.principal.account_id
    key = None
    if call.params.get("KeyId"):
        key = resolve_key(call, call.params["KeyId"], action="kms:ListAliases", aliases=False)
        if key.account_id != account_id:
            # ListAliases never shows another account's aliases (kms.md §2.1).
            raise errors.AccessDeniedException(cross_account_denial_message(call.principal.arn, "kms:ListAliases"))
    authorize_account_action(call, "kms:ListAliases")
    Key.objects.filter(account_id=account_id, region=call.region, state="PendingDeletion",
                       deletion_date__lte=timezone.now()).delete()  # their aliases go with them
    aliases = Alias.objects.filter(account_id=account_id, region=call.region).select_related("key")
    if key is not None:
        aliases = aliases.filter(key=key)
    aliases = aliases.order_by("name")
    if key is None:
        # Customer aliases first, then the AWS managed ones, as AWS lists them.
        created = set(aliases.filter(name__in=AWS_MANAGED_ALIASES).values_list("name", flat=True))
        aliases = _ThenManaged(aliases, [name for name in AWS_MANAGED_ALIASES if name not in created])
    page, more = paginate(aliases, call.params, default_limit=50)
    return {"Aliases": [_alias_entry(call, alias) for alias in page], **more}


class _ThenManaged:
    """The account's aliases (a queryset, sliced in SQL) followed by the AWS managed alias names: a page of
    ListAliases reads one page of rows, however many aliases the account has."""

    def __init__(self, customer, managed: list[str]):
        self.customer, self.managed = customer, managed
        self.customer_count = customer.count()

    def __getitem__(self, window: slice) -> list:
        start, stop, count = window.start, window.stop, self.customer_count
        items = list(self.customer[start:min(stop, count)]) if start < count else []
        if stop > count:
            items += self.managed[max(0, start - count):stop - count]
        return items


def _alias_entry(call, alias) -> dict:
    if isinstance(alias, str):  # an AWS managed alias with no key behind it yet
        return {"AliasName": alias, "AliasArn": alias_arn(call.region, call.principal.account_id, alias)}
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.key.key_id,
        "CreationDate": alias.created_at,
        "LastUpdatedDate": alias.updated_at,
    }
