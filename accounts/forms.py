"""Console forms: sign-in (IAM user or root), Switch role, region. Errors show next to their field."""

from django import forms

from accounts.regions import ALL_REGIONS

NAME_PATTERN = r"^[\w+=,.@-]{1,64}\Z"


class IamUserSignInForm(forms.Form):
    account = forms.CharField(label="Account ID or alias", max_length=63, strip=True)
    username = forms.CharField(label="IAM user name", max_length=64, strip=True)
    password = forms.CharField(label="Password", max_length=256, strip=False, widget=forms.PasswordInput)


class RootSignInForm(forms.Form):
    email = forms.EmailField(label="Root user email address", max_length=254)
    password = forms.CharField(label="Password", max_length=256, strip=False, widget=forms.PasswordInput)


class SwitchRoleForm(forms.Form):
    account = forms.CharField(label="Account ID or alias", max_length=63, strip=True)
    role = forms.RegexField(label="IAM role name", regex=NAME_PATTERN, max_length=64, strip=True,
                            error_messages={"invalid": "A role name uses letters, digits and +=,.@_- only."})
    display_name = forms.CharField(label="Display name (optional)", max_length=64, required=False, strip=True)


class RegionForm(forms.Form):
    region = forms.ChoiceField(label="Region", choices=[(code, f"{name} ({code})") for code, name in ALL_REGIONS.items()])
