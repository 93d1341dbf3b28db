"""What the IAM entity pages share (users and user groups; generic enough for roles): errors as the page shows
them, list pages with a name filter and IsTruncated/Marker pagination, and the Permissions panel
(attached managed policies and inline policies) with its four changes.

Everything here reads and changes through iam.views.common.iam, as the signed-in principal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from awsapi.errors import AwsError
from iam import forms as iam_forms
from iam.views.common import all_pages, iam

# ----------------------------------------------------------------------------------------------------------
# Errors in place
# ----------------------------------------------------------------------------------------------------------

# ValidationException names the member in camelCase: "Value 'a b' at 'userName' failed to satisfy ...".
_VALIDATION_MEMBER = re.compile(r" at '([A-Za-z]+)[.']")


@dataclass(frozen=True)
class Problem:
    """An operation's error as the page shows it: AWS's code and message, and for AccessDenied the
    decision's explanation when there is one."""

    code: str
    message: str
    explanation: str = ""
    member: str | None = None  # the request member at fault

    @classmethod
    def of(cls, error: AwsError) -> "Problem":
        explanation = getattr(error.decision, "explanation", "") or ""
        member = error.field
        if member is None and error.code == "ValidationException":
            found = _VALIDATION_MEMBER.search(error.message or "")
            member = found and found.group(1)[:1].upper() + found.group(1)[1:]
        # IAM speaks the Query protocol: its codes are the ones the AWS CLI prints (AccessDenied, NoSuchEntity).
        code = error.query_code or error.code
        message = error.message or code
        return cls(code, message, "" if explanation == message else explanation, member)

    @property
    def access_denied(self) -> bool:
        return self.code in ("AccessDenied", "AccessDeniedException")


def form_field(problem: Problem, fields: dict[str, str], default: str = "__all__") -> str:
    """The page's form field for the request member the operation named."""
    return fields.get(problem.member or "", default)


def put_on_form(form, problem: Problem, fields: dict[str, str], default: str = "__all__") -> None:
    """Show the operation's message by the field it is about (or at the top of the form)."""
    name = form_field(problem, fields, default)
    form.add_error(None if name == "__all__" or name not in form.fields else name, problem.message)


def go_to(request, url: str):
    """After a change that leaves the page (create, delete): htmx follows a client redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# ----------------------------------------------------------------------------------------------------------
# List pages
# ----------------------------------------------------------------------------------------------------------

PAGE_SIZE = 50
# A filtered list reads at most this many pages of PAGE_SIZE before it offers to search on.
FILTER_SCAN_PAGES = 20


@dataclass
class ListPage:
    rows: list = field(default_factory=list)
    next_marker: str | None = None
    problem: Problem | None = None


def list_page(request, operation: str, items: str, name_key: str, *, query: str = "", marker: str | None = None,
              **params) -> ListPage:
    """One page of a List* operation, filtered by name (case-insensitive substring, as the AWS console's
    filter box). With a filter it reads on until a page's worth matched, so a page is never empty while
    more may match; the next marker resumes after the last page read."""
    page = ListPage()
    needle = query.lower()
    try:
        for _ in range(FILTER_SCAN_PAGES if needle else 1):
            answer = iam(request, operation, MaxItems=PAGE_SIZE, Marker=marker or None, **params)
            page.rows += [row for row in answer.get(items, []) if needle in row[name_key].lower()]
            marker = answer.get("Marker") if answer.get("IsTruncated") else None
            if marker is None or len(page.rows) >= PAGE_SIZE:
                break
    except AwsError as error:
        page.problem = Problem.of(error)
        return page
    page.next_marker = marker
    return page


def list_url(view_name: str, query: str, marker: str | None) -> str:
    params = {name: value for name, value in (("q", query), ("marker", marker)) if value}
    return f"{reverse(view_name)}?{urlencode(params)}" if params else reverse(view_name)


# ----------------------------------------------------------------------------------------------------------
# Choices for pickers (small lists: read to the end)
# ----------------------------------------------------------------------------------------------------------


def policy_choices(request, *, exclude=()) -> list[tuple[str, str]]:
    """Managed policies the principal may list: the account's own first, then AWS managed."""
    excluded = set(exclude)
    choices = []
    for scope, label in (("Local", "Customer managed"), ("AWS", "AWS managed")):
        for policy in all_pages(request, "ListPolicies", "Policies", Scope=scope, MaxItems=1000):
            if policy["Arn"] not in excluded:
                choices.append((policy["Arn"], f"{policy['PolicyName']} ({label})"))
    return choices


def group_choices(request, *, exclude=()) -> list[tuple[str, str]]:
    excluded = {name.lower() for name in exclude}
    return [(g["GroupName"], g["GroupName"]) for g in all_pages(request, "ListGroups", "Groups", MaxItems=1000)
            if g["GroupName"].lower() not in excluded]


def user_choices(request, *, exclude=()) -> list[tuple[str, str]]:
    excluded = {name.lower() for name in exclude}
    return [(u["UserName"], u["UserName"]) for u in all_pages(request, "ListUsers", "Users", MaxItems=1000)
            if u["UserName"].lower() not in excluded]


def choices_or_problem(load, request, **kwargs) -> tuple[list, Problem | None]:
    try:
        return load(request, **kwargs), None
    except AwsError as error:
        return [], Problem.of(error)


# ----------------------------------------------------------------------------------------------------------
# Permissions: attached managed policies and inline policies of a user, group or role
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyOperations:
    name_member: str
    list_attached: str
    attach: str
    detach: str
    list_inline: str
    get_inline: str
    put_inline: str
    delete_inline: str


POLICY_OPERATIONS = {
    kind: PolicyOperations(f"{noun}Name", f"ListAttached{noun}Policies", f"Attach{noun}Policy",
                           f"Detach{noun}Policy", f"List{noun}Policies", f"Get{noun}Policy", f"Put{noun}Policy",
                           f"Delete{noun}Policy")
    for kind, noun in (("user", "User"), ("group", "Group"), ("role", "Role"))
}

# Request members of the permission changes -> the panel's form fields.
PERMISSION_FIELDS = {"PolicyArn": "policy_arn", "PolicyName": "policy_name", "PolicyDocument": "policy_document"}


def pretty_document(document) -> str:
    """A policy document as the console shows it (operations return the JSON text; tolerate a dict)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    return json.dumps(document, indent=2)


def load_permissions(request, kind: str, name: str) -> dict:
    """{attached: [{PolicyName, PolicyArn}], inline: [{name, document}], problem}."""
    ops = POLICY_OPERATIONS[kind]
    entity = {ops.name_member: name}
    context = {"attached": [], "inline": [], "permissions_problem": None}
    try:
        context["attached"] = all_pages(request, ops.list_attached, "AttachedPolicies", **entity)
        for policy_name in all_pages(request, ops.list_inline, "PolicyNames", **entity):
            document = iam(request, ops.get_inline, PolicyName=policy_name, **entity)["PolicyDocument"]
            context["inline"].append({"name": policy_name, "document": pretty_document(document)})
    except AwsError as error:
        context["permissions_problem"] = Problem.of(error)
    return context


def permission_forms(request, *, attached: list, attach_form=None, inline_form=None) -> dict:
    """The panel's two forms: attach a managed policy (not attached yet), add an inline policy."""
    choices, problem = choices_or_problem(
        policy_choices, request, exclude=[p["PolicyArn"] for p in attached])
    attach_form = attach_form or iam_forms.AttachPolicyForm()
    attach_form.fields["policy_arn"].choices = [("", "Choose a policy")] + choices
    return {
        "attach_form": attach_form,
        "inline_form": inline_form or iam_forms.InlinePolicyForm(),
        "policy_choices_problem": problem,
    }


@dataclass
class ChangeOutcome:
    notice: str | None = None
    problem: Problem | None = None  # shown at the top of the panel
    forms: dict = field(default_factory=dict)  # forms to show again with their errors


def change_permissions(request, kind: str, name: str) -> ChangeOutcome:
    """One of attach, detach, put-inline, delete-inline from the POST: one IAM operation."""
    ops = POLICY_OPERATIONS[kind]
    entity = {ops.name_member: name}
    post = request.POST
    change = post.get("change", "")
    try:
        if change == "attach":
            form = iam_forms.AttachPolicyForm(post, policy_choices=[(post.get("policy_arn", ""), "")])
            if not form.is_valid():
                return ChangeOutcome(forms={"attach_form": form})
            try:
                iam(request, ops.attach, PolicyArn=form.cleaned_data["policy_arn"], **entity)
            except AwsError as error:
                return _on_form(error, "attach_form", form)
            return ChangeOutcome(notice="Policy attached.")
        if change == "detach":
            iam(request, ops.detach, PolicyArn=post.get("policy_arn", ""), **entity)
            return ChangeOutcome(notice="Policy detached.")
        if change == "put-inline":
            form = iam_forms.InlinePolicyForm(post)
            if not form.is_valid():
                return ChangeOutcome(forms={"inline_form": form})
            try:
                iam(request, ops.put_inline, PolicyName=form.cleaned_data["policy_name"],
                    PolicyDocument=form.cleaned_data["policy_document"], **entity)
            except AwsError as error:
                return _on_form(error, "inline_form", form)
            return ChangeOutcome(notice=f"Inline policy {form.cleaned_data['policy_name']} saved.")
        if change == "delete-inline":
            iam(request, ops.delete_inline, PolicyName=post.get("policy_name", ""), **entity)
            return ChangeOutcome(notice="Inline policy deleted.")
    except AwsError as error:
        return ChangeOutcome(problem=Problem.of(error))
    return ChangeOutcome(problem=Problem("InvalidInput", "Choose a change to make."))


def _on_form(error: AwsError, form_name: str, form) -> ChangeOutcome:
    problem = Problem.of(error)
    if problem.access_denied:
        # The decision's explanation does not fit by a field: show it at the top of the panel.
        return ChangeOutcome(problem=problem, forms={form_name: form})
    put_on_form(form, problem, PERMISSION_FIELDS)
    return ChangeOutcome(forms={form_name: form})
