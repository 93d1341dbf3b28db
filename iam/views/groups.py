"""IAM user groups in the console: the list, create group, and the group page (Users, Permissions).

Every read and change is one IAM operation as the signed-in principal (iam.views.common.iam).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from awsapi.errors import AwsError
from iam import forms as iam_forms
from iam.views.common import console_page, iam
from iam.views.entity_pages import (Problem, change_permissions, choices_or_problem, go_to, list_page, list_url,
                                    load_permissions, permission_forms, policy_choices, put_on_form, user_choices)

TABS = [("users", "Users"), ("permissions", "Permissions")]
CREATE_FIELDS = {"GroupName": "group_name", "Path": "path"}


# ----------------------------------------------------------------------------------------------------------
# User groups list
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def group_list(request):
    query = request.GET.get("q", "").strip()
    page = list_page(request, "ListGroups", "Groups", "GroupName", query=query, marker=request.GET.get("marker"))
    context = {"query": query, "page": page, "marker": request.GET.get("marker"),
               "crumbs": [("IAM", None), ("User groups", None)],
               "next_url": list_url("iam:group_list", query, page.next_marker) if page.next_marker else None,
               "first_url": list_url("iam:group_list", query, None)}
    template = "iam/groups/list.html#group_table" if request.htmx else "iam/groups/list.html"
    return render(request, template, context)


# ----------------------------------------------------------------------------------------------------------
# Create group: CreateGroup, then AddUserToGroup and AttachGroupPolicy, each its own operation
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET", "POST"])
def create_group(request):
    users, users_problem = choices_or_problem(user_choices, request)
    policies, policies_problem = choices_or_problem(policy_choices, request)
    form = iam_forms.CreateGroupForm(request.POST if request.method == "POST" else None, user_choices=users,
                                     policy_choices=policies)
    context = {"form": form, "users_problem": users_problem, "policies_problem": policies_problem, "problem": None,
               "crumbs": [("IAM", None), ("User groups", reverse("iam:group_list")), ("Create user group", None)]}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            iam(request, "CreateGroup", GroupName=data["group_name"], Path=data["path"] or None)
        except AwsError as error:
            problem = Problem.of(error)
            if problem.access_denied:
                context["problem"] = problem
            else:
                put_on_form(form, problem, CREATE_FIELDS)
        else:
            return _after_create(request, data)
    status = 400 if request.method == "POST" and not request.htmx else 200
    template = "iam/groups/create.html#create_form" if request.htmx else "iam/groups/create.html"
    return render(request, template, context, status=status)


def _after_create(request, data: dict):
    name = data["group_name"]
    steps = []
    for user in data["users"]:
        steps.append(_step(request, f"Add user {user}", "AddUserToGroup", GroupName=name, UserName=user))
    for arn in data["policies"]:
        steps.append(_step(request, f"Attach policy {arn.rsplit('/', 1)[-1]}", "AttachGroupPolicy",
                           GroupName=name, PolicyArn=arn))
    group_url = reverse("iam:group_detail", args=[name])
    if all(s["problem"] is None for s in steps):
        messages.success(request, f"User group {name} created.")
        return go_to(request, group_url)
    steps.insert(0, {"label": f"Create user group {name} (CreateGroup)", "problem": None})
    context = {"group_name": name, "steps": steps, "group_url": group_url, "failed": True}
    template = "iam/groups/created.html#created" if request.htmx else "iam/groups/created.html"
    response = render(request, template, context)
    if request.htmx:
        response["HX-Retarget"] = "#create-page"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Push-Url"] = group_url
    return response


def _step(request, label: str, operation: str, **params) -> dict:
    label = f"{label} ({operation})"
    try:
        iam(request, operation, **params)
    except AwsError as error:
        return {"label": label, "problem": Problem.of(error)}
    return {"label": label, "problem": None}


# ----------------------------------------------------------------------------------------------------------
# The group page
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def group_detail(request, group_name: str):
    tab = request.GET.get("tab", "users")
    return _render_group(request, group_name, tab if tab in dict(TABS) else "users")


@console_page
@require_http_methods(["GET"])
def group_tab(request, group_name: str, tab: str):
    if tab not in dict(TABS):
        raise Http404("No such tab")
    return _render_group(request, group_name, tab, fragment="tabs")


def _render_group(request, group_name: str, tab: str, *, fragment: str | None = None, status: int = 200,
                  notice: str | None = None, problem: Problem | None = None, delete_form=None,
                  delete_problem: Problem | None = None, member_form=None, **tab_context):
    """GetGroup gives the group and its members; the Permissions tab reads its policies."""
    try:
        answer = iam(request, "GetGroup", GroupName=group_name, MaxItems=1000)
    except AwsError as error:
        unavailable = Problem.of(error)
        template = "iam/groups/unavailable.html#unavailable" if request.htmx else "iam/groups/unavailable.html"
        code = 404 if unavailable.code == "NoSuchEntity" else 403
        return render(request, template, {"group_name": group_name, "problem": unavailable},
                      status=200 if request.htmx else code)
    group, members = answer["Group"], answer.get("Users", [])
    name = group["GroupName"]
    context = {
        "group": group, "members": members, "tab": tab, "tabs": TABS,
        "tab_template": f"iam/groups/tabs/{tab}.html", "notice": notice, "problem": problem,
        "delete_form": delete_form or iam_forms.ConfirmDeletionForm(expected=name),
        "delete_problem": delete_problem,
        "crumbs": [("IAM", None), ("User groups", reverse("iam:group_list")), (name, None)],
    }
    if tab == "users":
        choices, context["user_choices_problem"] = choices_or_problem(
            user_choices, request, exclude=[m["UserName"] for m in members])
        member_form = member_form or iam_forms.GroupMemberForm()
        member_form.fields["user_name"].choices = [("", "Choose a user")] + choices
        context["member_form"] = member_form
    else:
        context.update(load_permissions(request, "group", name))
        context.update(permission_forms(request, attached=context["attached"], **tab_context))
    if request.htmx and fragment:
        template = f"iam/groups/detail.html#{'group_main' if fragment == 'main' else 'group_tabs'}"
    else:
        template = "iam/groups/detail.html"
    return render(request, template, context, status=status)


def _after_action(request, group_name: str, tab: str, *, notice=None, problem=None, forms=None, **context):
    forms = forms or {}
    failed = problem is not None or any(form.errors for form in forms.values()) or context.get("delete_problem")
    if not request.htmx and not failed:
        if notice:
            messages.success(request, notice)
        return redirect(f"{reverse('iam:group_detail', args=[group_name])}?tab={tab}")
    return _render_group(request, group_name, tab, fragment="main",
                         status=400 if failed and not request.htmx else 200,
                         notice=notice, problem=problem, **forms, **context)


# ----------------------------------------------------------------------------------------------------------
# Changes on the group page: each one IAM operation
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_POST
def delete_group(request, group_name: str):
    form = iam_forms.ConfirmDeletionForm(request.POST, expected=group_name)
    tab = request.POST.get("tab", "users")
    if not form.is_valid():
        return _after_action(request, group_name, tab, forms={"delete_form": form})
    try:
        iam(request, "DeleteGroup", GroupName=group_name)
    except AwsError as error:
        return _after_action(request, group_name, tab, delete_form=form, delete_problem=Problem.of(error))
    messages.success(request, f"User group {group_name} deleted.")
    return go_to(request, reverse("iam:group_list"))


@console_page
@require_POST
def group_members(request, group_name: str):
    change = request.POST.get("change")
    if change == "add":
        form = iam_forms.GroupMemberForm(request.POST, user_choices=[(request.POST.get("user_name", ""), "")])
        if not form.is_valid():
            return _after_action(request, group_name, "users", forms={"member_form": form})
        user, operation, notice = form.cleaned_data["user_name"], "AddUserToGroup", "added to"
    elif change == "remove":
        user, operation, notice = request.POST.get("user_name", ""), "RemoveUserFromGroup", "removed from"
    else:
        raise Http404("No such change")
    try:
        iam(request, operation, GroupName=group_name, UserName=user)
    except AwsError as error:
        return _after_action(request, group_name, "users", problem=Problem.of(error))
    return _after_action(request, group_name, "users", notice=f"User {user} {notice} the group.")


@console_page
@require_POST
def group_permissions(request, group_name: str):
    outcome = change_permissions(request, "group", group_name)
    return _after_action(request, group_name, "permissions", notice=outcome.notice, problem=outcome.problem,
                         forms=outcome.forms)


urlpatterns = [
    path("groups/", group_list, name="group_list"),
    path("groups/create/", create_group, name="create_group"),
    path("groups/<str:group_name>/", group_detail, name="group_detail"),
    path("groups/<str:group_name>/tabs/<str:tab>/", group_tab, name="group_tab"),
    path("groups/<str:group_name>/delete/", delete_group, name="delete_group"),
    path("groups/<str:group_name>/members/", group_members, name="group_members"),
    path("groups/<str:group_name>/permissions/", group_permissions, name="group_permissions"),
]
