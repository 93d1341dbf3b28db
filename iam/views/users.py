"""IAM users in the console: the list, create user, and the user page with its tabs (Permissions, Groups,
Security credentials, Tags).

Every read and change is one IAM operation as the signed-in principal (iam.views.common.iam). Secrets
(a new access key's secret, a console password) exist only in the one response that shows them: never in
the session, a message, a log line or a cache (responses carrying one are no-store, and the panel that
shows it is kept out of htmx's history snapshots).
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from awsapi.errors import AwsError
from iam import forms as iam_forms
from iam.views.common import all_pages, console_page, iam
from iam.views.entity_pages import (Problem, change_permissions, choices_or_problem, go_to, group_choices, list_page,
                                    list_url, load_permissions, permission_forms, policy_choices, put_on_form)

TABS = [
    ("permissions", "Permissions"),
    ("groups", "Groups"),
    ("security_credentials", "Security credentials"),
    ("tags", "Tags"),
]
CREATE_FIELDS = {"UserName": "user_name", "Path": "path"}
PASSWORD_FIELDS = {"Password": "password", "PasswordResetRequired": "password_reset_required"}
TAG_FIELDS = {"Tags": "tag_key", "TagKeys": "tag_key"}
NO_STORE = "no-store"


# ----------------------------------------------------------------------------------------------------------
# Users list
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def user_list(request):
    query = request.GET.get("q", "").strip()
    page = list_page(request, "ListUsers", "Users", "UserName", query=query, marker=request.GET.get("marker"))
    context = {"query": query, "page": page, "marker": request.GET.get("marker"),
               "crumbs": [("IAM", None), ("Users", None)],
               "next_url": list_url("iam:user_list", query, page.next_marker) if page.next_marker else None,
               "first_url": list_url("iam:user_list", query, None)}
    template = "iam/users/list.html#user_table" if request.htmx else "iam/users/list.html"
    return render(request, template, context)


# ----------------------------------------------------------------------------------------------------------
# Create user: CreateUser, then each chosen extra as its own operation
# ----------------------------------------------------------------------------------------------------------


@console_page
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def create_user(request):
    groups, groups_problem = choices_or_problem(group_choices, request)
    policies, policies_problem = choices_or_problem(policy_choices, request)
    form = iam_forms.CreateUserForm(request.POST if request.method == "POST" else None, group_choices=groups,
                                    policy_choices=policies)
    context = {"form": form, "groups_problem": groups_problem, "policies_problem": policies_problem,
               "problem": None, "crumbs": [("IAM", None), ("Users", reverse("iam:user_list")), ("Create user", None)]}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            iam(request, "CreateUser", UserName=data["user_name"], Path=data["path"] or None)
        except AwsError as error:
            problem = Problem.of(error)
            if problem.access_denied:
                context["problem"] = problem
            else:
                put_on_form(form, problem, CREATE_FIELDS)
        else:
            return _after_create(request, form)
    status = 400 if request.method == "POST" and not request.htmx else 200
    template = "iam/users/create.html#create_form" if request.htmx else "iam/users/create.html"
    return render(request, template, context, status=status)


def _after_create(request, form):
    """The extras, each one operation; the result page says what was done and what failed, and shows the
    new credentials once. With nothing to show, straight to the user page."""
    data = form.cleaned_data
    name = data["user_name"]
    steps, credentials = [{"label": f"Create user {name} (CreateUser)", "problem": None}], {}

    def step(label, operation, **params):
        label = f"{label} ({operation})"
        try:
            answer = iam(request, operation, UserName=name, **params)
        except AwsError as error:
            steps.append({"label": label, "problem": Problem.of(error)})
            return None
        steps.append({"label": label, "problem": None})
        return answer

    if data["console_access"]:
        password = form.chosen_password()
        if step("Set console password", "CreateLoginProfile", Password=password,
                PasswordResetRequired=data["password_reset_required"]) is not None:
            credentials["password"] = password
    if data["access_key"]:
        created = step("Create access key", "CreateAccessKey")
        if created is not None:
            credentials["access_key"] = created["AccessKey"]
    for group in data["groups"]:
        step(f"Add to group {group}", "AddUserToGroup", GroupName=group)
    for arn in data["policies"]:
        step(f"Attach policy {arn.rsplit('/', 1)[-1]}", "AttachUserPolicy", PolicyArn=arn)

    user_url = reverse("iam:user_detail", args=[name])
    if not credentials and all(s["problem"] is None for s in steps):
        messages.success(request, f"User {name} created.")
        return go_to(request, user_url)
    context = {"user_name": name, "steps": steps, "user_url": user_url,
               "failed": any(s["problem"] for s in steps),
               "credentials": _credentials_view(request, name, credentials)}
    template = "iam/users/created.html#created" if request.htmx else "iam/users/created.html"
    response = render(request, template, context)
    response["Cache-Control"] = NO_STORE
    if request.htmx:
        # The result replaces the whole page body, and the address becomes the user page: reloading it
        # shows the user, never the secret again.
        response["HX-Retarget"] = "#create-page"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Push-Url"] = user_url
    return response


# ----------------------------------------------------------------------------------------------------------
# New credentials, shown once with the .csv AWS offers
# ----------------------------------------------------------------------------------------------------------


def _csv_href(header: list[str], row: list[str]) -> str:
    """A data: URL the browser downloads from the page itself: the file is never stored or served again."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(row)
    return "data:text/csv;charset=utf-8," + quote(text.getvalue())


def _sign_in_url(request) -> str:
    account = request.principal.account
    who = account.alias or request.principal.account_id
    return request.build_absolute_uri(f"{reverse('accounts:sign_in')}?{urlencode({'account': who})}")


def _credentials_view(request, user_name: str, credentials: dict) -> dict:
    """What the one-time credentials panel shows, with AWS's file names and columns:
    <user>_accessKeys.csv (Access key ID, Secret access key) and <user>_credentials.csv (User name,
    Password, Console sign-in URL)."""
    shown = {"user_name": user_name} if credentials else {}
    if "password" in credentials:
        url = _sign_in_url(request)
        shown["password"] = credentials["password"]
        shown["sign_in_url"] = url
        shown["password_csv"] = _csv_href(["User name", "Password", "Console sign-in URL"],
                                          [user_name, credentials["password"], url])
        shown["password_csv_name"] = f"{user_name}_credentials.csv"
    if "access_key" in credentials:
        key = credentials["access_key"]
        shown["access_key_id"] = key["AccessKeyId"]
        shown["secret_access_key"] = key["SecretAccessKey"]
        shown["access_key_csv"] = _csv_href(["Access key ID", "Secret access key"],
                                            [key["AccessKeyId"], key["SecretAccessKey"]])
        shown["access_key_csv_name"] = f"{user_name}_accessKeys.csv"
    return shown


# ----------------------------------------------------------------------------------------------------------
# The user page
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def user_detail(request, user_name: str):
    tab = request.GET.get("tab", "permissions")
    return _render_user(request, user_name, tab if tab in dict(TABS) else "permissions")


@console_page
@require_http_methods(["GET"])
def user_tab(request, user_name: str, tab: str):
    if tab not in dict(TABS):
        raise Http404("No such tab")
    return _render_user(request, user_name, tab, fragment="tabs")


def _render_user(request, user_name: str, tab: str, *, fragment: str | None = None, status: int = 200,
                 notice: str | None = None, problem: Problem | None = None, delete_form=None,
                 delete_problem: Problem | None = None, credentials: dict | None = None, **tab_context):
    """The whole page, or for htmx the page body (fragment "main") or the tabs (fragment "tabs")."""
    try:
        user = iam(request, "GetUser", UserName=user_name)["User"]
    except AwsError as error:
        unavailable = Problem.of(error)
        context = {"user_name": user_name, "problem": unavailable}
        template = "iam/users/unavailable.html#unavailable" if request.htmx else "iam/users/unavailable.html"
        code = 404 if unavailable.code == "NoSuchEntity" else 403
        return render(request, template, context, status=200 if request.htmx else code)
    name = user["UserName"]
    context = {
        "user": user, "tab": tab, "tabs": TABS, "tab_template": f"iam/users/tabs/{tab}.html",
        "notice": notice, "problem": problem, "credentials": credentials,
        "delete_form": delete_form or iam_forms.ConfirmDeletionForm(expected=name),
        "delete_problem": delete_problem,
        "crumbs": [("IAM", None), ("Users", reverse("iam:user_list")), (name, None)],
    }
    context.update(_TAB_LOADERS[tab](request, name, **tab_context))
    if request.htmx and fragment:
        template = f"iam/users/detail.html#{'user_main' if fragment == 'main' else 'user_tabs'}"
    else:
        template = "iam/users/detail.html"
    return render(request, template, context, status=status)


def _permissions_tab(request, user_name: str, *, attach_form=None, inline_form=None) -> dict:
    context = load_permissions(request, "user", user_name)
    context.update(permission_forms(request, attached=context["attached"], attach_form=attach_form,
                                    inline_form=inline_form))
    context["via_groups"], context["via_groups_problem"] = [], None
    try:
        for group in all_pages(request, "ListGroupsForUser", "Groups", UserName=user_name):
            group_name = group["GroupName"]
            for attached in all_pages(request, "ListAttachedGroupPolicies", "AttachedPolicies", GroupName=group_name):
                context["via_groups"].append({"name": attached["PolicyName"], "group": group_name,
                                              "type": _policy_type(attached["PolicyArn"])})
            for inline in all_pages(request, "ListGroupPolicies", "PolicyNames", GroupName=group_name):
                context["via_groups"].append({"name": inline, "type": "Inline", "group": group_name})
    except AwsError as error:
        context["via_groups_problem"] = Problem.of(error)
    return context


def _policy_type(arn: str) -> str:
    return "AWS managed" if arn.startswith("arn:aws:iam::aws:policy/") else "Customer managed"


def _groups_tab(request, user_name: str, *, group_form=None) -> dict:
    context = {"groups": [], "groups_problem": None}
    try:
        context["groups"] = all_pages(request, "ListGroupsForUser", "Groups", UserName=user_name)
    except AwsError as error:
        context["groups_problem"] = Problem.of(error)
    choices, context["group_choices_problem"] = choices_or_problem(
        group_choices, request, exclude=[g["GroupName"] for g in context["groups"]])
    group_form = group_form or iam_forms.GroupMembershipForm()
    group_form.fields["group_name"].choices = [("", "Choose a group")] + choices
    context["group_form"] = group_form
    return context


def _security_credentials_tab(request, user_name: str, *, password_form=None) -> dict:
    context = {"login_profile": None, "access_keys": [], "credentials_problem": None,
               "password_form": password_form or iam_forms.ConsolePasswordForm()}
    try:
        context["login_profile"] = iam(request, "GetLoginProfile", UserName=user_name)["LoginProfile"]
    except AwsError as error:
        if Problem.of(error).code != "NoSuchEntity":  # no login profile: no console password
            context["credentials_problem"] = Problem.of(error)
    try:
        for key in all_pages(request, "ListAccessKeys", "AccessKeyMetadata", UserName=user_name):
            used = iam(request, "GetAccessKeyLastUsed", AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            context["access_keys"].append({**key, "LastUsed": used})
    except AwsError as error:
        context["access_keys_problem"] = Problem.of(error)
    context["sign_in_url"] = _sign_in_url(request)
    return context


def _tags_tab(request, user_name: str, *, tag_form=None) -> dict:
    context = {"tags": [], "tags_problem": None, "tag_form": tag_form or iam_forms.TagForm()}
    try:
        context["tags"] = all_pages(request, "ListUserTags", "Tags", UserName=user_name)
    except AwsError as error:
        context["tags_problem"] = Problem.of(error)
    return context


_TAB_LOADERS = {
    "permissions": _permissions_tab,
    "groups": _groups_tab,
    "security_credentials": _security_credentials_tab,
    "tags": _tags_tab,
}


def _after_action(request, user_name: str, tab: str, *, notice=None, problem=None, forms=None,
                  credentials=None, **context):
    """Show the page again after a change: a redirect when it worked (no secret to show, no htmx), else
    the page body with the notice, the problem in place, or the forms with their errors."""
    forms = forms or {}
    failed = problem is not None or any(form.errors for form in forms.values()) or context.get("delete_problem")
    if not request.htmx and not failed and not credentials:
        if notice:
            messages.success(request, notice)
        return redirect(f"{reverse('iam:user_detail', args=[user_name])}?tab={tab}")
    status = 400 if failed and not request.htmx else 200  # htmx swaps only 2xx answers
    response = _render_user(request, user_name, tab, fragment="main", status=status, notice=notice, problem=problem,
                            credentials=credentials, **forms, **context)
    if credentials:
        response["Cache-Control"] = NO_STORE
    return response


# ----------------------------------------------------------------------------------------------------------
# Changes on the user page: each one IAM operation
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_POST
def delete_user(request, user_name: str):
    form = iam_forms.ConfirmDeletionForm(request.POST, expected=user_name)
    if form.is_valid():
        try:
            iam(request, "DeleteUser", UserName=user_name)
        except AwsError as error:
            return _after_action(request, user_name, request.POST.get("tab", "permissions"), delete_form=form,
                                 delete_problem=Problem.of(error))
        messages.success(request, f"User {user_name} deleted.")
        return go_to(request, reverse("iam:user_list"))
    return _after_action(request, user_name, request.POST.get("tab", "permissions"), forms={"delete_form": form})


@console_page
@require_POST
def user_permissions(request, user_name: str):
    outcome = change_permissions(request, "user", user_name)
    return _after_action(request, user_name, "permissions", notice=outcome.notice, problem=outcome.problem,
                         forms=outcome.forms)


@console_page
@require_POST
def user_groups(request, user_name: str):
    change = request.POST.get("change")
    if change == "add":
        form = iam_forms.GroupMembershipForm(request.POST, group_choices=[(request.POST.get("group_name", ""), "")])
        if not form.is_valid():
            return _after_action(request, user_name, "groups", forms={"group_form": form})
        group, operation, notice = form.cleaned_data["group_name"], "AddUserToGroup", "added to"
    elif change == "remove":
        group, operation, notice = request.POST.get("group_name", ""), "RemoveUserFromGroup", "removed from"
    else:
        raise Http404("No such change")
    try:
        iam(request, operation, GroupName=group, UserName=user_name)
    except AwsError as error:
        return _after_action(request, user_name, "groups", problem=Problem.of(error))
    return _after_action(request, user_name, "groups", notice=f"User {notice} group {group}.")


@console_page
@require_POST
def create_access_key(request, user_name: str):
    try:
        created = iam(request, "CreateAccessKey", UserName=user_name)["AccessKey"]
    except AwsError as error:
        return _after_action(request, user_name, "security_credentials", problem=Problem.of(error))
    return _after_action(request, user_name, "security_credentials", notice="Access key created.",
                         credentials=_credentials_view(request, user_name, {"access_key": created}))


@console_page
@require_POST
def access_key_action(request, user_name: str, access_key_id: str):
    action = request.POST.get("action")
    try:
        if action in ("Active", "Inactive"):
            iam(request, "UpdateAccessKey", UserName=user_name, AccessKeyId=access_key_id, Status=action)
            notice = f"Access key {access_key_id} {'activated' if action == 'Active' else 'deactivated'}."
        elif action == "delete":
            iam(request, "DeleteAccessKey", UserName=user_name, AccessKeyId=access_key_id)
            notice = f"Access key {access_key_id} deleted."
        else:
            raise Http404("No such access key action")
    except AwsError as error:
        return _after_action(request, user_name, "security_credentials", problem=Problem.of(error))
    return _after_action(request, user_name, "security_credentials", notice=notice)


@console_page
@sensitive_post_parameters("password")
@require_POST
def console_password(request, user_name: str):
    change = request.POST.get("change")
    tab = "security_credentials"
    if change == "delete":
        try:
            iam(request, "DeleteLoginProfile", UserName=user_name)
        except AwsError as error:
            return _after_action(request, user_name, tab, problem=Problem.of(error))
        return _after_action(request, user_name, tab, notice="Console access disabled: the password is removed.")
    if change not in ("create", "update"):
        raise Http404("No such change")
    form = iam_forms.ConsolePasswordForm(request.POST)
    if not form.is_valid():
        return _after_action(request, user_name, tab, forms={"password_form": form})
    password = form.chosen_password()
    operation = "CreateLoginProfile" if change == "create" else "UpdateLoginProfile"
    try:
        iam(request, operation, UserName=user_name, Password=password,
            PasswordResetRequired=form.cleaned_data["password_reset_required"])
    except AwsError as error:
        problem = Problem.of(error)
        if problem.access_denied:
            return _after_action(request, user_name, tab, problem=problem)
        put_on_form(form, problem, PASSWORD_FIELDS)
        return _after_action(request, user_name, tab, forms={"password_form": form})
    return _after_action(request, user_name, tab, notice="Console password set.",
                         credentials=_credentials_view(request, user_name, {"password": password}))


@console_page
@require_POST
def user_tags(request, user_name: str):
    if request.POST.get("remove"):
        try:
            iam(request, "UntagUser", UserName=user_name, TagKeys=[request.POST["remove"]])
        except AwsError as error:
            return _after_action(request, user_name, "tags", problem=Problem.of(error))
        return _after_action(request, user_name, "tags", notice="Tag removed.")
    form = iam_forms.TagForm(request.POST)
    if not form.is_valid():
        return _after_action(request, user_name, "tags", forms={"tag_form": form})
    try:
        iam(request, "TagUser", UserName=user_name,
            Tags=[{"Key": form.cleaned_data["tag_key"], "Value": form.cleaned_data["tag_value"]}])
    except AwsError as error:
        problem = Problem.of(error)
        if problem.access_denied:
            return _after_action(request, user_name, "tags", problem=problem)
        put_on_form(form, problem, TAG_FIELDS, default="tag_key")
        return _after_action(request, user_name, "tags", forms={"tag_form": form})
    return _after_action(request, user_name, "tags", notice="Tag added.")


urlpatterns = [
    path("users/", user_list, name="user_list"),
    path("users/create/", create_user, name="create_user"),
    path("users/<str:user_name>/", user_detail, name="user_detail"),
    path("users/<str:user_name>/tabs/<str:tab>/", user_tab, name="user_tab"),
    path("users/<str:user_name>/delete/", delete_user, name="delete_user"),
    path("users/<str:user_name>/permissions/", user_permissions, name="user_permissions"),
    path("users/<str:user_name>/groups/", user_groups, name="user_groups"),
    path("users/<str:user_name>/access-keys/", create_access_key, name="create_access_key"),
    path("users/<str:user_name>/access-keys/<str:access_key_id>/", access_key_action, name="access_key_action"),
    path("users/<str:user_name>/console-password/", console_password, name="console_password"),
    path("users/<str:user_name>/tags/", user_tags, name="user_tags"),
]
