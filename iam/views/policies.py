"""The console's IAM policies: the list (customer managed and AWS managed), create policy (JSON editor with the
validator's findings by line, and the KMS key usage helper) and the policy page (summary, the default version's
JSON, versions with compare, entities attached).

Every read and change is one IAM operation as the signed-in principal (iam.views.common.iam). A policy is
addressed as /iam/policies/<name>/ when it is the account's own at path "/", else by its ARN.
"""

from __future__ import annotations

import difflib

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from awsapi.errors import AwsError
from iam import forms as iam_forms
from iam import forms_policies, kms_policy_helper
from iam.views import entity_pages
from iam.views.common import all_pages, console_page, iam
from iam.views.entity_pages import Problem
from policies.validator import validate_policy

TYPE_FILTERS = [("", "All types", "All"), ("local", "Customer managed", "Local"), ("aws", "AWS managed", "AWS")]
TABS = [("permissions", "Permissions"), ("entities", "Entities attached"), ("versions", "Policy versions")]
CREATE_FIELDS = {"PolicyName": "policy_name", "PolicyDocument": "policy_document", "Description": "description"}
AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


def policy_ref(arn: str, account: str) -> str:
    """How the console's URLs name a policy: the name for the account's own at path "/", else the ARN."""
    own = f"arn:aws:iam::{account}:policy/"
    name = arn[len(own):]
    return name if arn.startswith(own) and "/" not in name else arn


def policy_arn(ref: str, account: str) -> str:
    return ref if ref.startswith("arn:") else f"arn:aws:iam::{account}:policy/{ref}"


def policy_url(arn: str, account: str) -> str:
    return reverse("iam:policy_detail", args=[policy_ref(arn, account)])


def policy_type(arn: str) -> str:
    return "AWS managed" if arn.startswith(AWS_MANAGED_PREFIX) else "Customer managed"


def _pretty(document) -> str:
    return entity_pages.pretty_document(document)


# ----------------------------------------------------------------------------------------------------------
# Policies list
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def policy_list(request):
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("type", "")
    scope = next((scope for value, _, scope in TYPE_FILTERS if value == kind), "All")
    page = entity_pages.list_page(request, "ListPolicies", "Policies", "PolicyName", query=query,
                                  marker=request.GET.get("marker"), Scope=scope)
    account = request.principal.account_id
    rows = [{**policy, "url": policy_url(policy["Arn"], account), "type": policy_type(policy["Arn"])}
            for policy in page.rows]
    context = {"query": query, "type": kind, "type_filters": TYPE_FILTERS, "page": page, "rows": rows}
    template = "iam/policies/list.html#policy_table" if request.htmx else "iam/policies/list.html"
    return render(request, template, context)


# ----------------------------------------------------------------------------------------------------------
# Create policy
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET", "POST"])
def create_policy(request):
    if request.method == "GET":
        form = forms_policies.CreatePolicyForm(initial={"policy_document": forms_policies.STARTER_POLICY})
        return _render_create(request, form, forms_policies.KmsKeyUsageForm())
    go = request.POST.get("go", "create")
    text = request.POST.get("policy_document", "")
    if go == "check" and request.htmx:
        return _render_findings(request, text, "IDENTITY_POLICY", "policy-findings")
    if go == "kms":
        return _run_kms_helper(request, text)
    form = forms_policies.CreatePolicyForm(request.POST)
    helper = forms_policies.KmsKeyUsageForm(initial={"key_arns": request.POST.get("key_arns", ""),
                                                     "kms_actions": request.POST.getlist("kms_actions")})
    if go == "check":  # without JavaScript: the whole page, with the findings
        return _render_create(request, form, helper, findings=_findings(request, text, "IDENTITY_POLICY"))
    if not form.is_valid():
        return _render_create(request, form, helper)
    data = form.cleaned_data
    try:
        created = iam(request, "CreatePolicy", PolicyName=data["policy_name"], PolicyDocument=data["policy_document"],
                      Description=data["description"] or None)["Policy"]
    except AwsError as error:
        problem = Problem.of(error)
        if not problem.access_denied:
            entity_pages.put_on_form(form, problem, CREATE_FIELDS)
            problem = None
        return _render_create(request, form, helper, problem=problem, findings=_findings(request, text, "IDENTITY_POLICY"))
    messages.success(request, f"Policy {created['PolicyName']} created.")
    url = policy_url(created["Arn"], request.principal.account_id)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _run_kms_helper(request, text: str):
    """The KMS key usage helper: write the guide's statements for the chosen actions and keys into the editor."""
    helper = forms_policies.KmsKeyUsageForm(request.POST)
    form = forms_policies.CreatePolicyForm(initial={
        "policy_document": text, "policy_name": request.POST.get("policy_name", ""),
        "description": request.POST.get("description", "")})
    notice = None
    if helper.is_valid():
        try:
            form.initial["policy_document"] = kms_policy_helper.add_statements(text, helper.statements())
            notice = "The KMS key usage statements are in the policy editor."
        except kms_policy_helper.EditorTextError as error:
            helper.add_error(None, str(error))
    return _render_create(request, form, helper, notice=notice)


def _render_create(request, form, helper, *, problem: Problem | None = None, findings=None, notice=None):
    context = {"form": form, "helper": helper, "problem": problem, "findings": findings, "notice": notice}
    template = "iam/policies/create.html#create_form" if request.htmx else "iam/policies/create.html"
    return render(request, template, context)


def _findings(request, text: str, policy_type: str) -> list[dict]:
    # The policy's own account lets the validator flag KMS actions that never work on other accounts' keys.
    account = request.principal.account_id if policy_type == "IDENTITY_POLICY" else None
    return forms_policies.findings_by_line(text, validate_policy(text, policy_type, policy_account=account))


def _render_findings(request, text: str, policy_type: str, findings_id: str):
    return render(request, "iam/policies/_findings.html",
                  {"findings": _findings(request, text, policy_type), "checked": True, "findings_id": findings_id})


# ----------------------------------------------------------------------------------------------------------
# The policy page
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET", "POST"])
def policy_detail(request, ref: str):
    arn = policy_arn(ref, request.principal.account_id)
    if request.method == "POST":
        change = _CHANGES.get(request.POST.get("change", ""))
        if change is None:
            raise Http404("No such policy change")
        return change(request, arn)
    tab = request.GET.get("tab", "permissions")
    tab = tab if tab in dict(TABS) else "permissions"
    return _render_policy(request, arn, tab, fragment="tabs" if request.GET.get("fragment") == "tabs" else "page")


def _render_policy(request, arn: str, tab: str, *, fragment: str = "page", notice: str | None = None,
                   problem: Problem | None = None, delete_form=None, **tab_context):
    try:
        policy = iam(request, "GetPolicy", PolicyArn=arn)["Policy"]
        default = iam(request, "GetPolicyVersion", PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    except AwsError as error:
        status = 404 if error.status == 404 else 403
        return render(request, "iam/policies/unavailable.html", {"arn": arn, "problem": Problem.of(error)},
                      status=status)
    account = request.principal.account_id
    context = {"policy": policy, "arn": arn, "url": policy_url(arn, account), "type": policy_type(arn),
               "aws_managed": arn.startswith(AWS_MANAGED_PREFIX), "document": _pretty(default["PolicyVersion"]["Document"]),
               "tab": tab, "tabs": TABS, "tab_template": f"iam/policies/tabs/{tab}.html", "notice": notice,
               "problem": problem, "delete_form": delete_form}
    context.update(_TAB_LOADERS[tab](request, arn, context, **tab_context))
    if request.htmx:
        template = "iam/policies/detail.html#tabbed" if fragment == "tabs" else "iam/policies/detail.html#policy_main"
    else:
        template = "iam/policies/detail.html"
    return render(request, template, context)


def _permissions_tab(request, arn: str, context: dict) -> dict:
    return {}


def _entities_tab(request, arn: str, context: dict, *, attach_form=None, entities_problem=None) -> dict:
    loaded = {"entities": [], "entities_problem": entities_problem}
    try:
        answer = {"PolicyRoles": [], "PolicyUsers": [], "PolicyGroups": []}
        marker = None
        while True:
            page = iam(request, "ListEntitiesForPolicy", PolicyArn=arn, Marker=marker)
            for members in answer:
                answer[members] += page.get(members, [])
            if not page.get("IsTruncated"):
                break
            marker = page["Marker"]
    except AwsError as error:
        loaded["entities_problem"] = entities_problem or Problem.of(error)
    else:
        loaded["entities"] = ([("role", "Role", r["RoleName"]) for r in answer["PolicyRoles"]]
                              + [("user", "User", u["UserName"]) for u in answer["PolicyUsers"]]
                              + [("group", "User group", g["GroupName"]) for g in answer["PolicyGroups"]])
    attached = {f"{kind}:{name}" for kind, _, name in loaded["entities"]}
    choices, choices_problem = entity_pages.choices_or_problem(_entity_choices, request, exclude=attached)
    form = attach_form or forms_policies.AttachEntityForm()
    form.fields["entity"].choices = [("", "Choose an entity")] + choices
    loaded.update(attach_form=form, entity_choices_problem=choices_problem)
    return loaded


def _entity_choices(request, *, exclude=()) -> list:
    """The account's roles, users and groups for the attach picker, grouped as the select shows them."""
    groups = []
    for kind, label, operation, items, name_key in (
            ("role", "Roles", "ListRoles", "Roles", "RoleName"),
            ("user", "Users", "ListUsers", "Users", "UserName"),
            ("group", "User groups", "ListGroups", "Groups", "GroupName")):
        names = [entity[name_key] for entity in all_pages(request, operation, items, MaxItems=1000)]
        options = [(f"{kind}:{name}", name) for name in names if f"{kind}:{name}" not in exclude]
        if options:
            groups.append((label, options))
    return groups


def _versions_tab(request, arn: str, context: dict, *, version_form=None, version_findings=None,
                  versions_problem=None) -> dict:
    loaded = {"versions": [], "versions_problem": versions_problem, "version_findings": version_findings,
              "version_form": version_form or forms_policies.NewVersionForm(
                  initial={"policy_document": context["document"]}),
              "comparison": None}
    try:
        loaded["versions"] = all_pages(request, "ListPolicyVersions", "Versions", PolicyArn=arn)
    except AwsError as error:
        loaded["versions_problem"] = versions_problem or Problem.of(error)
    left, right = request.GET.get("compare"), request.GET.get("with")
    if left and right:
        loaded["comparison"] = _compare(request, arn, left, right)
    return loaded


_TAB_LOADERS = {"permissions": _permissions_tab, "entities": _entities_tab, "versions": _versions_tab}


# ---- compare two versions ----


def _compare(request, arn: str, left: str, right: str) -> dict:
    try:
        texts = [_pretty(iam(request, "GetPolicyVersion", PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
                 for version in (left, right)]
    except AwsError as error:
        return {"left": left, "right": right, "problem": Problem.of(error)}
    return {"left": left, "right": right, "rows": side_by_side(*texts), "same": texts[0] == texts[1]}


def side_by_side(left: str, right: str) -> list[dict]:
    """A line diff as rows of (left line number, left text, right line number, right text, kind)."""
    a, b = left.splitlines(), right.splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            rows.append({
                "kind": {"equal": "same", "replace": "changed", "delete": "removed", "insert": "added"}[tag],
                "left_no": i + 1 if i < i2 else None, "left": a[i] if i < i2 else "",
                "right_no": j + 1 if j < j2 else None, "right": b[j] if j < j2 else "",
            })
    return rows


# ---- changes: each one IAM operation, answered with the tab it was made on ----


def _after(request, arn: str, tab: str, **context):
    return _render_policy(request, arn, tab, fragment="tabs", **context)


def _set_default(request, arn: str):
    version = request.POST.get("version_id", "")
    try:
        iam(request, "SetDefaultPolicyVersion", PolicyArn=arn, VersionId=version)
    except AwsError as error:
        return _after(request, arn, "versions", versions_problem=Problem.of(error))
    return _after(request, arn, "versions", notice=f"Version {version} is the default version now.")


def _delete_version(request, arn: str):
    version = request.POST.get("version_id", "")
    try:
        iam(request, "DeletePolicyVersion", PolicyArn=arn, VersionId=version)
    except AwsError as error:
        return _after(request, arn, "versions", versions_problem=Problem.of(error))
    return _after(request, arn, "versions", notice=f"Version {version} deleted.")


def _create_version(request, arn: str):
    form = forms_policies.NewVersionForm(request.POST)
    if not form.is_valid():
        return _after(request, arn, "versions", version_form=form)
    text = form.cleaned_data["policy_document"]
    try:
        created = iam(request, "CreatePolicyVersion", PolicyArn=arn, PolicyDocument=text,
                      SetAsDefault=form.cleaned_data["set_as_default"])["PolicyVersion"]
    except AwsError as error:
        problem = Problem.of(error)
        if problem.member == "PolicyDocument":
            form.add_error("policy_document", problem.message)
            problem = None
        return _after(request, arn, "versions", version_form=form, versions_problem=problem,
                      version_findings=_findings(request, text, "IDENTITY_POLICY"))
    return _after(request, arn, "versions", notice=f"Version {created['VersionId']} created.")


def _check_version(request, arn: str):
    return _render_findings(request, request.POST.get("policy_document", ""), "IDENTITY_POLICY", "version-findings")


def _attach_or_detach(request, arn: str):
    change = "Attach" if request.POST.get("change") == "attach" else "Detach"
    form = forms_policies.AttachEntityForm(request.POST, entity_choices=[(request.POST.get("entity", ""), "")])
    if not form.is_valid():
        return _after(request, arn, "entities", attach_form=form)
    kind, name = form.kind_and_name()
    if kind not in forms_policies.ENTITY_KINDS:
        form.add_error("entity", "Choose a user, group or role.")
        return _after(request, arn, "entities", attach_form=form)
    operation, params = forms_policies.entity_change(kind, name, change)
    try:
        iam(request, operation, PolicyArn=arn, **params)
    except AwsError as error:
        problem = Problem.of(error)
        if change == "Attach" and not problem.access_denied:
            form.add_error("entity", problem.message)
            problem = None
        return _after(request, arn, "entities", attach_form=form if change == "Attach" else None,
                      entities_problem=problem)
    done = "attached to" if change == "Attach" else "detached from"
    return _after(request, arn, "entities", notice=f"Policy {done} {kind} {name}.")


def _delete_policy(request, arn: str):
    """DeletePolicy as it is: a policy still attached, or with other versions, gets IAM's DeleteConflict."""
    form = iam_forms.ConfirmDeletionForm(request.POST, expected=arn.rsplit("/", 1)[-1])
    if not form.is_valid():
        return _render_policy(request, arn, request.POST.get("tab", "permissions"), delete_form=form)
    try:
        iam(request, "DeletePolicy", PolicyArn=arn)
    except AwsError as error:
        return _render_policy(request, arn, request.POST.get("tab", "permissions"), problem=Problem.of(error))
    messages.success(request, f"Policy {arn.rsplit('/', 1)[-1]} deleted.")
    url = reverse("iam:policy_list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


_CHANGES = {
    "set-default": _set_default,
    "delete-version": _delete_version,
    "create-version": _create_version,
    "check-version": _check_version,
    "attach": _attach_or_detach,
    "detach": _attach_or_detach,
    "delete-policy": _delete_policy,
}


urlpatterns = [
    path("policies/", policy_list, name="policy_list"),
    path("policies/create/", create_policy, name="policy_create"),
    path("policies/<path:ref>/", policy_detail, name="policy_detail"),
]
