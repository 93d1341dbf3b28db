"""The console's key pages: the customer managed keys list, the key page with its
tabs, the access explainer and "use a key by ARN".

Every read and every change is a KMS operation run through awsapi.dispatch.execute as the signed-in
principal (via_console=True), so the same engine authorises it and the same trail records it as an API
call. The only database reads around the engine are what KMS has no API for: the account's IAM users and
roles for the pickers, the key's policy history, and the explainer's hypothetical evaluation, each after
the matching operation has authorised the principal.
"""

from __future__ import annotations

import base64
import functools
import json

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.console_session import console_login_required
from accounts.models import IamRole, IamUser
from awsapi.dispatch import Call, execute
from awsapi.errors import AwsError
from keys import forms as key_forms
from keys import policy_editing
from keys.access_explainer import BadQuestion, explain_access, explain_own_iam
from keys.models import Key, KeyPolicyVersion
from keys.store import aws_policy_text
from policies.validator import validate_policy

LIST_PAGE_SIZE = 10  # the AWS console's default page size; each row is a DescribeKey call
TABS = [
    ("policy", "Key policy"),
    ("crypto", "Cryptographic configuration"),
    ("tags", "Tags"),
    ("rotation", "Key rotation"),
    ("key_material", "Key material"),
    ("public_key", "Public key"),
    ("aliases", "Aliases"),
    ("grants", "Grants"),
    ("access", "Access"),
    ("who_can_use", "Who can use"),
]
SEVERITY_ORDER = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}


# ----------------------------------------------------------------------------------------------------------
# Signed-in principal and the one way to KMS
# ----------------------------------------------------------------------------------------------------------


# Pages for a signed-in principal: the console session sets request.principal and request.region.
console_page = console_login_required


def kms(request, operation: str, **params) -> dict:
    """Run a KMS operation as the signed-in principal, exactly as an API call would run."""
    call = Call(
        principal=request.principal,
        region=request.region,
        service="kms",
        operation=operation,
        params={name: value for name, value in params.items() if value is not None},
        request_id=request.request_id,
        source_ip=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024],
        via_console=True,
    )
    return execute(call)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "127.0.0.1"


def _all_pages(request, operation: str, items: str, **params) -> list:
    """Follow Marker/NextMarker until Truncated is false."""
    result, marker = [], None
    while True:
        page = kms(request, operation, Marker=marker, **params)
        result += page.get(items, [])
        if not page.get("Truncated"):
            return result
        marker = page["NextMarker"]


def _principal_choices(request) -> list[tuple[str, str]]:
    """IAM users and roles of the signed-in account, for the pickers (the AWS console lists them with IAM)."""
    account_id = request.principal.account_id
    users = [(u.arn, f"User {u.name}") for u in IamUser.objects.filter(account_id=account_id).order_by("name")]
    roles = [(r.arn, f"Role {r.name}") for r in IamRole.objects.filter(account_id=account_id).order_by("name")]
    return users + roles


def _field_error(error: AwsError, fields: dict[str, str], default: str = "__all__") -> tuple[str, str]:
    """(form field, message) for an AwsError: the operation's request member mapped to the page's field."""
    return fields.get(error.field or "", default), error.message or error.code


# ----------------------------------------------------------------------------------------------------------
# Customer managed keys
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def key_list(request):
    query = request.GET.get("q", "").strip()
    marker = request.GET.get("marker") or None
    context = {"query": query, "rows": [], "error": None, "more": 0, "marker": marker, "next_marker": None}
    try:
        if query:
            # A search looks through every key of the Region (ids and aliases), then shows the first matches.
            keys = _all_pages(request, "ListKeys", "Keys", Limit=1000)
        else:
            # Without one the list is paged by ListKeys itself, so a page costs the same with 10 or 10,000 keys.
            listed = kms(request, "ListKeys", Limit=LIST_PAGE_SIZE, Marker=marker)
            keys = listed.get("Keys", [])
            context["next_marker"] = listed.get("NextMarker") if listed.get("Truncated") else None
        aliases = _all_pages(request, "ListAliases", "Aliases", Limit=100)
    except AwsError as error:
        context["error"] = error.message or error.code
        keys, aliases = [], []
    aliases_by_key: dict[str, list[str]] = {}
    for alias in aliases:
        if alias.get("TargetKeyId"):
            aliases_by_key.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"][len("alias/"):])
    matching = [k for k in keys if _matches(query, k["KeyId"], aliases_by_key.get(k["KeyId"], []))]
    context["more"] = max(0, len(matching) - LIST_PAGE_SIZE)
    for listed in matching[:LIST_PAGE_SIZE]:
        row = {"key_id": listed["KeyId"], "aliases": aliases_by_key.get(listed["KeyId"], [])}
        try:
            metadata = kms(request, "DescribeKey", KeyId=listed["KeyId"])["KeyMetadata"]
        except AwsError as error:
            row["error"] = error.message or error.code
        else:
            row.update(status=metadata["KeyState"], key_type=key_forms.key_type_of(metadata["KeySpec"]),
                       key_spec=metadata["KeySpec"], key_usage=metadata["KeyUsage"])
        context["rows"].append(row)
    template = "keys/key_list.html#key_table" if request.htmx else "keys/key_list.html"
    return render(request, template, context)


def _matches(query: str, key_id: str, aliases: list[str]) -> bool:
    query = query.lower()
    return not query or query in key_id.lower() or any(query in alias.lower() for alias in aliases)


# ----------------------------------------------------------------------------------------------------------
# The key page
# ----------------------------------------------------------------------------------------------------------


class KeyPage:
    """What the key page shows, loaded through KMS operations as the signed-in principal."""

    def __init__(self, request, key_id: str):
        self.request = request
        self.key_id = key_id
        self.metadata = kms(request, "DescribeKey", KeyId=key_id)["KeyMetadata"]
        self.own_key = self.metadata["AWSAccountId"] == request.principal.account_id
        self.aliases = self._aliases()

    def _aliases(self) -> list[dict]:
        try:
            return _all_pages(self.request, "ListAliases", "Aliases", KeyId=self.key_id, Limit=100)
        except AwsError:
            return []

    @property
    def symmetric(self) -> bool:
        return self.metadata["KeySpec"] == "SYMMETRIC_DEFAULT"

    @property
    def asymmetric(self) -> bool:
        return key_forms.key_type_of(self.metadata["KeySpec"]) == "Asymmetric"

    def tabs(self) -> list[tuple[str, str]]:
        shown = []
        for name, label in TABS:
            if name == "rotation" and (not self.symmetric or self.metadata["Origin"] == "EXTERNAL"):
                continue
            if name == "public_key" and not self.asymmetric:
                continue
            # Importing is for the key's own account only (another account's principal is always refused).
            if name == "key_material" and (self.metadata["Origin"] != "EXTERNAL" or not self.own_key):
                continue
            shown.append((name, label))
        return shown

    def key_row(self) -> Key:
        """The key's row, for what KMS has no API for (policy history). Call only after an operation on the
        key has authorised the principal."""
        return Key.objects.get(arn=self.metadata["Arn"])


def _load_page(request, key_id: str) -> KeyPage:
    try:
        return KeyPage(request, key_id)
    except AwsError as error:
        raise _KeyPageUnavailable(error) from None


class _KeyPageUnavailable(Exception):
    def __init__(self, error: AwsError):
        self.error = error


def _key_page_view(view):
    """Load the key for the view, or answer with the AWS error that stops the signed-in principal."""

    @functools.wraps(view)
    def wrapper(request, key_id, *args, **kwargs):
        try:
            page = _load_page(request, key_id)
        except _KeyPageUnavailable as unavailable:
            status = 404 if unavailable.error.code == "NotFoundException" else 403
            return render(request, "keys/key_unavailable.html",
                          {"key_id": key_id, "error": unavailable.error}, status=status)
        return view(request, page, *args, **kwargs)

    return wrapper


@console_page
@require_http_methods(["GET"])
@_key_page_view
def key_detail(request, page: KeyPage):
    tab = request.GET.get("tab", "policy")
    if tab not in dict(page.tabs()):
        tab = "policy"
    return _render_key_page(request, page, tab)


@console_page
@require_http_methods(["GET"])
@_key_page_view
def key_tab(request, page: KeyPage, tab: str):
    if tab not in dict(page.tabs()):
        raise Http404("No such tab for this key")
    if tab == "policy" and request.GET.get("view") == "json":
        return _render_key_page(request, page, tab, policy_mode="json")
    return _render_key_page(request, page, tab)


def _render_key_page(request, page: KeyPage, tab: str, *, fragment: str | None = None, status: int = 200,
                     **tab_context):
    """The whole page, or for htmx the tab panel (fragment "tab") or the page body (fragment "main")."""
    context = {"page": page, "meta": page.metadata, "tab": tab, "tabs": page.tabs(),
               "tab_template": f"keys/tabs/{tab}.html", "notice": tab_context.pop("notice", None),
               "page_error": tab_context.pop("page_error", None)}
    context.update(_TAB_LOADERS[tab](request, page, **tab_context))
    context["recent_activity_url"] = _recent_activity_url(page)
    if request.htmx:
        template = "keys/key_detail.html#key_main" if fragment == "main" else "keys/key_detail.html#tabbed"
    else:
        template = "keys/key_detail.html"
    return render(request, template, context, status=status)


def _recent_activity_url(page: KeyPage) -> str | None:
    """The audit app's Recent activity fragment for this key (it authorises its own LookupEvents), when the
    audit app offers one."""
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch

    try:
        return f"{reverse('audit:recent_activity')}?{urlencode({'key': page.metadata['Arn']})}"
    except NoReverseMatch:
        return None


# ---- tab loaders: each returns the tab's template context ----


def _policy_tab(request, page: KeyPage, *, policy_mode: str | None = None, errors: dict | None = None,
                policy_text: str | None = None, findings=None, forms: dict | None = None) -> dict:
    context = {"errors": errors or {}, "findings": findings, "forms": forms or {}, "history": [],
               "policy_error": None}
    try:
        current = kms(request, "GetKeyPolicy", KeyId=page.key_id, PolicyName="default")["Policy"]
    except AwsError as error:
        context["policy_error"] = error.message or error.code
        return context
    document = json.loads(current)
    view = policy_editing.default_view(document)
    # ?view=json opens (and reloads) the policy view; the switch links push that URL.
    policy_mode = policy_mode or ("json" if request.GET.get("view") == "json" else None)
    context.update(
        policy_text=policy_text if policy_text is not None else current,
        current_policy=current,
        default_view=view,
        policy_mode="json" if view is None else (policy_mode or "default"),
        principal_choices=_principal_choices(request),
    )
    if page.own_key:
        context["history"] = KeyPolicyVersion.objects.filter(key=page.key_row()).only(
            "version", "changed_by", "changed_at").order_by("-version")[:20]
    return context


def _crypto_tab(request, page: KeyPage, **_) -> dict:
    meta = page.metadata
    algorithms = (meta.get("EncryptionAlgorithms") or meta.get("SigningAlgorithms") or meta.get("MacAlgorithms")
                  or meta.get("KeyAgreementAlgorithms") or [])
    return {"key_type": key_forms.key_type_of(meta["KeySpec"]), "algorithms": algorithms}


def _tags_tab(request, page: KeyPage, *, errors: dict | None = None, tag_form=None, **_) -> dict:
    context = {"errors": errors or {}, "tag_form": tag_form or key_forms.TagForm(), "tags": [], "tags_error": None}
    try:
        context["tags"] = _all_pages(request, "ListResourceTags", "Tags", KeyId=page.key_id, Limit=50)
    except AwsError as error:
        context["tags_error"] = error.message or error.code
    return context


def _rotation_tab(request, page: KeyPage, *, errors: dict | None = None, **_) -> dict:
    context = {"errors": errors or {}, "rotation": None, "rotation_error": None, "rotations": []}
    try:
        context["rotation"] = kms(request, "GetKeyRotationStatus", KeyId=page.key_id)
        context["rotations"] = kms(request, "ListKeyRotations", KeyId=page.key_id, Limit=25).get("Rotations", [])
    except AwsError as error:
        context["rotation_error"] = error.message or error.code
    return context


def _public_key_tab(request, page: KeyPage, **_) -> dict:
    try:
        public = kms(request, "GetPublicKey", KeyId=page.key_id)
    except AwsError as error:
        return {"public_key_error": error.message or error.code}
    return {"public_key_pem": _pem(public["PublicKey"])}


def _aliases_tab(request, page: KeyPage, **tab_context) -> dict:
    # keys.views_aliases builds on this module (kms(), the key page), so it is imported when first used.
    from keys.views_aliases import aliases_tab_context

    return aliases_tab_context(request, page, **tab_context)


def _grants_tab(request, page: KeyPage, *, errors: dict | None = None, **_) -> dict:
    context = {"errors": errors or {}, "grants": [], "grants_error": None}
    try:
        context["grants"] = _all_pages(request, "ListGrants", "Grants", KeyId=page.key_id, Limit=100)
    except AwsError as error:
        context["grants_error"] = error.message or error.code
    return context


def _access_tab(request, page: KeyPage, *, form=None, answer=None, errors: dict | None = None, **_) -> dict:
    form = form or key_forms.AccessQuestionForm(principal_choices=_principal_choices(request))
    return {"access_form": form, "answer": answer, "errors": errors or {},
            "explainer_actions": key_forms.EXPLAINER_ACTIONS, "is_operator": bool(request.user.is_staff),
            "operator_view": _operator_view(request)}


_TAB_LOADERS = {
    "policy": _policy_tab,
    "crypto": _crypto_tab,
    "tags": _tags_tab,
    "rotation": _rotation_tab,
    "public_key": _public_key_tab,
    "aliases": _aliases_tab,
    "grants": _grants_tab,
    "access": _access_tab,
    "who_can_use": lambda request, page, **kw: _access_views().who_can_use_tab(request, page, **kw),
    "key_material": lambda request, page, **kw: _key_material_views().key_material_tab_context(request, page, **kw),
}


def _key_material_views():
    # keys.views_key_material builds on this module too, so it is imported when first used.
    from keys import views_key_material

    return views_key_material


def _access_views():
    # keys.views_access builds on this module (kms(), the key page), so it is imported when first used.
    from keys import views_access

    return views_access


def _pem(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


# ----------------------------------------------------------------------------------------------------------
# General configuration and key actions
# ----------------------------------------------------------------------------------------------------------


def _after_change(request, page: KeyPage, tab: str, *, fragment: str = "tab", **tab_context):
    """Reload the key (its state may have changed) and show the page again: the tab, or the whole body."""
    fresh = KeyPage(request, page.key_id)
    if not request.htmx and not tab_context.get("errors") and not tab_context.get("page_error") \
            and not tab_context.get("findings"):
        return redirect(f"{reverse('keys:key_detail', args=[page.key_id])}?tab={tab}")
    failed = tab_context.get("errors") or tab_context.get("page_error")
    # htmx swaps only 2xx answers: a fragment with messages by the fields is a 200 for it.
    status = 400 if failed and not request.htmx else 200
    return _render_key_page(request, fresh, tab, fragment=fragment, status=status, **tab_context)


@console_page
@require_POST
@_key_page_view
def update_description(request, page: KeyPage):
    form = key_forms.DescriptionForm(request.POST)
    page_error = None
    if form.is_valid():
        try:
            kms(request, "UpdateKeyDescription", KeyId=page.key_id, Description=form.cleaned_data["description"])
        except AwsError as error:
            page_error = error.message or error.code
    else:
        page_error = "; ".join(form.errors.get("description", []))
    return _after_change(request, page, request.POST.get("tab", "policy"), fragment="main", page_error=page_error)


_KEY_ACTIONS = {"enable": "EnableKey", "disable": "DisableKey", "cancel-deletion": "CancelKeyDeletion"}


@console_page
@require_POST
@_key_page_view
def key_action(request, page: KeyPage, action: str):
    page_error = notice = None
    params = {"KeyId": page.key_id}
    if action == "schedule-deletion":
        form = key_forms.ScheduleDeletionForm(request.POST)
        if not form.is_valid():
            page_error = " ".join(m for errors in form.errors.values() for m in errors)
        else:
            params["PendingWindowInDays"] = form.cleaned_data["pending_window_days"]
        operation = "ScheduleKeyDeletion"
    elif action in _KEY_ACTIONS:
        operation = _KEY_ACTIONS[action]
    else:
        raise Http404("No such key action")
    if page_error is None:
        try:
            kms(request, operation, **params)
            notice = {"EnableKey": "The key is enabled.", "DisableKey": "The key is disabled.",
                      "CancelKeyDeletion": "Key deletion is cancelled; the key is disabled.",
                      "ScheduleKeyDeletion": "The key is scheduled for deletion."}[operation]
        except AwsError as error:
            page_error = error.message or error.code
    return _after_change(request, page, request.POST.get("tab", "policy"), fragment="main",
                         page_error=page_error, notice=notice)


# ---- key policy ----

_POLICY_CHANGES = {"add-account", "remove-account", "add-admin", "remove-admin", "add-user", "remove-user",
                   "set-deletion"}


@console_page
@require_POST
@_key_page_view
def edit_policy(request, page: KeyPage):
    """A default-view change: compute the new document, save it with PutKeyPolicy (validator + lockout)."""
    change = request.POST.get("change", "")
    if change not in _POLICY_CHANGES:
        raise Http404("No such policy change")
    field = {"add-account": "account_id", "add-admin": "admin", "add-user": "user"}.get(change, "top")
    errors: dict[str, str] = {}
    try:
        current = kms(request, "GetKeyPolicy", KeyId=page.key_id, PolicyName="default")["Policy"]
    except AwsError as error:
        return _after_change(request, page, "policy", errors={"top": error.message or error.code})
    try:
        document = _changed_policy(request, page, json.loads(current), change)
    except _BadInput as bad:
        errors[field] = str(bad)
    else:
        if document == json.loads(current):
            # Adding what is already there (or removing what is not) is no change: no new policy version.
            return _after_change(request, page, "policy", notice="The key policy already says that.")
        try:
            kms(request, "PutKeyPolicy", KeyId=page.key_id, PolicyName="default", Policy=aws_policy_text(document))
        except AwsError as error:
            errors[field] = _put_policy_error(error, change, request.POST.get("account_id", "").strip())
    # A refused account id stays in its field, so it can be corrected rather than typed again.
    typed = {"account_id": request.POST.get("account_id", "")} if errors.get("account_id") else None
    return _after_change(request, page, "policy", errors=errors, forms=typed,
                         notice=None if errors else "Key policy saved.")


def _put_policy_error(error: AwsError, change: str, account_id: str) -> str:
    """KMS's message, except that an account missing from this installation is named (KMS says only
    "invalid principals")."""
    from keys.operations.management import principal_exists

    if (change == "add-account" and error.code == "MalformedPolicyDocumentException"
            and "invalid principals" in (error.message or "")
            and not principal_exists(policy_editing.root_arn(account_id))):
        return (f"Account {account_id} does not exist in this installation, so a key policy cannot name it "
                "(AWS refuses principals that do not exist). The console does not create accounts: add it to "
                "a scenario file and load that.")
    return error.message or error.code


class _BadInput(ValueError):
    pass


def _changed_policy(request, page: KeyPage, document: dict, change: str) -> dict:
    spec, usage = page.metadata["KeySpec"], page.metadata["KeyUsage"]
    post = request.POST
    if change == "add-account":
        form = key_forms.AccountIdForm(post)
        if not form.is_valid():
            raise _BadInput(form.errors["account_id"][0])
        account_id = form.cleaned_data["account_id"]
        try:
            policy_editing.check_external_account(document, account_id, key_account=page.metadata["AWSAccountId"])
        except policy_editing.AccountNotAdded as refused:
            raise _BadInput(str(refused)) from None
        return policy_editing.insert_external_account_statements(document, account_id, spec, usage)
    if change == "remove-account":
        return policy_editing.remove_external_account(document, post.get("account_id", ""))
    if change in ("add-admin", "add-user"):
        arn = post.get("admin" if change == "add-admin" else "user", "")
        if arn not in dict(_principal_choices(request)):
            raise _BadInput("Choose a user or role of this account.")
        if change == "add-admin":
            return policy_editing.add_key_administrator(document, arn)
        return policy_editing.add_key_users(document, [arn], spec, usage)
    if change == "remove-admin":
        return policy_editing.remove_key_administrator(document, post.get("arn", ""))
    if change == "remove-user":
        return policy_editing.remove_key_user(document, post.get("arn", ""))
    return policy_editing.set_admin_deletion(document, post.get("allowed") == "on")


@console_page
@require_POST
@_key_page_view
def save_policy(request, page: KeyPage):
    """Policy view → Save: the JSON as typed goes to PutKeyPolicy; KMS's error is shown by the editor."""
    form = key_forms.PolicyDocumentForm(request.POST)
    text = request.POST.get("policy", "")
    errors = {}
    if not form.is_valid():
        errors["policy"] = "Enter a key policy."
    else:
        try:
            kms(request, "PutKeyPolicy", KeyId=page.key_id, PolicyName="default", Policy=text)
        except AwsError as error:
            errors["policy"] = error.message or error.code
    findings = _findings(text, page) if errors else None
    return _after_change(request, page, "policy", policy_mode="json", policy_text=text if errors else None,
                         errors=errors, findings=findings, notice=None if errors else "Key policy saved.")


@console_page
@require_POST
@_key_page_view
def check_policy(request, page: KeyPage):
    """"Check policy": the validator's findings for the text in the editor, before anything is saved.
    Shown only to someone who may read the key policy."""
    try:
        kms(request, "GetKeyPolicy", KeyId=page.key_id, PolicyName="default")
    except AwsError as error:
        return render(request, "keys/tabs/policy.html#findings",
                      {"findings": None, "policy_error": error.message or error.code},
                      status=200 if request.htmx else 403)
    findings = _findings(request.POST.get("policy", ""), page)
    return render(request, "keys/tabs/policy.html#findings", {"findings": findings, "checked": True})


def _findings(text: str, page: KeyPage) -> list:
    from keys.operations.management import principal_exists

    from iam.forms_policies import findings_by_line

    findings = validate_policy(text, "KEY_POLICY", key_account=page.metadata["AWSAccountId"],
                               principal_exists=principal_exists)
    # With the editor line of each, so the policy editor marks them at their lines.
    return findings_by_line(text, sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.path)))


# ---- tags, rotation, grants ----


@console_page
@require_POST
@_key_page_view
def edit_tags(request, page: KeyPage):
    errors, tag_form = {}, None
    if request.POST.get("remove"):
        try:
            kms(request, "UntagResource", KeyId=page.key_id, TagKeys=[request.POST["remove"]])
        except AwsError as error:
            errors["top"] = error.message or error.code
    else:
        tag_form = key_forms.TagForm(request.POST)
        if not tag_form.is_valid():
            errors["tag_key"] = "Enter a tag key."
        else:
            try:
                kms(request, "TagResource", KeyId=page.key_id, Tags=[
                    {"TagKey": tag_form.cleaned_data["tag_key"], "TagValue": tag_form.cleaned_data["tag_value"]}])
                tag_form = None
            except AwsError as error:
                errors["tag_key"] = error.message or error.code
    return _after_change(request, page, "tags", errors=errors, tag_form=tag_form)


@console_page
@require_POST
@_key_page_view
def edit_rotation(request, page: KeyPage):
    errors = {}
    try:
        if request.POST.get("rotate_now"):
            kms(request, "RotateKeyOnDemand", KeyId=page.key_id)
        else:
            form = key_forms.RotationForm(request.POST)
            if not form.is_valid():
                errors["rotation_period_days"] = " ".join(form.errors.get("rotation_period_days", ["Invalid."]))
            elif form.cleaned_data["enabled"]:
                kms(request, "EnableKeyRotation", KeyId=page.key_id,
                    RotationPeriodInDays=form.cleaned_data["rotation_period_days"] or 365)
            else:
                kms(request, "DisableKeyRotation", KeyId=page.key_id)
    except AwsError as error:
        errors["top"] = error.message or error.code
    return _after_change(request, page, "rotation", errors=errors)


@console_page
@require_POST
@_key_page_view
def revoke_grant(request, page: KeyPage):
    errors = {}
    try:
        kms(request, "RevokeGrant", KeyId=page.metadata["Arn"], GrantId=request.POST.get("grant_id", ""))
    except AwsError as error:
        errors["top"] = error.message or error.code
    return _after_change(request, page, "grants", errors=errors)


@console_page
@require_http_methods(["GET"])
@_key_page_view
def public_key_pem(request, page: KeyPage):
    try:
        public = kms(request, "GetPublicKey", KeyId=page.key_id)
    except AwsError as error:
        return HttpResponse(error.message, status=403, content_type="text/plain")
    response = HttpResponse(_pem(public["PublicKey"]), content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{page.metadata["KeyId"]}.pem"'
    return response


# ---- access explainer ----


@console_page
@require_http_methods(["GET"])
@_key_page_view
def explain(request, page: KeyPage):
    """The Access tab's question: may this principal do this action on this key, and why?"""
    form = key_forms.AccessQuestionForm(request.GET, principal_choices=_principal_choices(request))
    errors, answer = {}, None
    try:
        # Explaining access reveals the key policy: ask for exactly what reading it needs.
        kms(request, "GetKeyPolicy", KeyId=page.key_id, PolicyName="default")
    except AwsError as error:
        errors["top"] = error.message or error.code
    else:
        if form.is_valid():
            try:
                answer = explain_access(page.key_row(), form.cleaned_data["chosen_arn"],
                                        form.cleaned_data["action"], region=request.region,
                                        source_ip=_client_ip(request), operator=_operator_view(request))
            except BadQuestion as bad:
                errors[bad.field] = str(bad)
    return _render_key_page(request, page, "access", form=form, answer=answer, errors=errors)


def _operator_view(request) -> bool:
    """Django staff (operators, trainers) see every account's policies, unless they ask for the account view."""
    return bool(request.user.is_staff) and request.GET.get("as") != "account"


# ----------------------------------------------------------------------------------------------------------
# Use a key by ARN
# ----------------------------------------------------------------------------------------------------------

_USE_ACTIONS = {"Encrypt": "kms:Encrypt", "Decrypt": "kms:Decrypt", "GenerateDataKey": "kms:GenerateDataKey",
                "DescribeKey": "kms:DescribeKey"}


@console_page
@require_http_methods(["GET", "POST"])
def use_key(request):
    """Other accounts' keys never appear in the list; the console reaches them by key ARN or alias ARN.
    The plaintext typed here is used for this one response only: never stored, logged or echoed back."""
    if request.method == "GET":
        form = key_forms.UseKeyForm(initial={"key_id": request.GET.get("key", "")})
        return render(request, "keys/use_key.html", {"form": form})
    form = key_forms.UseKeyForm(request.POST)
    context = {"form": form, "result": None, "error": None, "own_iam": None}
    if form.is_valid():
        data = form.cleaned_data
        operation = data["operation"]
        try:
            context["result"] = _use(request, operation, data)
        except AwsError as error:
            context["error"] = {"code": error.code, "message": error.message}
            # Only a denial has something to explain, and the caller may see only its own IAM side.
            if error.code == "AccessDeniedException":
                context["own_iam"] = explain_own_iam(request.principal, _USE_ACTIONS[operation],
                                                     data["key_id"], region=request.region,
                                                     source_ip=_client_ip(request))
    # The form is shown again without the plaintext the person typed.
    context["form"] = key_forms.UseKeyForm(initial={"key_id": request.POST.get("key_id", ""),
                                                    "operation": request.POST.get("operation", "Encrypt")})
    context["form_errors"] = form.errors
    template = "keys/use_key.html#use_result" if request.htmx else "keys/use_key.html"
    return render(request, template, context)


def _use(request, operation: str, data: dict) -> dict:
    key_id = data["key_id"].strip()
    if operation == "Encrypt":
        out = kms(request, "Encrypt", KeyId=key_id, Plaintext=data["text"].encode("utf-8"))
        return {"KeyId": out["KeyId"], "Ciphertext (base64)": base64.b64encode(out["CiphertextBlob"]).decode(),
                "EncryptionAlgorithm": out.get("EncryptionAlgorithm")}
    if operation == "Decrypt":
        out = kms(request, "Decrypt", KeyId=key_id, CiphertextBlob=data["ciphertext_blob"])
        return {"KeyId": out["KeyId"], "Plaintext": out["Plaintext"].decode("utf-8", errors="replace"),
                "EncryptionAlgorithm": out.get("EncryptionAlgorithm")}
    if operation == "GenerateDataKey":
        out = kms(request, "GenerateDataKey", KeyId=key_id, KeySpec="AES_256")
        return {"KeyId": out["KeyId"],
                "Plaintext data key (base64)": base64.b64encode(out["Plaintext"]).decode(),
                "Encrypted data key (base64)": base64.b64encode(out["CiphertextBlob"]).decode()}
    metadata = kms(request, "DescribeKey", KeyId=key_id)["KeyMetadata"]
    return {name: metadata[name] for name in ("Arn", "AWSAccountId", "KeyState", "KeySpec", "KeyUsage",
                                              "Description", "CreationDate") if name in metadata}

