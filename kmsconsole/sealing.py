"""Seal and open small secrets (key material, access-key secrets) under KMSCONSOLE_MASTER_KEY."""

from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=4)
def _cipher_for(master_key_setting: str):
    from keys import crypto

    return crypto.master_cipher(master_key_setting)


def _cipher():
    # Read the setting on each call (not at import) so tests and rotation can change it.
    return _cipher_for(settings.KMSCONSOLE_MASTER_KEY)


def seal(data: bytes) -> bytes:
    from keys import crypto

    return crypto.seal(_cipher(), data)


def unseal(token: bytes) -> bytes:
    from keys import crypto

    return crypto.unseal(_cipher(), token)
