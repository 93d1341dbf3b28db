"""Forms of the role and policy pages, and the policy editor's findings by line.

The forms check only what the AWS console itself checks before calling IAM (a 12-digit account id, a name's
characters, a key ARN in the KMS helper); everything else is the operation's job, and its AwsError is shown by
the field it names.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring

from django import forms

from iam import kms_policy_helper

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ENTITY_NAME = re.compile(r"[\w+=,.@-]+")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]+")  # sts:ExternalId's characters (AssumeRole's ExternalId, 2-1224)
MAX_MANAGED_POLICIES = 10  # managed policies per role (IAM's default quota)
STARTER_POLICY = json.dumps({"Version": "2012-10-17", "Statement": []}, indent=4)


# ----------------------------------------------------------------------------------------------------------
# Findings by line: the validator's JSON paths ("Statement[0].Action[1]") -> lines of the editor's text
# ----------------------------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_LAST_STEP = re.compile(r"(\.[^.\[]*|\[[0-9]+\]|^[^.\[]+)$")
_DECODER = json.JSONDecoder()


def json_path_lines(text: str) -> dict[str, int]:
    """Line (1-based) where each JSON path's value starts, for valid JSON text; {} otherwise."""
    try:
        json.loads(text)
    except ValueError:
        return {}
    lines: dict[str, int] = {}
    _walk(text, 0, "", lines)
    return lines


def _walk(text: str, pos: int, path: str, lines: dict[str, int]) -> int:
    """Record where the value at `pos` starts (and its members), return the position after it."""
    pos = _WHITESPACE.match(text, pos).end()
    lines.setdefault(path, text.count("\n", 0, pos) + 1)
    opener = text[pos]
    if opener not in "{[":
        return _DECODER.raw_decode(text, pos)[1]
    closer, index, pos = ("}" if opener == "{" else "]"), 0, pos + 1
    while True:
        pos = _WHITESPACE.match(text, pos).end()
        if text[pos] == closer:
            return pos + 1
        if text[pos] == ",":
            pos = _WHITESPACE.match(text, pos + 1).end()
        if opener == "{":
            name, pos = scanstring(text, pos + 1)
            pos = _WHITESPACE.match(text, pos).end() + 1  # past the ':'
            member = f"{path}.{name}" if path else name
        else:
            member = f"{path}[{index}]"
            index += 1
        pos = _walk(text, pos, member, lines)


def findings_by_line(text: str, findings) -> list[dict]:
    """The findings with the editor line each is about, in line order (errors first on a line)."""
    lines = json_path_lines(text)
    rows = []
    for finding in findings:
        rows.append({"severity": finding.severity, "code": finding.code, "path": finding.path,
                     "message": finding.message, "line": _line_of(text, finding.path, lines)})
    order = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}
    return sorted(rows, key=lambda row: (row["line"], order.get(row["severity"], 9)))


def _line_of(text: str, path: str, lines: dict[str, int]) -> int:
    if not lines:  # not JSON: Python's parser says where it stopped
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return error.lineno
        except ValueError:
            return 1
    while path not in lines and path:
        path = _LAST_STEP.sub("", path)  # the nearest enclosing element that is in the text
    return lines.get(path, 1)


# ----------------------------------------------------------------------------------------------------------
# Roles
# ----------------------------------------------------------------------------------------------------------

TRUST_THIS_ACCOUNT, TRUST_ANOTHER_ACCOUNT = "this", "another"


class TrustedEntityForm(forms.Form):
    """Create role, step 1: an AWS account trusted to assume the role."""
    trust = forms.ChoiceField(
        label="AWS account", widget=forms.RadioSelect, initial=TRUST_THIS_ACCOUNT,
        choices=[(TRUST_THIS_ACCOUNT, "This account"), (TRUST_ANOTHER_ACCOUNT, "Another AWS account")])
    account_id = forms.CharField(label="Account ID", required=False, max_length=64,
                                 help_text="The 12-digit ID of the account whose principals may assume this role.")
    require_external_id = forms.BooleanField(label="Require external ID", required=False,
                                             help_text="Best practice when a third party will assume this role.")
    external_id = forms.CharField(label="External ID", required=False, max_length=1224)

    def __init__(self, *args, own_account: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_account = own_account
        self.fields["trust"].choices = [(TRUST_THIS_ACCOUNT, f"This account ({own_account})"),
                                        (TRUST_ANOTHER_ACCOUNT, "Another AWS account")]

    def clean(self):
        data = super().clean()
        if data.get("trust") == TRUST_ANOTHER_ACCOUNT:
            account = data.get("account_id", "").strip()
            if not ACCOUNT_ID.fullmatch(account):
                self.add_error("account_id", f"“{account}” is not an AWS account ID: enter 12 digits.")
            data["account_id"] = account
        if data.get("require_external_id"):
            external_id = data.get("external_id", "")
            if len(external_id) < 2 or not EXTERNAL_ID.fullmatch(external_id):
                self.add_error("external_id", "Enter an external ID of 2 to 1224 letters, digits and +=,.@:/-_.")
        return data

    def trusted_account(self) -> str:
        data = self.cleaned_data
        return data["account_id"] if data["trust"] == TRUST_ANOTHER_ACCOUNT else self.own_account

    def trust_policy(self) -> dict:
        data = self.cleaned_data
        return trust_policy_document(self.trusted_account(),
                                     data["external_id"] if data.get("require_external_id") else None)


def trust_policy_document(account_id: str, external_id: str | None = None) -> dict:
    """The trust policy the IAM console writes for an "AWS account" trusted entity."""
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                 "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


class RolePermissionsForm(forms.Form):
    """Create role, step 2: the managed policies to attach (ARNs)."""
    policy_arns = forms.MultipleChoiceField(label="Permissions policies", required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices are whatever ListPolicies shows: any ARN is accepted here, and AttachRolePolicy decides.
        self.fields["policy_arns"].valid_value = lambda value: value.startswith("arn:")

    def clean_policy_arns(self):
        arns = list(dict.fromkeys(self.cleaned_data["policy_arns"]))
        if len(arns) > MAX_MANAGED_POLICIES:
            raise forms.ValidationError(f"A role can have at most {MAX_MANAGED_POLICIES} managed policies attached.")
        return arns


class RoleDetailsForm(forms.Form):
    """Create role, step 3."""
    role_name = forms.CharField(label="Role name", max_length=64,
                                help_text="Up to 64 letters, digits and +=,.@-_ characters.")
    description = forms.CharField(label="Description", required=False, max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def clean_role_name(self):
        name = self.cleaned_data["role_name"].strip()
        if not ENTITY_NAME.fullmatch(name):
            raise forms.ValidationError("Use only letters, digits and +=,.@-_ characters.")
        return name


class PolicyDocumentForm(forms.Form):
    """A JSON policy in the editor (trust policy, inline policy, new policy version)."""
    policy_document = forms.CharField(label="Policy editor", strip=False,
                                      widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "false"}))


# ----------------------------------------------------------------------------------------------------------
# Policies
# ----------------------------------------------------------------------------------------------------------


class CreatePolicyForm(PolicyDocumentForm):
    policy_name = forms.CharField(label="Policy name", max_length=128,
                                  help_text="Up to 128 letters, digits and +=,.@-_ characters.")
    description = forms.CharField(label="Description", required=False, max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def clean_policy_name(self):
        name = self.cleaned_data["policy_name"].strip()
        if not ENTITY_NAME.fullmatch(name):
            raise forms.ValidationError("Use only letters, digits and +=,.@-_ characters.")
        return name


class KmsKeyUsageForm(forms.Form):
    """The KMS key usage helper: actions and key ARNs -> the guide's statements."""
    kms_actions = forms.MultipleChoiceField(
        label="Actions", widget=forms.CheckboxSelectMultiple,
        initial=list(kms_policy_helper.KEY_USE_ACTIONS),
        choices=[(action, action) for action in kms_policy_helper.KEY_USE_ACTIONS]
        + [(kms_policy_helper.GRANTS_FOR_AWS_RESOURCES,
            "Grants for AWS resources (kms:CreateGrant, kms:ListGrants, kms:RevokeGrant when "
            "kms:GrantIsForAWSResource is true)")],
        error_messages={"required": "Choose at least one action."})
    key_arns = forms.CharField(
        label="Key ARNs", widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One key ARN per line, e.g. arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        error_messages={"required": "Enter the key ARN of at least one KMS key, one per line."})

    def clean_key_arns(self):
        try:
            return kms_policy_helper.parse_key_arns(self.cleaned_data["key_arns"])
        except kms_policy_helper.KeyArnError as error:
            raise forms.ValidationError(str(error)) from None

    def statements(self) -> list[dict]:
        return kms_policy_helper.key_usage_statements(self.cleaned_data["kms_actions"],
                                                      self.cleaned_data["key_arns"])


# ListEntitiesForPolicy's kinds -> the Attach/Detach operation's noun and its name member.
ENTITY_KINDS = {"role": "Role", "user": "User", "group": "Group"}


class AttachEntityForm(forms.Form):
    """Policy page, Entities attached: a user, group or role of the account as "<kind>:<name>"."""
    entity = forms.ChoiceField(label="User, group or role")

    def __init__(self, *args, entity_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", "Choose an entity")] + list(entity_choices)

    def kind_and_name(self) -> tuple[str, str]:
        kind, _, name = self.cleaned_data["entity"].partition(":")
        return kind, name


def entity_change(kind: str, name: str, change: str) -> tuple[str, dict]:
    """(operation, params) to attach or detach a policy for a "<kind>:<name>" entity."""
    noun = ENTITY_KINDS[kind]
    return f"{change}{noun}Policy", {f"{noun}Name": name}


class NewVersionForm(PolicyDocumentForm):
    set_as_default = forms.BooleanField(label="Set as default version", required=False, initial=True)
