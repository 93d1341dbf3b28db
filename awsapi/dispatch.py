"""One way in: every operation, from the API or the console, runs through `execute`.

An operation is a plain function `fn(call) -> dict` registered with @operation. `execute` runs it in a
transaction as the call's principal and writes the audit record(s) of the call: in the same
transaction when it succeeds (a change never exists without its record, nor a record without its
change), and in a transaction of its own after the rollback when it fails.
"""

import logging
import uuid
from dataclasses import dataclass, field
from typing import Callable

from django.db import connection, transaction

from accounts.principals import Principal
from awsapi import errors, shapes, storable
from kmsconsole import statecache

log = logging.getLogger(__name__)

SERVICE_SOURCES = {
    "kms": "kms.amazonaws.com",
    "sts": "sts.amazonaws.com",
    "cloudtrail": "cloudtrail.amazonaws.com",
    "iam": "iam.amazonaws.com",
    "signin": "signin.amazonaws.com",
    "accessanalyzer": "access-analyzer.amazonaws.com",
}


@dataclass(frozen=True)
class OperationSpec:
    service: str
    name: str
    fn: Callable
    read_only: bool
    # Operations with no model in botocore (console-only actions such as ConsoleLogin) skip shape checks.
    modelled: bool = True
    # Operations that report bad input with their own AWS errors (CloudTrail's InvalidMaxResultsException...)
    # instead of ValidationException check call.params themselves.
    validate: bool = True


_REGISTRY: dict[tuple[str, str], OperationSpec] = {}


def operation(service: str, name: str, *, read_only: bool = False, modelled: bool = True, validate: bool = True):
    def register(fn):
        _REGISTRY[(service, name)] = OperationSpec(service, name, fn, read_only, modelled, validate)
        return fn

    return register


def lookup(service: str, name: str) -> OperationSpec | None:
    _load_operation_modules()
    return _REGISTRY.get((service, name))


_loaded = False


def _load_operation_modules():
    # Operation modules register themselves on import; import them once, lazily, to avoid cycles.
    global _loaded
    if _loaded:
        return
    import importlib

    for module in ("keys.operations", "accounts.sts", "audit.lookup", "iam.operations", "analyzer.operations"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    _loaded = True


def warm_up() -> None:
    """Load now what a process's first call would load: the operation modules and botocore's service
    models. Server processes do this at start (kmsconsole/wsgi.py), so no client waits ~150 ms for it."""
    _load_operation_modules()
    for spec in _REGISTRY.values():
        if spec.modelled:
            shapes.operation_model(spec.service, spec.name)


@dataclass
class KeyResource:
    """A key the call acted on: audit records list it, and a foreign owner gets a copy of the record."""

    arn: str
    account_id: str
    type: str = "AWS::KMS::Key"


@dataclass
class Call:
    principal: Principal
    region: str
    service: str
    operation: str
    params: dict
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    via_console: bool = False
    # Filled in while the operation runs.
    resources: list[KeyResource] = field(default_factory=list)
    decisions: list = field(default_factory=list)
    requested_alias: str | None = None  # the alias the request named the key by (kms:RequestAlias)
    # Work that must happen even when the call fails and its transaction rolls back (e.g. removing a key
    # found past its deletion date); run in the transaction that records the failure.
    after_rollback: list = field(default_factory=list)
    response_elements: dict | None = None
    # Set by operations whose audit record must not name the caller's request (e.g. a failed sign-in).
    extra_record_fields: dict = field(default_factory=dict)

    @property
    def event_source(self) -> str:
        return SERVICE_SOURCES.get(self.service, f"{self.service}.amazonaws.com")

    def add_resource(self, arn: str, account_id: str, type: str = "AWS::KMS::Key"):
        if all(r.arn != arn for r in self.resources):
            self.resources.append(KeyResource(arn, account_id, type))


def commit_durably() -> None:
    """Make the current transaction's commit wait for the WAL flush (PostgreSQL runs without by default,
    see settings): a change and its audit records must survive a crash together."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = on")


def execute(call: Call, *, wire_body: dict | None = None, refusal: errors.AwsError | None = None) -> dict:
    """Run the call's operation as its principal; record it whatever the outcome.

    wire_body: the JSON body as the client sent it (API calls); console calls pass Python values in
    call.params instead. Either way the request is checked against the service model first.
    refusal: what the protocol layer found wrong with an authenticated request before any operation could
    run (a body that is not JSON): recorded and raised like the operation's own errors.
    """
    from audit.trail import record_call

    spec = lookup(call.service, call.operation)
    if spec is None:
        raise errors.UnknownOperationException("")
    try:
        if refusal is not None:
            raise refusal
        if spec.modelled:
            if wire_body is not None:
                call.params = shapes.decode_input(call.service, call.operation, wire_body)
            if spec.validate:
                shapes.validate_input(call.service, call.operation, call.params, region=call.region)
            storable.refuse_unstorable(call.service, call.operation, call.params)
        if spec.read_only:
            # Nothing to keep atomic: the record is the call's only write, and one INSERT is atomic.
            result = spec.fn(call) or {}
            record_call(call, spec, error=None)
            return result
        with transaction.atomic():
            commit_durably()
            result = spec.fn(call) or {}
            record_call(call, spec, error=None)
        return result
    except statecache.Stale:
        raise  # the endpoint runs the call again on fresh state; nothing was written
    except errors.AwsError as err:
        with transaction.atomic():
            for work in call.after_rollback:
                work()
            record_call(call, spec, error=err)
        raise
    except Exception:
        log.exception("operation %s.%s failed", call.service, call.operation)
        internal = errors.KMSInternalException("An internal error occurred.")
        with transaction.atomic():
            record_call(call, spec, error=internal)
        raise internal from None
