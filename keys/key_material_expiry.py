"""Imported key material that expires (ImportKeyMaterial with ExpirationModel KEY_MATERIAL_EXPIRES).

When a material's ValidTo passes, KMS deletes it and writes a DeleteExpiredKeyMaterial service event; if it
was the current material the key goes to PendingImport. Here that happens lazily, the first time anything
resolves the key after ValidTo (keys.resolve.resolve_key: the API, the console and scenario tools alike),
and in bulk with `manage.py expire_key_material` (run it from cron to have the records on time when nobody
touches the key). Either way the state change and its record are written in one transaction.

Key.material_expires_at holds the earliest ValidTo of a key's imported materials, so noticing that nothing is
due costs no query.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from keys.models import Key

EVENT_NAME = "DeleteExpiredKeyMaterial"


def is_due(key: Key, now=None) -> bool:
    return key.material_expires_at is not None and key.material_expires_at <= (now or timezone.now())


def next_expiry(key: Key):
    """The earliest ValidTo among the key's materials that are imported now (None: nothing will expire)."""
    return key.materials.filter(import_state="IMPORTED", valid_to__isnull=False).aggregate(
        earliest=Min("valid_to"))["earliest"]


def forget_material(material) -> None:
    """Delete the bytes of one imported material, keeping the row (its KeyMaterialId stays known)."""
    material.sealed = b""
    material.import_state = "PENDING_IMPORT"
    material.expiration_model = ""
    material.valid_to = None
    material.save(update_fields=["sealed", "import_state", "expiration_model", "valid_to"])


def expire_due_material(key: Key, now=None) -> Key:
    """Delete the key's imported materials whose ValidTo has passed, record each deletion as KMS does, and
    return the key as it is now. Safe to run twice: the key row is locked and re-read."""
    from audit.trail import record_service_event

    now = now or timezone.now()
    with transaction.atomic():
        locked = Key.objects.select_for_update().select_related("account").get(pk=key.pk)
        if not is_due(locked, now):
            return locked
        current = locked.materials.filter(pending_rotation=False).order_by("-version").first()
        for material in locked.materials.filter(import_state="IMPORTED", valid_to__lte=now).order_by("version"):
            forget_material(material)
            record_service_event(
                account_id=locked.account_id, region=locked.region, event_name=EVENT_NAME, key_arn=locked.arn,
                details={"keyId": locked.key_id, "keyMaterialId": material.material_id}, now=now,
            )
            if current is not None and material.pk == current.pk and locked.state in ("Enabled", "Disabled"):
                locked.state = "PendingImport"
        locked.material_expires_at = next_expiry(locked)
        locked.save(update_fields=["state", "material_expires_at"])
    return locked


def expire_on_access(key: Key, call=None) -> Key:
    """resolve_key's hook: the key with any due expiry applied. If the call then fails and its transaction
    rolls back, the expiry is applied again after the rollback (as purge_if_due does for deletions)."""
    if not is_due(key):
        return key
    refreshed = expire_due_material(key)
    if call is not None:
        call.after_rollback.append(lambda: expire_due_material(refreshed))
    return refreshed


def expire_all_due(now=None) -> int:
    """Apply every due expiry (the management command). Returns how many keys were changed."""
    now = now or timezone.now()
    due = Key.objects.filter(material_expires_at__lte=now).order_by("pk")
    count = 0
    for key in due:
        expire_due_material(key, now)
        count += 1
    return count
