"""The keys list pages through ListKeys (a page costs the same whatever the number of keys); a search looks at all."""

import re

from django.test import Client

from keys import views
from tests.conftest import OWNER

ADMIN = ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001")


def _signed_in() -> Client:
    client = Client()
    client.post("/signin/", {"account": OWNER, "username": "KeyAdmin", "password": "demo-KeyAdmin-password-not-secret"})
    return client


def _listed(page: str) -> list[str]:
    return re.findall(r'href="/keys/([0-9a-f-]{36}|mrk-[0-9a-f]{32})/"', page)


def test_the_list_is_paged_and_a_search_finds_keys_beyond_the_first_page(demo, aws, monkeypatch):
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    admin = aws("kms", ADMIN)
    created = [admin.create_key(Description=f"k{i}")["KeyMetadata"]["KeyId"] for i in range(2)]
    admin.create_alias(AliasName="alias/far-away", TargetKeyId=created[-1])
    client = _signed_in()
    first = client.get("/keys/").content.decode()
    assert len(set(_listed(first))) == 2 and "Next page" in first
    marker = re.search(r'href="\?marker=([^"]+)"', first).group(1)
    second = client.get(f"/keys/?marker={marker}").content.decode()
    assert set(_listed(second)) == {created[-1]} and "First page" in second and "Next page" not in second
    found = client.get("/keys/", {"q": "far-away"}).content.decode()
    assert set(_listed(found)) == {created[-1]}
    assert "Invalid" in client.get("/keys/?marker=nonsense").content.decode() or \
        "marker" in client.get("/keys/?marker=nonsense").content.decode().lower()
