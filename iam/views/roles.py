"""The console's IAM roles: the list, the create-role wizard and the role page (Permissions, Trust
relationships, Tags, the link to switch roles, delete).

Every read and change is one IAM operation as the signed-in principal (iam.views.common.iam); an operation's
error is shown in place, by the field it names.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from awsapi.errors import AwsError
from iam import forms as iam_forms
from iam import forms_policies
from iam.views import entity_pages
from iam.views.common import console_page, iam
from iam.views.entity_pages import Problem
from policies.validator import validate_policy

TABS = [("permissions", "Permissions"), ("trust", "Trust relationships"), ("tags", "Tags")]
WIZARD_STEPS = [(1, "Select trusted entity"), (2, "Add permissions"), (3, "Name, review, and create")]
# CreateRole's request members -> the wizard's fields.
CREATE_FIELDS = {"RoleName": "role_name", "Description": "description"}


def _client_redirect(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# ----------------------------------------------------------------------------------------------------------
# Roles list
# ----------------------------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET"])
def role_list(request):
    query = request.GET.get("q", "").strip()
    page = entity_pages.list_page(request, "ListRoles", "Roles", "RoleName", query=query,
                                  marker=request.GET.get("marker"))
    page.rows = [{**role, "trusted": trusted_entities(role.get("AssumeRolePolicyDocument"))} for role in page.rows]
    context = {"query": query, "page": page}
    template = "iam/roles/list.html#role_table" if request.htmx else "iam/roles/list.html"
    return render(request, template, context)


def trusted_entities(document) -> list[str]:
    """The list's "Trusted entities" column: who the trust policy's Allow statements name, as AWS words it."""
    try:
        policy = json.loads(document) if isinstance(document, str) else document or {}
        statements = policy.get("Statement", [])
    except (ValueError, AttributeError):
        return []
    entities = []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        for kind, values in principal.items():
            for value in values if isinstance(values, list) else [values]:
                entities.append(_trusted_label(kind, value))
    return list(dict.fromkeys(entities))


def _trusted_label(kind: str, value: str) -> str:
    if kind == "AWS" and value.endswith(":root"):
        return f"Account: {value.split(':')[4]}"
    if kind == "AWS" and value.isdigit():
        return f"Account: {value}"
    return f"{'AWS Service' if kind == 'Service' else kind}: {value}"


# ----------------------------------------------------------------------------------------------------------
# Create role: trusted entity -> permissions -> name and review; each step checked before the next
# ----------------------------------------------------------------------------------------------------------


class RoleWizard:
    """The three steps' forms, bound to what the browser sent so far (earlier steps travel as hidden fields)."""

    def __init__(self, request, data=None):
        own_account = request.principal.account_id
        self.trust = forms_policies.TrustedEntityForm(data, own_account=own_account, prefix="trust")
        self.permissions = forms_policies.RolePermissionsForm(data, prefix="permissions")
        self.details = forms_policies.RoleDetailsForm(data, prefix="details")

    def forms(self):
        return [self.trust, self.permissions, self.details]

    def valid_through(self, step: int) -> bool:
        """Whether steps 1..step are all valid (every form of those steps is checked, so all errors show)."""
        return all([form.is_valid() for form in self.forms()[:step]])

    def first_invalid_step(self, step: int) -> int | None:
        for number, form in enumerate(self.forms()[:step], start=1):
            if not form.is_valid():
                return number
        return None


@console_page
@require_http_methods(["GET", "POST"])
def create_role(request):
    if request.method == "GET":
        return _render_wizard(request, RoleWizard(request), step=1)
    wizard = RoleWizard(request, request.POST)
    step = _step(request.POST.get("step"))
    go = request.POST.get("go", "next")
    if go == "filter":
        return render(request, "iam/roles/create.html#policy_picker",
                      _picker_context(request, wizard, request.POST.get("policy_query", "")))
    if go == "back":
        return _render_wizard(request, wizard, step=max(1, step - 1), show_errors=False)
    if go == "create":
        invalid = wizard.first_invalid_step(3)
        if invalid is not None:
            return _render_wizard(request, wizard, step=invalid)
        return _create_role(request, wizard)
    if not wizard.valid_through(step):
        return _render_wizard(request, wizard, step=wizard.first_invalid_step(step))
    return _render_wizard(request, wizard, step=min(3, step + 1), show_errors=False)


def _step(value) -> int:
    try:
        return min(3, max(1, int(value)))
    except (TypeError, ValueError):
        return 1


def _render_wizard(request, wizard: RoleWizard, *, step: int, problem: Problem | None = None,
                   show_errors: bool = True):
    context = {"wizard": wizard, "step": step, "steps": WIZARD_STEPS, "problem": problem,
               "show_errors": show_errors}
    if step == 2:
        context.update(_picker_context(request, wizard, ""))
    if step == 3:
        context["trust_policy"] = json.dumps(wizard.trust.trust_policy(), indent=4)
        context["chosen_policies"] = [_policy_row(arn) for arn in wizard.permissions.cleaned_data["policy_arns"]]
    template = "iam/roles/create.html#wizard" if request.htmx else "iam/roles/create.html"
    return render(request, template, context, status=200 if request.htmx or problem is None else 400)


def _picker_context(request, wizard: RoleWizard, query: str) -> dict:
    """The policies step's table: what the filter matches, with the policies already chosen kept on top."""
    chosen = request.POST.getlist("permissions-policy_arns") if request.method == "POST" else []
    page = entity_pages.list_page(request, "ListPolicies", "Policies", "PolicyName", query=query.strip())
    rows = [_policy_row(arn) for arn in chosen]
    rows += [_policy_row(p["Arn"]) for p in page.rows if p["Arn"] not in chosen]
    return {"policy_rows": rows, "chosen": set(chosen), "policy_query": query, "picker_problem": page.problem,
            "picker_more": page.next_marker is not None}


def _policy_row(arn: str) -> dict:
    """What the pickers show of a managed policy: its name and type are in its ARN."""
    return {"Arn": arn, "PolicyName": arn.rsplit("/", 1)[-1],
            "type": "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "Customer managed"}


def _create_role(request, wizard: RoleWizard):
    details = wizard.details.cleaned_data
    try:
        role = iam(request, "CreateRole", RoleName=details["role_name"], Description=details["description"] or None,
                   AssumeRolePolicyDocument=json.dumps(wizard.trust.trust_policy(), indent=4))["Role"]
    except AwsError as error:
        problem = Problem.of(error)
        if not problem.access_denied:
            entity_pages.put_on_form(wizard.details, problem, CREATE_FIELDS)
            problem = None if entity_pages.form_field(problem, CREATE_FIELDS) != "__all__" else problem
        return _render_wizard(request, wizard, step=3, problem=problem)
    name = role["RoleName"]
    for arn in wizard.permissions.cleaned_data["policy_arns"]:
        try:
            iam(request, "AttachRolePolicy", RoleName=name, PolicyArn=arn)
        except AwsError as error:
            # The role exists now, as it does on AWS when an attachment fails: say so on its page.
            messages.error(request, f"Role {name} was created, but {arn} was not attached: {error.message}")
    if not messages.get_messages(request):
        messages.success(request, f"Role {name} created.")
    return _client_redirect(request, reverse("iam:role_detail", args=[name]))


# ----------------------------------------------------------------------------------------------------------
# The role page
# ----------------------------------------------------------------------------------------------------------


def switch_role_link(request, role: dict) -> str:
    """AWS's "Link to switch roles in console", on this console's /switchrole/ (it prefills account and
    roleName from the query, as signin.aws.amazon.com/switchrole does). A role's path is part of its name there."""
    account = role["Arn"].split(":")[4]
    role_name = role["Path"].lstrip("/") + role["RoleName"]
    return request.build_absolute_uri(reverse("accounts:switch_role")) + "?" + urlencode(
        {"roleName": role_name, "account": account})


def _load_role(request, name: str) -> dict:
    return iam(request, "GetRole", RoleName=name)["Role"]


@console_page
@require_http_methods(["GET"])
def role_detail(request, name: str):
    tab = request.GET.get("tab", "permissions")
    return _render_role(request, name, tab if tab in dict(TABS) else "permissions")


@console_page
@require_http_methods(["GET"])
def role_tab(request, name: str, tab: str):
    if tab not in dict(TABS):
        raise Http404("No such tab")
    return _render_role(request, name, tab, fragment="tabs")


def _render_role(request, name: str, tab: str, *, fragment: str = "page", notice: str | None = None,
                 problem: Problem | None = None, page_problem: Problem | None = None, **tab_context):
    """The role page, or for htmx the tabs ("tabs") or the whole page body ("page").

    `problem` is shown in the tab (a change made there), `page_problem` above the summary (delete)."""
    try:
        role = _load_role(request, name)
    except AwsError as error:
        status = 404 if error.status == 404 else 403
        return render(request, "iam/roles/unavailable.html", {"name": name, "problem": Problem.of(error)},
                      status=status)
    context = {"role": role, "name": role["RoleName"], "tab": tab, "tabs": TABS, "notice": notice,
               "problem": problem, "page_problem": page_problem, "switch_role_url": switch_role_link(request, role),
               "tab_template": f"iam/roles/tabs/{tab}.html", "delete_form": tab_context.pop("delete_form", None)}
    context.update(_TAB_LOADERS[tab](request, role, **tab_context))
    if request.htmx:
        template = "iam/roles/detail.html#tabbed" if fragment == "tabs" else "iam/roles/detail.html#role_main"
    else:
        template = "iam/roles/detail.html"
    return render(request, template, context)


def _permissions_tab(request, role: dict, **forms) -> dict:
    context = entity_pages.load_permissions(request, "role", role["RoleName"])
    context.update(entity_pages.permission_forms(request, attached=context["attached"], **forms))
    return context


def _trust_tab(request, role: dict, *, trust_text: str | None = None, findings=None, trust_error=None) -> dict:
    return {"trust_text": trust_text if trust_text is not None else
            entity_pages.pretty_document(role["AssumeRolePolicyDocument"]),
            "findings": findings, "trust_error": trust_error}


def _tags_tab(request, role: dict, *, tag_form=None, tags_problem=None) -> dict:
    context = {"tag_form": tag_form or iam_forms.TagForm(), "tags_problem": tags_problem, "tags": []}
    try:
        context["tags"] = iam(request, "ListRoleTags", RoleName=role["RoleName"], MaxItems=50)["Tags"]
    except AwsError as error:
        context["tags_problem"] = context["tags_problem"] or Problem.of(error)
    return context


_TAB_LOADERS = {"permissions": _permissions_tab, "trust": _trust_tab, "tags": _tags_tab}


# ---- changes ----


@console_page
@require_POST
def change_permissions(request, name: str):
    """Attach, detach, add inline, delete inline: one IAM operation each (the shared permissions panel)."""
    outcome = entity_pages.change_permissions(request, "role", name)
    return _render_role(request, name, "permissions", fragment="tabs", notice=outcome.notice,
                        problem=outcome.problem, **outcome.forms)


@console_page
@require_POST
def check_trust_policy(request, name: str):
    """"Check policy": the validator's findings for the editor's text, each with the line it is about."""
    text = request.POST.get("policy_document", "")
    findings = forms_policies.findings_by_line(text, validate_policy(text, "TRUST_POLICY"))
    return render(request, "iam/policies/_findings.html", {"findings": findings, "checked": True,
                                                           "findings_id": "trust-findings"})


@console_page
@require_POST
def update_trust_policy(request, name: str):
    text = request.POST.get("policy_document", "")
    try:
        iam(request, "UpdateAssumeRolePolicy", RoleName=name, PolicyDocument=text)
    except AwsError as error:
        findings = forms_policies.findings_by_line(text, validate_policy(text, "TRUST_POLICY"))
        return _render_role(request, name, "trust", fragment="tabs", trust_text=text, findings=findings,
                            trust_error=Problem.of(error))
    return _render_role(request, name, "trust", fragment="tabs", notice="Trust policy updated.")


@console_page
@require_POST
def change_tags(request, name: str):
    if request.POST.get("remove"):
        try:
            iam(request, "UntagRole", RoleName=name, TagKeys=[request.POST["remove"]])
        except AwsError as error:
            return _render_role(request, name, "tags", fragment="tabs", tags_problem=Problem.of(error))
        return _render_role(request, name, "tags", fragment="tabs", notice="Tag removed.")
    form = iam_forms.TagForm(request.POST)
    if not form.is_valid():
        return _render_role(request, name, "tags", fragment="tabs", tag_form=form)
    try:
        iam(request, "TagRole", RoleName=name,
            Tags=[{"Key": form.cleaned_data["tag_key"], "Value": form.cleaned_data["tag_value"]}])
    except AwsError as error:
        problem = Problem.of(error)
        if problem.access_denied:
            return _render_role(request, name, "tags", fragment="tabs", tag_form=form, tags_problem=problem)
        entity_pages.put_on_form(form, problem, {"Tags": "tag_key"})
        return _render_role(request, name, "tags", fragment="tabs", tag_form=form)
    return _render_role(request, name, "tags", fragment="tabs", notice="Tag added.")


@console_page
@require_POST
def delete_role(request, name: str):
    """DeleteRole as it is: a role with policies is refused with IAM's DeleteConflict, shown on the page."""
    form = iam_forms.ConfirmDeletionForm(request.POST, expected=name)
    if not form.is_valid():
        return _render_role(request, name, request.POST.get("tab", "permissions"), delete_form=form)
    try:
        iam(request, "DeleteRole", RoleName=name)
    except AwsError as error:
        return _render_role(request, name, request.POST.get("tab", "permissions"), page_problem=Problem.of(error))
    messages.success(request, f"Role {name} deleted.")
    return _client_redirect(request, reverse("iam:role_list"))


urlpatterns = [
    path("roles/", role_list, name="role_list"),
    path("roles/create/", create_role, name="role_create"),
    path("roles/<str:name>/", role_detail, name="role_detail"),
    path("roles/<str:name>/tab/<str:tab>/", role_tab, name="role_tab"),
    path("roles/<str:name>/permissions/", change_permissions, name="role_permissions"),
    path("roles/<str:name>/trust/check/", check_trust_policy, name="role_trust_check"),
    path("roles/<str:name>/trust/", update_trust_policy, name="role_trust_update"),
    path("roles/<str:name>/tags/", change_tags, name="role_tags"),
    path("roles/<str:name>/delete/", delete_role, name="role_delete"),
]
