"""Who is signed in to the console, kept in the Django session and turned back into a Principal per request.

The session holds ids only (never a password, secret or token):
  console.identity     {"account": "<id>", "user": <IamUser pk> | None}   None user = the account root
  console.role_session <RoleSession pk> while switched into a role ("Switch role"), else absent
  console.history      the last roles switched into, newest first (AWS's menu keeps five)
  console.region       the region pages act in
  console.signed_in_at epoch seconds; sessions end SESSION_COOKIE_AGE after sign-in

`@console_login_required` sets request.principal (accounts.principals.Principal), request.region and
request.console (the top bar's data) or redirects to sign-in. A role session that has expired drops
the person back to the identity they signed in as, as the AWS console does.

Sign-in lockout: failures are counted in Django's cache per (account, user name); LOCKOUT_FAILURES within
LOCKOUT_WINDOW lock that pair for LOCKOUT_WINDOW, during which even the right password is refused. The cache is the database cache
(settings.CACHES), so every gunicorn worker sees the same counters.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, IamUser, RoleSession
from accounts.principals import Principal
from accounts.regions import ALL_REGIONS, DEFAULT_REGIONS, OPT_IN_REGIONS

IDENTITY, ROLE_SESSION, HISTORY, REGION, SIGNED_IN_AT = (
    "console.identity", "console.role_session", "console.history", "console.region", "console.signed_in_at")
HISTORY_LENGTH = 5
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = 15 * 60  # seconds: failures counted over this long, and the lock lasts as long


# ---- what the top bar shows ---------------------------------------------------------------------------

@dataclass
class RegionChoice:
    code: str
    name: str
    opt_in: bool
    enabled: bool


@dataclass
class ConsoleContext:
    principal: Principal
    region: str
    original: Principal | None  # who signed in, while switched into a role
    history: list[dict] = field(default_factory=list)

    @property
    def switched(self) -> bool:
        return self.original is not None

    @property
    def region_name(self) -> str:
        return ALL_REGIONS.get(self.region, self.region)

    @property
    def display_name(self) -> str:
        if self.principal.session is not None:
            return self.principal.session.session_name
        return self.principal.display_name

    @property
    def regions(self) -> list[RegionChoice]:
        account = self.principal.account
        choices = [RegionChoice(c, n, False, account.region_enabled(c)) for c, n in DEFAULT_REGIONS.items()]
        choices += [RegionChoice(c, n, True, account.region_enabled(c)) for c, n in OPT_IN_REGIONS.items()]
        return choices


# ---- reading the session ------------------------------------------------------------------------------

def signed_in_identity(request) -> Principal | None:
    """The principal the person signed in as (not the role they switched into), or None."""
    identity = request.session.get(IDENTITY)
    if not identity:
        return None
    signed_in_at = request.session.get(SIGNED_IN_AT, 0)
    if time.time() - signed_in_at > settings.SESSION_COOKIE_AGE:
        sign_out(request)
        return None
    if identity.get("user") is not None:
        user = IamUser.objects.select_related("account").filter(pk=identity["user"]).first()
        return Principal.for_user(user) if user else None
    account = Account.objects.filter(pk=identity["account"]).first()
    return Principal.root(account) if account else None


def current_role_session(request) -> RoleSession | None:
    session_id = request.session.get(ROLE_SESSION)
    if session_id is None:
        return None
    session = RoleSession.objects.select_related("role", "role__account").filter(pk=session_id).first()
    if session is None or session.expires_at <= timezone.now():
        request.session.pop(ROLE_SESSION, None)
        return None
    return session


def load_console(request) -> ConsoleContext | None:
    original = signed_in_identity(request)
    if original is None:
        return None
    role_session = current_role_session(request)
    principal = Principal.for_session(role_session) if role_session else original
    region = request.session.get(REGION) or settings.KMSCONSOLE_DEFAULT_REGION
    if not principal.account.region_enabled(region):
        region = settings.KMSCONSOLE_DEFAULT_REGION
    return ConsoleContext(principal=principal, region=region, original=original if role_session else None,
                          history=request.session.get(HISTORY, []))


def console_login_required(view):
    """Console pages: set request.principal, request.region and request.console, or go to sign-in."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        console = load_console(request)
        if console is None:
            return redirect(f"{reverse('accounts:sign_in')}?{urlencode({'next': request.get_full_path()})}")
        request.console = console
        request.principal = console.principal
        request.region = console.region
        return view(request, *args, **kwargs)

    return wrapper


# ---- changing the session -----------------------------------------------------------------------------

def sign_in(request, principal: Principal):
    region = request.session.get(REGION)
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    request.session.clear()
    request.session[IDENTITY] = {
        "account": principal.account_id,
        "user": principal.user.pk if principal.user is not None else None,
    }
    request.session[SIGNED_IN_AT] = int(time.time())
    if region:
        request.session[REGION] = region


def sign_out(request):
    request.session.flush()


def enter_role(request, session: RoleSession, *, account_label: str, display_name: str):
    request.session[ROLE_SESSION] = session.pk
    entry = {"account": session.role.account_id, "account_label": account_label,
             "role": session.role.name, "display_name": display_name}
    history = [h for h in request.session.get(HISTORY, [])
               if (h["account"], h["role"]) != (entry["account"], entry["role"])]
    request.session[HISTORY] = [entry] + history[: HISTORY_LENGTH - 1]


def leave_role(request):
    request.session.pop(ROLE_SESSION, None)


def set_region(request, region: str):
    request.session[REGION] = region


# ---- sign-in lockout ----------------------------------------------------------------------------------

def _lock_key(account_ref: str, username: str) -> str:
    # Hashed so that whatever was typed (possibly a password in the wrong field) is not a readable cache key.
    digest = hashlib.sha256(f"{account_ref.strip().lower()}\0{username.strip()}".encode()).hexdigest()
    return f"console-sign-in-failures:{digest}"


def is_locked(account_ref: str, username: str) -> bool:
    state = cache.get(_lock_key(account_ref, username)) or {}
    return state.get("locked_until", 0) > time.time()


def record_failure(account_ref: str, username: str):
    """Count a failure; the LOCKOUT_FAILURES-th within LOCKOUT_WINDOW locks the pair for LOCKOUT_WINDOW."""
    key = _lock_key(account_ref, username)
    now = time.time()
    state = cache.get(key) or {}
    failures = [t for t in state.get("failures", []) if now - t < LOCKOUT_WINDOW] + [now]
    state = {"failures": failures[-LOCKOUT_FAILURES:], "locked_until": state.get("locked_until", 0)}
    if len(failures) >= LOCKOUT_FAILURES:
        state = {"failures": [], "locked_until": now + LOCKOUT_WINDOW}
    cache.set(key, state, 2 * LOCKOUT_WINDOW)


def clear_failures(account_ref: str, username: str):
    cache.delete(_lock_key(account_ref, username))
