"""The key page's Key material tab (EXTERNAL keys): download a wrapping public key and import token, upload
wrapped key material with its expiry, delete it.

Each action is one KMS operation (GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial) run
as the signed-in principal through keys.views.kms, so it is authorised and recorded like an API call. The
uploaded material and the token pass through to the operation and are never kept, shown or logged here.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from awsapi.errors import AwsError
from keys.views import KeyPage, _after_change, _key_page_view, console_page, kms

WRAPPING_ALGORITHMS = [
    ("RSA_AES_KEY_WRAP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256 (any key material)"),
    ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1 (any key material)"),
    ("RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_256 (not RSA private keys)"),
    ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_1 (not RSA private keys)"),
]
WRAPPING_KEY_SPECS = [("RSA_4096", "RSA_4096"), ("RSA_3072", "RSA_3072"), ("RSA_2048", "RSA_2048")]
MAX_UPLOAD_BYTES = 8192  # an import token is at most 6144 bytes, wrapped material less


class ParametersForm(forms.Form):
    wrapping_algorithm = forms.ChoiceField(choices=WRAPPING_ALGORITHMS, label="Wrapping algorithm")
    wrapping_key_spec = forms.ChoiceField(choices=WRAPPING_KEY_SPECS, label="Wrapping key spec")


class ImportForm(forms.Form):
    encrypted_key_material = forms.FileField(label="Wrapped key material")
    import_token = forms.FileField(label="Import token")
    expires = forms.ChoiceField(
        choices=[("never", "Key material never expires"), ("expires", "Key material expires")],
        widget=forms.RadioSelect, initial="never", label="Expiration")
    valid_to = forms.DateTimeField(required=False, label="Expires at (UTC)",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   help_text="At most 365 days from now.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("expires") == "expires" and not cleaned.get("valid_to"):
            self.add_error("valid_to", "Choose when the key material expires.")
        for name in ("encrypted_key_material", "import_token"):
            upload = cleaned.get(name)
            if upload is not None and upload.size > MAX_UPLOAD_BYTES:
                self.add_error(name, f"The file is larger than {MAX_UPLOAD_BYTES} bytes; choose the file "
                                     "downloaded from this page.")
        return cleaned


def key_material_tab_context(request, page: KeyPage, *, errors: dict | None = None, parameters_form=None,
                             import_form=None, **_) -> dict:
    """The tab's context: what DescribeKey says of the material, and for symmetric keys every material
    (ListKeyRotations) with its import state."""
    context = {
        "errors": errors or {},
        "parameters_form": parameters_form or ParametersForm(),
        "import_form": import_form or ImportForm(),
        "materials": [],
        "materials_error": None,
        "can_delete": page.metadata["KeyState"] not in ("PendingImport", "PendingDeletion"),
    }
    if page.symmetric:
        try:
            context["materials"] = kms(request, "ListKeyRotations", KeyId=page.key_id,
                                       IncludeKeyMaterial="ALL_KEY_MATERIAL", Limit=25).get("Rotations", [])
        except AwsError as error:
            context["materials_error"] = error.message or error.code
    return context


@console_page
@require_POST
@_key_page_view
def download_import_parameters(request, page: KeyPage):
    """GetParametersForImport; the public key and token come back as one ZIP, as the AWS console offers."""
    form = ParametersForm(request.POST)
    if not form.is_valid():
        return _after_change(request, page, "key_material", errors={"parameters": "Choose an algorithm and spec."},
                             parameters_form=form)
    try:
        parameters = kms(request, "GetParametersForImport", KeyId=page.key_id,
                         WrappingAlgorithm=form.cleaned_data["wrapping_algorithm"],
                         WrappingKeySpec=form.cleaned_data["wrapping_key_spec"])
    except AwsError as error:
        return _after_change(request, page, "key_material", errors={"parameters": error.message or error.code},
                             parameters_form=form)
    valid_to = parameters["ParametersValidTo"].strftime("%Y-%m-%dT%H:%M:%SZ")
    readme = (f"Key: {parameters['KeyId']}\nWrapping algorithm: {form.cleaned_data['wrapping_algorithm']}\n"
              f"Wrapping key spec: {form.cleaned_data['wrapping_key_spec']}\n"
              f"Valid until: {valid_to}\n\n"
              "WrappingPublicKey.bin is the RSA public key (DER, SubjectPublicKeyInfo) to wrap your key material "
              "with.\nImportToken.bin goes with it: upload both the wrapped material and this token on the Key "
              "material tab before the time above.\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("WrappingPublicKey.bin", parameters["PublicKey"])
        archive.writestr("ImportToken.bin", parameters["ImportToken"])
        archive.writestr("README.txt", readme)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="ImportParameters_{page.metadata["KeyId"]}.zip"'
    return response


@console_page
@require_POST
@_key_page_view
def import_key_material(request, page: KeyPage):
    form = ImportForm(request.POST, request.FILES)
    errors, notice = {}, None
    if form.is_valid():
        params = {"KeyId": page.key_id,
                  "ImportToken": form.cleaned_data["import_token"].read(),
                  "EncryptedKeyMaterial": form.cleaned_data["encrypted_key_material"].read()}
        if form.cleaned_data["expires"] == "expires":
            valid_to = form.cleaned_data["valid_to"]
            if timezone.is_naive(valid_to):
                valid_to = valid_to.replace(tzinfo=dt.timezone.utc)
            params.update(ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
        else:
            params["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
        try:
            result = kms(request, "ImportKeyMaterial", **params)
            notice = f"Imported key material {result['KeyMaterialId']}."
            form = None
        except AwsError as error:
            field = _IMPORT_FIELDS.get(error.field or "", _field_for_code(error.code))
            errors[field] = error.message or _CODE_MESSAGES.get(error.code, error.code)
    return _after_change(request, page, "key_material", fragment="main", errors=errors, import_form=form,
                         notice=notice)


# Where an ImportKeyMaterial error belongs on the form.
_IMPORT_FIELDS = {"ValidTo": "valid_to", "ExpirationModel": "valid_to"}
_CODE_FIELDS = {"InvalidImportTokenException": "import_token", "ExpiredImportTokenException": "import_token",
                "InvalidCiphertextException": "encrypted_key_material",
                "IncorrectKeyMaterialException": "encrypted_key_material"}
_CODE_MESSAGES = {"InvalidCiphertextException": "The wrapped key material cannot be unwrapped with this import "
                                                "token's key: wrap it with the public key downloaded with the token, "
                                                "using the algorithm chosen then."}


def _field_for_code(code: str) -> str:
    return _CODE_FIELDS.get(code, "top")


@console_page
@require_POST
@_key_page_view
def delete_key_material(request, page: KeyPage):
    errors, notice = {}, None
    try:
        result = kms(request, "DeleteImportedKeyMaterial", KeyId=page.key_id)
        notice = f"Deleted key material {result['KeyMaterialId']}: the key is pending import."
    except AwsError as error:
        errors["top"] = error.message or error.code
    return _after_change(request, page, "key_material", fragment="main", errors=errors, notice=notice)
