"""The key page of a multi-Region key lists the keys of its set and their Regions (one key policy each)."""

import re

from django.test import Client

from keys.models import Key
from tests.conftest import OWNER, REGION

PASSWORD = "demo-KeyAdmin-password-not-secret"


def test_the_key_page_lists_the_primary_and_its_replicas(demo, aws):
    admin = aws("kms", ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001"))
    key_id = admin.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    admin.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
    client = Client()
    assert client.post("/signin/", {"account": OWNER, "username": "KeyAdmin", "password": PASSWORD}).status_code == 302
    page = client.get(f"/keys/{key_id}/").content.decode()
    assert "Multi-Region (primary)" in page
    section = page[page.index('id="related-keys"'):]
    rows = re.findall(r"<tr><td>([a-z0-9-]+)</td><td>(Primary|Replica)</td>", section)
    assert rows == [(REGION, "Primary"), ("eu-west-1", "Replica")]
    assert f"arn:aws:kms:eu-west-1:{OWNER}:key/{key_id}" in section
    assert Key.objects.filter(key_id=key_id).count() == 2


def test_a_single_region_key_page_has_no_related_keys(demo, aws):
    admin = aws("kms", ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001"))
    key_id = admin.create_key()["KeyMetadata"]["KeyId"]
    client = Client()
    client.post("/signin/", {"account": OWNER, "username": "KeyAdmin", "password": PASSWORD})
    page = client.get(f"/keys/{key_id}/").content.decode()
    assert "Single-Region" in page and 'id="related-keys"' not in page
