"""Forms of the key pages. They check only what the console itself checks before calling KMS (an alias
without "alias/", a 12-digit account id...); everything else is the operation's job, and its AwsError is
shown by the field it names."""

import base64
import binascii
import re

from django import forms

from keys import crypto
from keys.policy_editing import is_account_id

ALIAS_NAME = re.compile(r"^[a-zA-Z0-9:/_-]+$")
ACCOUNT_SEPARATORS = re.compile(r"[\s,]+")

KEY_TYPES = [("SYMMETRIC", "Symmetric"), ("ASYMMETRIC", "Asymmetric")]
KEY_USAGES = [
    ("ENCRYPT_DECRYPT", "Encrypt and decrypt"),
    ("GENERATE_VERIFY_MAC", "Generate and verify MAC"),
    ("SIGN_VERIFY", "Sign and verify"),
    ("KEY_AGREEMENT", "Key agreement"),
]
USAGES_BY_TYPE = {
    "SYMMETRIC": {"ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC"},
    "ASYMMETRIC": {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"},
}

# Operations a trainer commonly asks the access explainer about; any other kms: action may be typed.
EXPLAINER_ACTIONS = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey", "kms:DescribeKey",
    "kms:CreateGrant", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:Sign",
    "kms:Verify", "kms:GenerateMac", "kms:GetPublicKey",
]
USE_OPERATIONS = [
    ("Encrypt", "Encrypt (text → ciphertext)"),
    ("Decrypt", "Decrypt (ciphertext → text)"),
    ("GenerateDataKey", "GenerateDataKey (AES_256)"),
    ("DescribeKey", "DescribeKey"),
]


def key_type_of(key_spec: str) -> str:
    """The console's "Key type" column: HMAC keys count as symmetric."""
    return "Symmetric" if key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC_") else "Asymmetric"


def parse_account_ids(text: str) -> tuple[list[str], list[str]]:
    """(valid ids in order without repeats, invalid entries) from a comma/space separated list."""
    valid, invalid = [], []
    for entry in ACCOUNT_SEPARATORS.split(text.strip()):
        if not entry:
            continue
        if is_account_id(entry):
            if entry not in valid:
                valid.append(entry)
        else:
            invalid.append(entry)
    return valid, invalid


def parse_tags(text: str) -> list[dict]:
    """`Key=Value` per line → KMS Tags. Raises ValidationError naming the bad line."""
    tags = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise forms.ValidationError(f"Line {number}: write each tag as Key=Value.")
        tags.append({"TagKey": name.strip(), "TagValue": value.strip()})
    return tags


class CreateKeyForm(forms.Form):
    key_type = forms.ChoiceField(choices=KEY_TYPES, initial="SYMMETRIC", widget=forms.RadioSelect)
    key_usage = forms.ChoiceField(choices=KEY_USAGES, initial="ENCRYPT_DECRYPT", widget=forms.RadioSelect)
    key_spec = forms.ChoiceField(initial="SYMMETRIC_DEFAULT")
    alias = forms.CharField(max_length=250, help_text='Without the "alias/" prefix.')
    description = forms.CharField(required=False, max_length=8192, widget=forms.Textarea(attrs={"rows": 2}))
    tags = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Team=payments"}),
                           help_text="One tag per line: Key=Value.")
    administrators = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    allow_admin_deletion = forms.BooleanField(required=False, initial=True,
                                              label="Allow key administrators to delete this key")
    users = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Key users")
    other_accounts = forms.CharField(required=False, label="Other AWS accounts",
                                     help_text="12-digit account ids, separated by commas or spaces.")

    def __init__(self, *args, principal_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["administrators"].choices = principal_choices
        self.fields["users"].choices = principal_choices
        self.fields["key_spec"].choices = [(name, name) for name in crypto.KEY_SPECS]

    def clean_alias(self):
        alias = self.cleaned_data["alias"].strip()
        if alias.startswith("alias/"):
            alias = alias[len("alias/"):]
        if alias.startswith("aws/"):
            raise forms.ValidationError('The alias cannot begin with "aws/": that prefix is reserved for AWS '
                                        "managed keys.")
        if not ALIAS_NAME.match(alias):
            raise forms.ValidationError("An alias may contain only letters, digits, and / _ - :")
        return alias

    def clean_tags(self):
        return parse_tags(self.cleaned_data["tags"])

    def clean_other_accounts(self):
        valid, invalid = parse_account_ids(self.cleaned_data["other_accounts"])
        if invalid:
            raise forms.ValidationError(f"{', '.join(invalid)}: an AWS account id is 12 digits.")
        return valid

    def clean(self):
        data = super().clean()
        key_type, usage, spec = data.get("key_type"), data.get("key_usage"), data.get("key_spec")
        if key_type and usage and usage not in USAGES_BY_TYPE[key_type]:
            self.add_error("key_usage", f"{dict(KEY_USAGES)[usage]} is not a usage of {key_type.lower()} keys.")
        elif key_type and usage and spec:
            info = crypto.key_spec_info(spec)
            expected_type = "SYMMETRIC" if info.key_type in (crypto.SYMMETRIC, crypto.HMAC) else "ASYMMETRIC"
            if expected_type != key_type or usage not in info.algorithms_by_usage:
                self.add_error("key_spec", f"{spec} is not a {key_type.lower()} key spec for "
                                           f"{dict(KEY_USAGES)[usage].lower()}.")
        return data


class AccountIdForm(forms.Form):
    account_id = forms.CharField(max_length=64, label="AWS account id", error_messages={
        "required": "Enter an AWS account id: its 12 digits, for example 444455556666."})

    def clean_account_id(self):
        value = self.cleaned_data["account_id"].strip()
        if not is_account_id(value):
            raise forms.ValidationError(f"{value or 'This'} is not an AWS account id: enter the 12 digits of "
                                        "the account, for example 444455556666.")
        return value


class PolicyDocumentForm(forms.Form):
    policy = forms.CharField(widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false"}), strip=False)


class DescriptionForm(forms.Form):
    description = forms.CharField(required=False, max_length=8192)


class TagForm(forms.Form):
    tag_key = forms.CharField(max_length=128, label="Tag key")
    tag_value = forms.CharField(max_length=256, required=False, label="Tag value")


class ScheduleDeletionForm(forms.Form):
    pending_window_days = forms.IntegerField(min_value=7, max_value=30, initial=30, label="Waiting period (days)")
    confirm = forms.BooleanField(label="Confirm that you want to schedule this key for deletion after the "
                                       "waiting period.")


class RotationForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Automatically rotate this KMS key")
    rotation_period_days = forms.IntegerField(min_value=90, max_value=2560, initial=365, required=False,
                                              label="Rotation period (days)")


class AccessQuestionForm(forms.Form):
    principal = forms.ChoiceField(required=False, label="A principal of this account")
    principal_arn = forms.CharField(
        required=False, max_length=2048, label="…or any principal ARN",
        widget=forms.TextInput(attrs={"placeholder": "arn:aws:iam::444455556666:role/ExampleRole"}))
    action = forms.CharField(max_length=128, initial="kms:Encrypt", label="Action",
                             widget=forms.TextInput(attrs={"list": "kms-actions"}))

    def __init__(self, *args, principal_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["principal"].choices = [("", "—")] + list(principal_choices)

    def clean_action(self):
        action = self.cleaned_data["action"].strip()
        if not action.lower().startswith("kms:"):
            raise forms.ValidationError("Ask about a KMS action, for example kms:Encrypt.")
        return action

    def clean(self):
        data = super().clean()
        chosen = (data.get("principal_arn") or "").strip() or data.get("principal")
        if not chosen:
            raise forms.ValidationError("Pick a principal of this account or type a principal ARN.")
        data["chosen_arn"] = chosen
        return data


class UseKeyForm(forms.Form):
    key_id = forms.CharField(max_length=2048, label="Key ARN or alias ARN",
                             widget=forms.TextInput(attrs={"placeholder": "arn:aws:kms:us-west-2:111122223333:key/…",
                                                           "size": 80}))
    operation = forms.ChoiceField(choices=USE_OPERATIONS, initial="Encrypt")
    text = forms.CharField(required=False, strip=False, label="Plaintext (Encrypt)",
                           widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))
    ciphertext = forms.CharField(required=False, label="Ciphertext, base64 (Decrypt)",
                                 widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        operation = data.get("operation")
        if operation == "Encrypt" and not data.get("text"):
            self.add_error("text", "Enter the text to encrypt.")
        if operation == "Decrypt":
            try:
                data["ciphertext_blob"] = base64.b64decode((data.get("ciphertext") or "").strip(), validate=True)
            except (binascii.Error, ValueError):
                self.add_error("ciphertext", "The ciphertext must be base64, as Encrypt shows it.")
            else:
                if not data["ciphertext_blob"]:
                    self.add_error("ciphertext", "Enter the ciphertext to decrypt.")
        return data
