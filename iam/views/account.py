"""The account page of the IAM console: the account id, its alias and the sign-in URL that uses it.

AWS allows exactly one alias per account, and CreateAccountAlias replaces the current one, so the
console's "Edit" is one CreateAccountAlias and "Delete" one DeleteAccountAlias. These forms post without
htmx: the top bar shows the alias too, so the whole page is drawn again after a change.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from awsapi.errors import AwsError
from iam import forms as iam_forms
from iam.views.common import console_page, iam
from iam.views.entity_pages import Problem, put_on_form

ALIAS_FIELDS = {"AccountAlias": "account_alias"}


@console_page
@require_http_methods(["GET"])
def account(request):
    return _render_account(request)


def _render_account(request, *, alias_form=None, problem: Problem | None = None, status: int = 200):
    account_id = request.principal.account_id
    context = {"account_id": account_id, "alias": None, "aliases_problem": None, "problem": problem,
               "crumbs": [("IAM", None), ("Account", None)]}
    try:
        aliases = iam(request, "ListAccountAliases").get("AccountAliases", [])
    except AwsError as error:
        context["aliases_problem"] = Problem.of(error)
    else:
        context["alias"] = aliases[0] if aliases else None
    context["alias_form"] = alias_form or iam_forms.AccountAliasForm(initial={"account_alias": context["alias"] or ""})
    context["sign_in_url"] = request.build_absolute_uri(
        f"{reverse('accounts:sign_in')}?{urlencode({'account': context['alias'] or account_id})}")
    return render(request, "iam/account/account.html", context, status=status)


@console_page
@require_POST
def save_alias(request):
    form = iam_forms.AccountAliasForm(request.POST)
    if not form.is_valid():
        return _render_account(request, alias_form=form, status=400)
    alias = form.cleaned_data["account_alias"]
    try:
        iam(request, "CreateAccountAlias", AccountAlias=alias)
    except AwsError as error:
        problem = Problem.of(error)
        if problem.access_denied:
            return _render_account(request, alias_form=form, problem=problem, status=403)
        put_on_form(form, problem, ALIAS_FIELDS)
        return _render_account(request, alias_form=form, status=400)
    messages.success(request, f"The account alias is now {alias}.")
    return redirect(reverse("iam:account"))


@console_page
@require_POST
def delete_alias(request):
    alias = request.POST.get("account_alias", "")
    try:
        iam(request, "DeleteAccountAlias", AccountAlias=alias)
    except AwsError as error:
        problem = Problem.of(error)
        return _render_account(request, problem=problem, status=403 if problem.access_denied else 400)
    messages.success(request, f"The account alias {alias} is deleted.")
    return redirect(reverse("iam:account"))


urlpatterns = [
    path("account/", account, name="account"),
    path("account/alias/", save_alias, name="save_alias"),
    path("account/alias/delete/", delete_alias, name="delete_alias"),
]
