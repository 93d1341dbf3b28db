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
MAX_ALIAS_NAME = 256  # with the "alias/" prefix, as CreateAlias counts it

KEY_TYPES = [("SYMMETRIC", "Symmetric"), ("ASYMMETRIC", "Asymmetric")]
KEY_USAGES = [
    ("ENCRYPT_DECRYPT", "Encrypt and decrypt"),
    ("GENERATE_VERIFY_MAC", "Generate and verify MAC"),
    ("SIGN_VERIFY", "Sign and verify"),
    ("KEY_AGREEMENT", "Key agreement"),
    ("ENCAPSULATE_DECAPSULATE", "Key encapsulation"),
]
# The order the AWS console offers the usages of each key type.
USAGES_BY_TYPE = {
    "SYMMETRIC": ["ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC"],
    "ASYMMETRIC": ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"],
}
ORIGINS = [("AWS_KMS", "KMS"), ("EXTERNAL", "External (Import key material)")]
# The specs AWS imports key material for: symmetric encryption, HMAC, RSA and the NIST/SECG ECC curves. Not
# ML-DSA, and not Ed25519 (no AWS documentation says it can be imported, so the console does not offer it).
IMPORTABLE_KEY_SPECS = frozenset(
    name for name in crypto.KEY_SPECS
    if name == "SYMMETRIC_DEFAULT" or name.startswith(("HMAC_", "RSA_", "ECC_NIST_P", "ECC_SECG_")))

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


def key_specs_for(key_type: str, key_usage: str) -> list[str]:
    """The key specs the create wizard offers for a key type and usage, in catalogue order."""
    wanted = {crypto.SYMMETRIC, crypto.HMAC} if key_type == "SYMMETRIC" else {crypto.ASYMMETRIC}
    return [name for name, info in crypto.KEY_SPECS.items()
            if info.key_type in wanted and key_usage in info.algorithms_by_usage]


def parse_tags(text: str) -> list[dict]:
    """`Key=Value` per line → KMS Tags. Raises ValidationError naming the bad line."""
    tags, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise forms.ValidationError(f"Line {number}: write each tag as Key=Value.")
        if name.lower().startswith("aws:"):
            raise forms.ValidationError(f'Line {number}: tag keys beginning with "aws:" are reserved for AWS.')
        if len(name) > 128 or len(value) > 256:
            raise forms.ValidationError(f"Line {number}: a tag key has at most 128 characters, a value 256.")
        if name in seen:
            raise forms.ValidationError(f"Line {number}: the tag key {name} is already used above.")
        seen.add(name)
        tags.append({"TagKey": name, "TagValue": value})
    return tags


def normalise_newlines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n") if text is not None else None


def clean_alias_name(value: str) -> str:
    """An alias name as typed (with or without "alias/") → the full name CreateAlias takes, or a message
    naming what is wrong, as the AWS console says it before calling KMS."""
    alias = (value or "").strip()
    if alias.startswith("alias/"):
        alias = alias[len("alias/"):]
    if not alias:
        raise forms.ValidationError("Enter an alias name.")
    if alias.startswith("aws/"):
        raise forms.ValidationError('The alias cannot begin with "aws/": that prefix is reserved for AWS '
                                    "managed keys.")
    if not ALIAS_NAME.match(alias):
        raise forms.ValidationError("An alias may contain only letters, digits, and / _ - :")
    if alias.endswith("/"):
        raise forms.ValidationError('An alias cannot end with "/".')
    if len("alias/" + alias) > MAX_ALIAS_NAME:
        raise forms.ValidationError(f"An alias has at most {MAX_ALIAS_NAME - len('alias/')} characters "
                                    '(after "alias/").')
    return "alias/" + alias


# ---- the create-key wizard: one form per step; the view carries each step's fields in hidden inputs ----


class ConfigureStep(forms.Form):
    """Step 1. The key spec list is filtered by type and usage (spec_choices), as in the AWS console."""

    fields_of_step = ("key_type", "key_usage", "key_spec", "origin")
    key_type = forms.ChoiceField(choices=KEY_TYPES, initial="SYMMETRIC", label="Key type")
    key_usage = forms.ChoiceField(choices=KEY_USAGES, initial="ENCRYPT_DECRYPT", label="Key usage")
    key_spec = forms.ChoiceField(choices=[(name, name) for name in crypto.KEY_SPECS], initial="SYMMETRIC_DEFAULT",
                                 label="Key spec", error_messages={"required": "Choose a key spec."})
    origin = forms.ChoiceField(choices=ORIGINS, initial="AWS_KMS", label="Key material origin")

    def clean(self):
        data = super().clean()
        key_type, usage, spec, origin = (data.get(name) for name in self.fields_of_step)
        if key_type and usage and usage not in USAGES_BY_TYPE[key_type]:
            self.add_error("key_usage", f"{dict(KEY_USAGES)[usage]} is not a usage of {key_type.lower()} keys.")
        elif key_type and usage and spec and spec not in key_specs_for(key_type, usage):
            self.add_error("key_spec", f"{spec} is not a {key_type.lower()} key spec for "
                                       f"{dict(KEY_USAGES)[usage].lower()}: choose one of the list.")
        elif origin == "EXTERNAL" and spec and spec not in IMPORTABLE_KEY_SPECS:
            self.add_error("origin", f"AWS KMS cannot import key material for {spec} keys.")
        return data


class LabelsStep(forms.Form):
    fields_of_step = ("alias", "description", "tags")
    alias = forms.CharField(max_length=MAX_ALIAS_NAME, label="Alias", strip=False,
                            error_messages={"required": "Enter an alias name."})
    description = forms.CharField(required=False, max_length=8192, label="Description - optional",
                                  widget=forms.Textarea(attrs={"rows": 2}))
    tags = forms.CharField(required=False, label="Tags - optional",
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Team=payments"}))

    def clean_alias(self):
        return clean_alias_name(self.cleaned_data["alias"])

    def clean_description(self):
        return normalise_newlines(self.cleaned_data["description"])

    def clean_tags(self):
        return parse_tags(self.cleaned_data["tags"])


class AdministratorsStep(forms.Form):
    fields_of_step = ("administrators", "allow_admin_deletion")
    administrators = forms.MultipleChoiceField(required=False, label="Key administrators")
    allow_admin_deletion = forms.BooleanField(required=False, initial=True,
                                              label="Allow key administrators to delete this key.")

    def __init__(self, *args, principal_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["administrators"].choices = principal_choices
        self.fields["administrators"].error_messages["invalid_choice"] = (
            "%(value)s is not a user or role of this account.")


class UsageStep(forms.Form):
    """Step 4: key users of the account, and other AWS accounts as rows of `other_account` inputs."""

    fields_of_step = ("users", "other_account")
    users = forms.MultipleChoiceField(required=False, label="Key users")

    def __init__(self, data=None, *, principal_choices=(), key_account: str = "", account_exists=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["users"].choices = principal_choices
        self.fields["users"].error_messages["invalid_choice"] = "%(value)s is not a user or role of this account."
        self.account_rows = [v.strip() for v in data.getlist("other_account")] if data is not None else []
        self.account_errors: dict[int, str] = {}
        self.key_account = key_account
        self.account_exists = account_exists or (lambda account_ids: set(account_ids))

    def clean(self):
        data = super().clean()
        accounts, known = [], self.account_exists([a for a in self.account_rows if is_account_id(a)])
        for row, account in enumerate(self.account_rows):
            if not account:
                continue  # an empty row added and never filled in
            if not is_account_id(account):
                self.account_errors[row] = (f"{account} is not an AWS account id: enter the 12 digits of the "
                                            "account, for example 444455556666.")
            elif account == self.key_account:
                self.account_errors[row] = (f"{account} is this key's own account: it needs no entry here. The key "
                                            "policy's first statement lets this account's IAM policies allow use "
                                            "of the key, and Key users names its users and roles directly.")
            elif account in accounts:
                self.account_errors[row] = f"Account {account} is already in the list."
            elif account not in known:
                self.account_errors[row] = (f"Account {account} does not exist in this installation, so a key "
                                            "policy cannot name it (KMS would refuse the policy).")
            else:
                accounts.append(account)
        if self.account_errors:
            raise forms.ValidationError("Correct the other AWS accounts marked below.")
        data["other_accounts"] = accounts
        return data


class ReviewStep(forms.Form):
    fields_of_step = ("policy", "policy_base")
    policy = forms.CharField(strip=False, label="Key policy", error_messages={"required": "Enter a key policy."},
                             widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false",
                                                          "class": "policy-editor kms-json"}))
    # The generated policy the text in the editor started from: tells an edit from a policy to regenerate.
    policy_base = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def clean_policy(self):
        # Browsers post line breaks as CRLF; the key keeps the policy as typed, with plain newlines.
        return normalise_newlines(self.cleaned_data["policy"])


# ---- aliases ----


class AliasForm(forms.Form):
    """Create an alias: from the Aliases page (with a target key) or a key's Aliases tab (target fixed)."""

    alias_name = forms.CharField(max_length=MAX_ALIAS_NAME, label="Alias name", strip=False,
                                 error_messages={"required": "Enter an alias name."})
    target_key_id = forms.CharField(max_length=2048, required=False, label="Target key")

    def __init__(self, *args, target_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_key_id"].required = target_required
        self.fields["target_key_id"].error_messages["required"] = "Choose the key the alias points to."

    def clean_alias_name(self):
        # Only the prefix is the console's: CreateAlias itself judges the name (ValidationException...).
        alias = self.cleaned_data["alias_name"].strip()
        return alias if alias.startswith("alias/") else f"alias/{alias}"

    def clean_target_key_id(self):
        return self.cleaned_data["target_key_id"].strip()


class UpdateAliasForm(forms.Form):
    alias_name = forms.CharField(max_length=MAX_ALIAS_NAME)
    target_key_id = forms.CharField(max_length=2048, label="New target key",
                                    error_messages={"required": "Choose the key the alias points to."})

    def clean_target_key_id(self):
        return self.cleaned_data["target_key_id"].strip()


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
