"""Aliases in the console: the Aliases page of the account and Region (create, change the target key,
delete) and a key's Aliases tab (add, delete).

Each change is one KMS operation (CreateAlias, UpdateAlias, DeleteAlias) as the signed-in principal; KMS
judges the name and the key, and its error is shown by the field it is about, with nothing changed.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from awsapi.errors import AwsError
from keys import forms as key_forms
from keys.views import KeyPage, _after_change, _all_pages, _key_page_view, console_page, kms


def _error_field(error: AwsError) -> str:
    """The form field an alias operation's error is about: the target key, the alias name, or neither."""
    message = error.message or ""
    if error.code == "AccessDeniedException":
        return "top"
    if error.field == "TargetKeyId" or "targetKeyId" in message:
        return "target_key_id"
    if error.code == "NotFoundException" and not message.startswith("Alias "):
        return "target_key_id"  # resolving the key failed ("Invalid keyId ...")
    return "alias_name"


# ----------------------------------------------------------------------------------------------------------
# The Aliases page
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def alias_list(request):
    return _render_alias_list(request)


def _render_alias_list(request, *, errors: dict | None = None, row_errors: dict | None = None,
                       create_form=None, notice: str | None = None):
    """The page, or for htmx its main part. errors: the create form's; row_errors: {alias name: {field: msg}}."""
    failed = bool(errors or row_errors)
    context = {"errors": errors or {}, "notice": notice, "list_error": None,
               "create_form": create_form or key_forms.AliasForm(), "rows": [], "page_errors": [],
               "aws_managed_count": 0, "key_choices": []}
    try:
        aliases = _all_pages(request, "ListAliases", "Aliases", Limit=100)
        keys = _all_pages(request, "ListKeys", "Keys", Limit=1000)
    except AwsError as error:
        context["list_error"] = error.message or error.code
    else:
        names_by_key: dict[str, list[str]] = {}
        for alias in aliases:
            if alias.get("TargetKeyId"):
                names_by_key.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
        row_errors = dict(row_errors or {})
        rows = [_row(alias, row_errors.pop(alias["AliasName"], {})) for alias in aliases]
        # AWS lists its managed aliases too; only AWS changes them, so they are counted, not listed.
        context["rows"] = [row for row in rows if not row["aws_managed"]]
        context["aws_managed_count"] = len(rows) - len(context["rows"])
        # An error about an alias no longer listed (deleted meanwhile) is shown above the table.
        context["page_errors"] = [message for messages in row_errors.values() for message in messages.values()]
        context["key_choices"] = [(k["KeyId"], ", ".join(names_by_key.get(k["KeyId"], []))) for k in keys]
    if request.htmx:
        return render(request, "keys/aliases/alias_list.html#aliases_main", context)
    return render(request, "keys/aliases/alias_list.html", context, status=400 if failed else 200)


def _row(alias: dict, errors: dict) -> dict:
    return {"name": alias["AliasName"], "arn": alias["AliasArn"], "target": alias.get("TargetKeyId"),
            "updated": alias.get("LastUpdatedDate") or alias.get("CreationDate"), "errors": errors,
            "aws_managed": alias["AliasName"].startswith("alias/aws/")}


def _after_alias_change(request, *, notice: str, **failure):
    if any(failure.values()):
        return _render_alias_list(request, **failure)
    if not request.htmx:
        return redirect("keys:alias_list")
    return _render_alias_list(request, notice=notice)


@console_page
@require_POST
def create_alias(request):
    form = key_forms.AliasForm(request.POST)
    errors = {}
    if form.is_valid():
        name, target = form.cleaned_data["alias_name"], form.cleaned_data["target_key_id"]
        try:
            kms(request, "CreateAlias", AliasName=name, TargetKeyId=target)
        except AwsError as error:
            errors[_error_field(error)] = error.message or error.code
        else:
            return _after_alias_change(request, notice=f"Alias {name} now points to key {target}.")
    else:
        errors = {field: messages[0] for field, messages in form.errors.items()}
    return _render_alias_list(request, errors=errors, create_form=form)


@console_page
@require_POST
def update_alias(request):
    """Retarget: UpdateAlias keeps the name and points it at another key of the same type and usage."""
    form = key_forms.UpdateAliasForm(request.POST)
    name = request.POST.get("alias_name", "")
    if not form.is_valid():
        return _render_alias_list(request, row_errors={name: {f: m[0] for f, m in form.errors.items()}})
    target = form.cleaned_data["target_key_id"]
    try:
        kms(request, "UpdateAlias", AliasName=name, TargetKeyId=target)
    except AwsError as error:
        return _render_alias_list(request, row_errors={name: {_error_field(error): error.message or error.code}})
    return _after_alias_change(request, notice=f"Alias {name} now points to key {target}.")


@console_page
@require_POST
def delete_alias(request):
    name = request.POST.get("alias_name", "")
    try:
        kms(request, "DeleteAlias", AliasName=name)
    except AwsError as error:
        return _render_alias_list(request, row_errors={name: {"top": error.message or error.code}})
    return _after_alias_change(request, notice=f"Alias {name} is deleted.")


# ----------------------------------------------------------------------------------------------------------
# The key page's Aliases tab
# ----------------------------------------------------------------------------------------------------------


def aliases_tab_context(request, page: KeyPage, *, errors: dict | None = None, alias_value: str = "", **_) -> dict:
    """What templates/keys/tabs/aliases.html shows: the key's aliases (already listed by the key page) and
    the add form, offered only on a key of the signed-in account (an alias lives in the key's account)."""
    return {"aliases": page.aliases, "errors": errors or {}, "alias_value": alias_value,
            "can_add_alias": page.own_key}


@console_page
@require_POST
@_key_page_view
def add_key_alias(request, page: KeyPage):
    form = key_forms.AliasForm(request.POST, target_required=False)
    errors, notice = {}, None
    if form.is_valid():
        name = form.cleaned_data["alias_name"]
        try:
            kms(request, "CreateAlias", AliasName=name, TargetKeyId=page.metadata["KeyId"])
        except AwsError as error:
            field = _error_field(error)
            errors["top" if field == "target_key_id" else field] = error.message or error.code
        else:
            notice = f"Alias {name} added."
    else:
        errors = {"alias_name": form.errors["alias_name"][0]}
    return _after_change(request, page, "aliases", fragment="main", errors=errors, notice=notice,
                         alias_value=request.POST.get("alias_name", "") if errors else "")


@console_page
@require_POST
@_key_page_view
def delete_key_alias(request, page: KeyPage):
    name = request.POST.get("alias_name", "")
    errors, notice = {}, None
    # Only this key's aliases are deleted from its page, whatever the form says.
    if name not in {alias["AliasName"] for alias in page.aliases}:
        errors["top"] = f"{name or 'That alias'} is not an alias of this key."
    else:
        try:
            kms(request, "DeleteAlias", AliasName=name)
        except AwsError as error:
            errors["top"] = error.message or error.code
        else:
            notice = f"Alias {name} deleted."
    return _after_change(request, page, "aliases", fragment="main", errors=errors, notice=notice)

