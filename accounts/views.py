"""Console sign-in and sign-out, Switch role and the region selector.

Sign-in checks a password with Django's hashers and records ConsoleLogin through dispatch.execute, so
the event history shows every attempt (never the password). Switch role runs STS AssumeRole as the
signed-in identity through dispatch.execute, so the same engine decides and the same trail records it.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import console_session as console
from accounts.forms import IamUserSignInForm, RegionForm, RootSignInForm, SwitchRoleForm
from accounts.models import Account, IamUser
from accounts.principals import Principal
from accounts.regions import is_opt_in
from accounts.signin_events import FAILURE, SUCCESS
from awsapi import errors
from awsapi.dispatch import Call, execute

# The same words whatever went wrong: nothing says whether the account or the user exists.
SIGN_IN_FAILED = "Your authentication information is incorrect. Please try again."
SIGN_IN_LOCKED = "Too many failed sign-in attempts. Sign-in is locked for a while; try again later."
SWITCH_ROLE_INVALID = ("Invalid information in one or more fields. Check your information or contact your "
                       "administrator.")
CONSOLE_SESSION_SECONDS = 3600  # a role switched into in the console lasts one hour, as on AWS
HIDDEN_USER = "HIDDEN_DUE_TO_SECURITY_REASONS"


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "127.0.0.1"


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _home() -> str:
    return reverse("home")


def _run(request, principal: Principal, service: str, operation: str, params: dict, **extra) -> tuple[dict, Call]:
    call = Call(
        principal=principal,
        region=request.session.get(console.REGION) or _default_region(),
        service=service,
        operation=operation,
        params=params,
        request_id=getattr(request, "request_id", ""),
        source_ip=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024],
        via_console=True,
    )
    call.extra_record_fields.update(extra)
    result = execute(call)
    return result, call


def _default_region() -> str:
    from django.conf import settings

    return settings.KMSCONSOLE_DEFAULT_REGION


def _record_console_login(request, principal: Principal, outcome: str):
    extra = {"additionalEventData": {"LoginTo": request.build_absolute_uri(_home()), "MobileVersion": "No",
                                     "MFAUsed": "No"}}
    try:
        _run(request, principal, "signin", "ConsoleLogin", {"Outcome": outcome}, **extra)
    except errors.AwsError:
        pass  # a failed sign-in is recorded as an error; the person sees SIGN_IN_FAILED


def find_account(reference: str) -> Account | None:
    reference = reference.strip()
    if reference.isdigit():
        return Account.objects.filter(pk=reference).first()
    return Account.objects.filter(alias=reference.lower()).first()


# ---- sign-in, sign-out --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def sign_in(request):
    form = IamUserSignInForm(request.POST or None, initial={"account": request.GET.get("account", "")})
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = find_account(data["account"])
        lock_ref = account.pk if account else data["account"]
        user = IamUser.objects.select_related("account").filter(account=account, name=data["username"]).first() \
            if account else None
        if console.is_locked(lock_ref, data["username"]):
            error = SIGN_IN_LOCKED
        elif user is not None and user.check_console_password(data["password"]):
            console.clear_failures(lock_ref, data["username"])
            principal = Principal.for_user(user)
            console.sign_in(request, principal)
            user.record_password_use()
            _record_console_login(request, principal, SUCCESS)
            return redirect(_safe_next(request, _home()))
        else:
            console.record_failure(lock_ref, data["username"])
            if account is not None:
                who = user or IamUser(account=account, name=HIDDEN_USER, unique_id="")
                _record_console_login(request, Principal.for_user(who), FAILURE)
            error = SIGN_IN_LOCKED if console.is_locked(lock_ref, data["username"]) else SIGN_IN_FAILED
    return render(request, "accounts/sign_in.html",
                  {"form": form, "error": error, "root": False, "next": _safe_next(request, "")},
                  status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def sign_in_root(request):
    form = RootSignInForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        account = Account.objects.filter(email__iexact=email).first()
        if console.is_locked(email, ""):
            error = SIGN_IN_LOCKED
        elif account is not None and account.check_root_password(form.cleaned_data["password"]):
            console.clear_failures(email, "")
            principal = Principal.root(account)
            console.sign_in(request, principal)
            _record_console_login(request, principal, SUCCESS)
            return redirect(_safe_next(request, _home()))
        else:
            console.record_failure(email, "")
            if account is not None:
                _record_console_login(request, Principal.root(account), FAILURE)
            error = SIGN_IN_LOCKED if console.is_locked(email, "") else SIGN_IN_FAILED
    return render(request, "accounts/sign_in.html",
                  {"form": form, "error": error, "root": True, "next": _safe_next(request, "")},
                  status=400 if error else 200)


@require_POST
def sign_out(request):
    console.sign_out(request)
    messages.info(request, "You have signed out.")
    return redirect("accounts:sign_in")


# ---- Switch role --------------------------------------------------------------------------------------

@console.console_login_required
@require_http_methods(["GET", "POST"])
def switch_role(request):
    initial = {"account": request.GET.get("account", ""), "role": request.GET.get("roleName", ""),
               "display_name": request.GET.get("displayName", "")}
    form = SwitchRoleForm(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        error = _switch(request, **form.cleaned_data)
        if error is None:
            return redirect(_home())
    return render(request, "accounts/switch_role.html", {"form": form, "error": error},
                  status=400 if error else 200)


def _switch(request, *, account: str, role: str, display_name: str) -> str | None:
    """Become `role` of `account` as the signed-in identity; None on success, else the message to show."""
    identity = request.console.original or request.principal
    target = find_account(account)
    account_id = target.pk if target else (account if account.isdigit() and len(account) == 12 else None)
    if account_id is None:
        _record_switch(request, identity, FAILURE, SWITCH_ROLE_INVALID)
        return SWITCH_ROLE_INVALID
    session_name = identity.username if identity.username and len(identity.username) >= 2 else "console-user"
    try:
        _result, call = _run(request, identity, "sts", "AssumeRole", {
            "RoleArn": f"arn:aws:iam::{account_id}:role/{role}",
            "RoleSessionName": session_name,
            "DurationSeconds": CONSOLE_SESSION_SECONDS,
        })
    except errors.AwsError as error:
        _record_switch(request, identity, FAILURE, error.message)
        return error.message
    session = call.assumed_session
    label = display_name or f"{role} @ {target.alias if target and target.alias else account_id}"
    console.enter_role(request, session, account_label=account, display_name=label)
    _record_switch(request, Principal.for_session(session), SUCCESS)
    return None


def _record_switch(request, principal: Principal, outcome: str, message: str = ""):
    params = {"Outcome": outcome}
    if message:
        params["FailureMessage"] = message
    try:
        _run(request, principal, "signin", "SwitchRole", params)
    except errors.AwsError:
        pass


@console.console_login_required
@require_POST
def switch_back(request):
    console.leave_role(request)
    return redirect(_home())


# ---- region -------------------------------------------------------------------------------------------

@console.console_login_required
@require_POST
def select_region(request):
    form = RegionForm(request.POST)
    back = _safe_next(request, _home())
    if not form.is_valid():
        messages.error(request, "Choose one of the listed regions.")
        return redirect(back)
    region = form.cleaned_data["region"]
    account = request.principal.account
    if not account.region_enabled(region):
        kind = "an opt-in region" if is_opt_in(region) else "a region"
        messages.error(request, f"{region} is {kind} that account {account.pk} has not enabled.")
        return redirect(back)
    console.set_region(request, region)
    return redirect(back)
