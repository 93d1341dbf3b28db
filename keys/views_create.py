"""The create-key wizard, as the AWS console's five steps: configure, labels, administrators, usage
permissions, review.

Nothing is stored until Finish: every step's answers travel in the one form (the steps not shown as hidden
inputs), and each POST names the step to show next. Going forward validates every step before the one
asked for; going back validates nothing. Finish runs CreateKey (with the tags) and CreateAlias as the
signed-in principal, in that order, as the AWS console does.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Account
from awsapi.errors import AwsError
from keys import forms as key_forms
from keys.store import ADMINS_SID, aws_policy_text, console_key_policy
from keys.views import _all_pages, _principal_choices, console_page, kms

STEPS = [
    ("configure", "Configure key", key_forms.ConfigureStep),
    ("labels", "Add labels", key_forms.LabelsStep),
    ("administrators", "Define key administrative permissions", key_forms.AdministratorsStep),
    ("usage", "Define key usage permissions", key_forms.UsageStep),
    ("review", "Review", key_forms.ReviewStep),
]
STEP_NAMES = [name for name, _, _ in STEPS]
# Where CreateKey's complaint about a request member is shown.
_STEP_OF_MEMBER = {"KeySpec": ("configure", "key_spec"), "KeyUsage": ("configure", "key_usage"),
                   "Origin": ("configure", "origin"), "Description": ("labels", "description"),
                   "Tags": ("labels", "tags"), "AliasName": ("labels", "alias"), "Policy": ("review", "policy")}
# The console adds this to the administrators' statement of a key for imported key material (kms.md §4.3).
_IMPORT_ADMIN_ACTION = "kms:ImportKeyMaterial"


@console_page
@require_http_methods(["GET", "POST"])
def create_key(request):
    wizard = _Wizard(request)
    if request.method == "GET":
        return wizard.show("configure")
    # "step" names the step to show; "<step>:<action>" also acts on it (add an account row, reset the policy).
    target, _, wizard.action = request.POST.get("step", "configure").partition(":")
    if target == "finish":
        return wizard.finish()
    if target not in STEP_NAMES:
        target = "configure"
    failed = wizard.first_invalid_step_before(target)
    if failed:
        return wizard.show(failed, bound=True)
    return wizard.show(target)


class _Wizard:
    def __init__(self, request):
        self.request = request
        self.data = request.POST if request.method == "POST" else None
        self.principal_choices = _principal_choices(request)
        self.account_id = request.principal.account_id
        self._bound: dict[str, object] = {}
        self.notice = None
        self.action = ""

    # ---- the step forms ----

    def _form_kwargs(self, name: str) -> dict:
        if name in ("administrators", "usage"):
            kwargs = {"principal_choices": self.principal_choices}
            if name == "usage":
                kwargs.update(key_account=self.account_id, account_exists=_existing_accounts)
            return kwargs
        return {}

    def bound(self, name: str):
        """The step's form over the posted answers (validated once, kept)."""
        if name not in self._bound:
            form_class = _step_class(name)
            self._bound[name] = form_class(self.data, **self._form_kwargs(name))
        return self._bound[name]

    def valid(self, name: str) -> bool:
        form = self.bound(name)
        if not form.is_valid():
            return False
        if name == "labels":
            return self._alias_is_free(form)
        return True

    def _alias_is_free(self, form) -> bool:
        """The AWS console says a taken alias on the labels step, before anything is created."""
        alias = form.cleaned_data["alias"]
        try:
            taken = {a["AliasName"] for a in _all_pages(self.request, "ListAliases", "Aliases", Limit=100)}
        except AwsError:
            return True  # a principal that may not list aliases learns it from CreateAlias at Finish
        if alias in taken:
            form.add_error("alias", f"An alias with the name {alias} already exists in this account and Region.")
            return False
        return True

    def first_invalid_step_before(self, target: str) -> str | None:
        for name in STEP_NAMES[:STEP_NAMES.index(target)]:
            if not self.valid(name):
                return name
        return None

    def _display_form(self, name: str):
        """The step's form to show when arriving at it: the answers given so far, no messages yet."""
        form_class = _step_class(name)
        kwargs = self._form_kwargs(name)
        if self.data is None or f"seen_{name}" not in self.data:
            return form_class(None, **kwargs)
        initial = {}
        for field in form_class.fields_of_step:
            values = self.data.getlist(field)
            if field in ("administrators", "users"):
                initial[field] = values
            elif field == "allow_admin_deletion":
                initial[field] = bool(values)
            elif values:
                initial[field] = values[0]
        if name == "usage":
            form = form_class(None, initial=initial, **kwargs)
            form.account_rows = [v.strip() for v in self.data.getlist("other_account")]
            return form
        return form_class(initial=initial, **kwargs)

    # ---- pages ----

    def show(self, name: str, *, bound: bool = False):
        form = self.bound(name) if bound else self._display_form(name)
        context = {"steps": [(n, label) for n, label, _ in STEPS], "step": name,
                   "step_number": STEP_NAMES.index(name) + 1, "form": form,
                   "carried": self._carried(except_step=name), "notice": self.notice,
                   "step_template": f"keys/create/{name}.html"}
        if name == "configure":
            context.update(self._configure_choices(form))
        elif name == "usage":
            context["account_rows"] = self._account_rows(form)
        elif name == "review":
            context.update(self._review_context(form, bound))
        if self.request.htmx:
            return render(self.request, "keys/create/wizard.html#wizard", context)
        return render(self.request, "keys/create/wizard.html", context)

    def _carried(self, *, except_step: str) -> list[tuple[str, str]]:
        if self.data is None:
            return []
        pairs = []
        for name, _, form_class in STEPS:
            if name == except_step:
                continue
            if f"seen_{name}" in self.data:
                pairs.append((f"seen_{name}", "1"))
            for field in form_class.fields_of_step:
                pairs += [(field, value) for value in self.data.getlist(field)]
        return pairs

    def _configure_choices(self, form) -> dict:
        """Type, usage and spec as shown: a usage or spec the type no longer offers falls back to the first."""
        def value(field):
            return form.data.get(field) if form.is_bound else form.initial.get(field, form.fields[field].initial)

        key_type = value("key_type") if value("key_type") in key_forms.USAGES_BY_TYPE else "SYMMETRIC"
        usages = key_forms.USAGES_BY_TYPE[key_type]
        usage = value("key_usage") if value("key_usage") in usages else usages[0]
        specs = key_forms.key_specs_for(key_type, usage)
        spec = value("key_spec") if value("key_spec") in specs or form.is_bound else specs[0]
        origin = value("origin") if value("origin") in dict(key_forms.ORIGINS) else "AWS_KMS"
        if spec not in key_forms.IMPORTABLE_KEY_SPECS and not form.is_bound:
            origin = "AWS_KMS"  # External is not offered for this spec
        labels = dict(key_forms.KEY_USAGES)
        return {"key_type": key_type, "key_usage": usage, "key_spec": spec, "origin": origin,
                "key_types": key_forms.KEY_TYPES, "usages": [(u, labels[u]) for u in usages], "specs": specs,
                "origins": [(o, label, o == "AWS_KMS" or spec in key_forms.IMPORTABLE_KEY_SPECS)
                            for o, label in key_forms.ORIGINS]}

    def _account_rows(self, form) -> list[dict]:
        rows = [{"value": value, "error": form.account_errors.get(index) if form.is_bound else None}
                for index, value in enumerate(form.account_rows)]
        if self.action == "add-account":
            rows.append({"value": "", "error": None})
        elif self.action.startswith("remove-account-") and self.action[15:].isdigit():
            del rows[int(self.action[15:]):int(self.action[15:]) + 1]
        return rows

    # ---- review and finish ----

    def generated_policy(self) -> str:
        configure, admins, usage = (self.bound(n).cleaned_data for n in ("configure", "administrators", "usage"))
        text = console_key_policy(self.account_id, admins["administrators"], usage["users"],
                                  usage["other_accounts"], key_spec=configure["key_spec"],
                                  key_usage=configure["key_usage"],
                                  allow_admin_deletion=admins["allow_admin_deletion"])
        if configure["origin"] == "EXTERNAL":
            text = _with_import_action(text)
        return text

    def _review_context(self, form, bound: bool) -> dict:
        summary = {n: self.bound(n).cleaned_data for n in ("configure", "labels", "administrators", "usage")}
        if bound:
            return {"summary": summary}
        generated = self.generated_policy()
        posted, base = (key_forms.normalise_newlines(self.data.get(name)) if self.data is not None else None
                        for name in ("policy", "policy_base"))
        edited = posted is not None and base is not None and posted != base
        if self.action == "reset-policy":
            edited = False
        if edited and base != generated:
            self.notice = ("You edited the key policy, and the answers of the earlier steps have changed since: "
                           "your edited policy is kept as it is. Use “Reset to the generated policy” to start "
                           "again from the new answers.")
        text = posted if edited else generated
        form.initial.update(policy=text, policy_base=base if edited else generated)
        return {"summary": summary, "policy_edited": edited, "notice": self.notice}

    def finish(self):
        failed = self.first_invalid_step_before("review")
        if failed:
            return self.show(failed, bound=True)
        review = self.bound("review")
        if not review.is_valid():
            return self.show("review", bound=True)
        configure, labels = self.bound("configure").cleaned_data, self.bound("labels").cleaned_data
        try:
            created = kms(self.request, "CreateKey", Policy=review.cleaned_data["policy"],
                          Description=labels["description"] or None, KeySpec=configure["key_spec"],
                          KeyUsage=configure["key_usage"],
                          Origin=configure["origin"] if configure["origin"] != "AWS_KMS" else None,
                          Tags=labels["tags"] or None)
        except AwsError as error:
            # An error about no one field (AccessDeniedException...) is said at the top of the review.
            step, field = _STEP_OF_MEMBER.get(error.field or "", ("review", None))
            self.bound(step).add_error(field, error.message or error.code)
            return self.show(step, bound=True)
        key_id = created["KeyMetadata"]["KeyId"]
        try:
            kms(self.request, "CreateAlias", AliasName=labels["alias"], TargetKeyId=key_id)
        except AwsError as error:
            # The key exists now: say so on its page rather than offer a Finish that would make a second key.
            messages.error(self.request, f"The key {key_id} was created, but its alias {labels['alias']} was not: "
                                         f"{error.message or error.code} Add an alias on the Aliases tab.")
        else:
            messages.success(self.request, f"Your key {labels['alias']} ({key_id}) was created.")
        url = reverse("keys:key_detail", args=[key_id])
        return HttpResponseClientRedirect(url) if self.request.htmx else redirect(url)


def _step_class(name: str):
    return next(form_class for step, _, form_class in STEPS if step == name)


def _existing_accounts(account_ids: list[str]) -> set[str]:
    """Which of these accounts exist here: a key policy naming any other is refused by KMS as an invalid
    principal, so the usage step says it by the account's row."""
    return set(Account.objects.filter(id__in=account_ids).values_list("id", flat=True))


def _with_import_action(policy_text: str) -> str:
    document = json.loads(policy_text)
    for statement in document["Statement"]:
        if statement.get("Sid") == ADMINS_SID:
            statement["Action"].insert(statement["Action"].index("kms:UntagResource") + 1, _IMPORT_ADMIN_ACTION)
    return aws_policy_text(document)
