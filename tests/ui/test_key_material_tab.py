"""The Key material tab in a real Chromium: the demo key admin downloads a wrapping key and token for an
EXTERNAL key, wraps 32 bytes of their own with `cryptography` (the customer's side), uploads them with an
expiry, sees the key enabled and usable, is told by the field when the token does not belong, and deletes
the material. Then axe-core on the tab."""

import datetime as dt
import os
import zipfile

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from playwright.sync_api import expect

from keys.models import Key
from tests.conftest import REGION
from tests.browser import AXE_JS

pytestmark = pytest.mark.browser

KEY_ADMIN = ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001")
KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"

SETTLED = ".htmx-request, .htmx-added, .htmx-settling"


def rsa_aes_key_wrap_sha_256(public_key_der: bytes, material: bytes) -> bytes:
    public_key = serialization.load_der_public_key(public_key_der)
    aes_key = os.urandom(32)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    return public_key.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def download_parameters(page, tmp_path) -> tuple[bytes, bytes]:
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download wrapping public key and import token").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert "Valid until:" in archive.read("README.txt").decode()
        return archive.read("WrappingPublicKey.bin"), archive.read("ImportToken.bin")


def settle(page):
    page.wait_for_function(f"() => !document.querySelector('{SETTLED}')")


def test_key_admin_imports_and_deletes_key_material_in_the_console(demo, signed_in_page, aws, tmp_path):
    client = aws("kms", KEY_ADMIN)
    key_id = client.create_key(Origin="EXTERNAL", Description="BYOK")["KeyMetadata"]["KeyId"]
    other_key = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    other_token = client.get_parameters_for_import(KeyId=other_key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                   WrappingKeySpec="RSA_2048")["ImportToken"]
    material = os.urandom(32)

    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(f"/keys/{key_id}/?tab=key_material")
    expect(page.locator("#key-material-status")).to_contain_text("Pending import")
    expect(page.get_by_role("link", name="Key rotation")).to_have_count(0)

    page.get_by_label("Wrapping key spec").select_option("RSA_3072")
    page.get_by_label("Wrapping algorithm").select_option("RSA_AES_KEY_WRAP_SHA_256")
    public_key, token = download_parameters(page, tmp_path)
    assert serialization.load_der_public_key(public_key).key_size == 3072
    wrapped = rsa_aes_key_wrap_sha_256(public_key, material)

    # A token of another key is refused by its field, and nothing changes.
    page.get_by_label("Wrapped key material").set_input_files(
        files=[{"name": "EncryptedKeyMaterial.bin", "mimeType": "application/octet-stream", "buffer": wrapped}])
    page.get_by_label("Import token").set_input_files(
        files=[{"name": "ImportToken.bin", "mimeType": "application/octet-stream", "buffer": other_token}])
    page.get_by_label("Key material never expires").check()
    page.get_by_role("button", name="Import key material").click()
    settle(page)
    expect(page.locator("#import-key-material-form")).to_contain_text("different KMS key")
    assert Key.objects.get(key_id=key_id).state == "PendingImport"

    valid_to = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).replace(second=0, microsecond=0)
    page.get_by_label("Wrapped key material").set_input_files(
        files=[{"name": "EncryptedKeyMaterial.bin", "mimeType": "application/octet-stream", "buffer": wrapped}])
    page.get_by_label("Import token").set_input_files(
        files=[{"name": "ImportToken.bin", "mimeType": "application/octet-stream", "buffer": token}])
    page.get_by_label("Key material expires").check()
    page.get_by_label("Expires at (UTC)").fill(valid_to.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Import key material").click()
    settle(page)
    expect(page.locator(".kms-notice")).to_contain_text("Imported key material")
    expect(page.locator("#key-material-status")).to_contain_text(f"Expires {valid_to:%Y-%m-%d %H:%M}")
    expect(page.locator("#general-configuration")).to_contain_text("Enabled")
    expect(page.locator("#key-materials")).to_contain_text("CURRENT")
    page.screenshot(path="/tmp/kms-key-material-tab.png", full_page=True)

    blob = client.encrypt(KeyId=key_id, Plaintext=b"bring your own key")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"bring your own key"
    described = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["ExpirationModel"], described["ValidTo"]) == ("KEY_MATERIAL_EXPIRES", valid_to)

    page.get_by_label("Confirm that you want to delete the current key material.").check()
    page.get_by_role("button", name="Delete key material").click()
    settle(page)
    expect(page.locator(".kms-notice")).to_contain_text("the key is pending import")
    expect(page.locator("#key-material-status")).to_contain_text("Pending import")
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert Key.objects.get(key_id=key_id).arn.startswith(f"arn:aws:kms:{REGION}:")


def test_the_key_material_tab_has_no_serious_accessibility_violations(demo, browser, live_server, aws):
    key_id = aws("kms", KEY_ADMIN).create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        page = context.new_page()
        from tests.browser import sign_in

        sign_in(page, "key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
        for width in (1280, 1024):
            page.set_viewport_size({"width": width, "height": 1200})
            page.goto(f"/keys/{key_id}/?tab=key_material")
            expect(page.locator("#import-key-material-form")).to_be_visible()
            page.screenshot(path=f"/tmp/kms-key-material-tab-{width}.png", full_page=True)
        page.add_script_tag(path=str(AXE_JS))
        # The tab's own content; the key page around it is checked by tests/ui/test_axe_crawl.py.
        violations = page.evaluate("""async () => (await axe.run("#tab-panel")).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)""")
        assert violations == []
    finally:
        context.close()


def test_keys_with_their_own_material_have_no_key_material_tab(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.goto("/keys/1234abcd-12ab-34cd-56ef-1234567890ab/")
    expect(page.get_by_role("link", name="Key rotation")).to_have_count(1)
    expect(page.get_by_role("link", name="Key material")).to_have_count(0)
    assert page.goto("/keys/1234abcd-12ab-34cd-56ef-1234567890ab/tabs/key_material/").status == 404
