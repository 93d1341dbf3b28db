"""Process-local copies of what authentication and authorisation read, exactly as fresh as the database.

A KMS call needs the access key, the caller's IAM policies, the key, its aliases, tags, grants and
material: eight queries that almost never change between calls. Instead:

- Every change to those tables writes a new random token into accounts.StateToken, in the same
  transaction as the change (Django signals, registered in accounts.apps, so the API, the console,
  scenario loading and the admin are all covered).
- Each request reads the token once, at its first use of the cache (StateCacheMiddleware). Entries filled under that token are current;
  when the token has moved, the process drops every entry and reads the tables again.

So a call sees every change committed before it started, as reading the tables would, and a change made in
one gunicorn worker is seen by the others at their next request.

Read-only API calls may skip even that read (speculate()): they trust the token the process last saw,
and their one write, the audit INSERT, only happens while the database still holds that token
(unconfirmed_token(), used by audit.trail). If the token has moved, nothing is written, Stale is raised
and the endpoint runs the call again, reading the token first. A call that writes no record checks the
token with confirm() before it answers. Either way, no answer rests on state older than the moment it
was given.

Changes that bypass model signals (QuerySet.update, bulk_create, raw SQL) must call bump() themselves.
Outside a request (management commands, tests calling operations directly) nothing is cached.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction

_local = threading.local()


class _Store:
    def __init__(self):
        self.token = None
        self.entries: dict = {}
        self.lock = threading.Lock()


_store = _Store()


def _read_token():
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM accounts_statetoken WHERE id = 1")
        row = cursor.fetchone()
    return str(row[0]) if row else None


_UNREAD = object()  # in a request, before its first use of the cache


class Stale(Exception):
    """A speculating request trusted a token that has since moved: its answer must not be given."""


def begin_request() -> None:
    # The token is read at the request's first use of the cache: pages that never use it pay nothing.
    _local.token = _UNREAD
    _local.speculative = False
    _local.unconfirmed = None


def speculate() -> None:
    """Let this request trust the process's last known token instead of reading it (PostgreSQL only:
    the conditional INSERT that confirms it is written in its SQL). Call before the first get()."""
    if getattr(_local, "token", None) is _UNREAD and connection.vendor == "postgresql":
        _local.speculative = True


def unconfirmed_token() -> str | None:
    """The token this request trusted without reading it; None once confirmed, or if it read the token."""
    return getattr(_local, "unconfirmed", None)


def confirmed() -> None:
    """The request's conditional write found its token current (see unconfirmed_token)."""
    _local.unconfirmed = None


def confirm() -> None:
    """Check an unconfirmed token against the database now; raise Stale if it moved."""
    token = unconfirmed_token()
    if token is None:
        return
    if _read_token() != token:
        raise Stale()
    _local.unconfirmed = None


def _request_token():
    token = getattr(_local, "token", None)
    if token is _UNREAD and getattr(_local, "speculative", False) and _store.token is not None:
        token = _local.token = _local.unconfirmed = _store.token
    if token is _UNREAD:
        token = _read_token()
        if token is None:  # a database that has never had a change recorded (new, or just upgraded)
            bump()
            token = _read_token()
        _local.token = token
        if token is not None and token != _store.token:
            with _store.lock:
                if token != _store.token:
                    _store.entries = {}
                    _store.token = token
    return token


def end_request() -> None:
    _local.token = None
    _local.speculative = False
    _local.unconfirmed = None


def get(kind: str, key, load):
    """The cached value for (kind, key), loading it with load() when absent or not trustworthy."""
    token = _request_token()
    if token is None or token != _store.token:
        return load()
    entries = _store.entries
    try:
        return entries[(kind, key)]
    except KeyError:
        value = load()
        if _store.token == token and entries is _store.entries:
            entries[(kind, key)] = value
        return value


def bump(**_ignored) -> None:
    """Record that cached state changed. Signal receiver; also call it after bulk changes."""
    if getattr(_local, "bump_deferred", None) is not None:
        _local.bump_deferred = True  # one_bump() moves the token once, at its end
        return
    # This thread's request may read its own uncommitted change next: stop trusting the cache for it.
    _local.token = None
    _local.speculative = False
    token = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_statetoken SET token = %s WHERE id = 1", [token])
        if cursor.rowcount:
            return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO accounts_statetoken (id, token) VALUES (1, %s)", [token])
    except IntegrityError:  # another transaction created the row first; write our token over it
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_statetoken SET token = %s WHERE id = 1", [token])


@contextmanager
def one_bump():
    """Many changes in one transaction (creating a class of 200 training seats) move the token once, when
    the block ends without error, instead of once per row. Use it inside the transaction it covers, and do not
    read the cache inside it."""
    _local.bump_deferred = False
    try:
        yield
    except BaseException:
        _local.bump_deferred = None
        raise
    changed, _local.bump_deferred = _local.bump_deferred, None
    if changed:
        bump()


class StateCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        begin_request()
        try:
            return self.get_response(request)
        finally:
            end_request()


@contextmanager
def request_scope():
    """The cache for code that serves requests without the middleware (benchmarks)."""
    begin_request()
    try:
        yield
    finally:
        end_request()
