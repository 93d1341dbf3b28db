"""KMS keys and what hangs off them: key material versions, the key policy and its history, aliases,
tags and grants."""

import uuid
from functools import lru_cache

from django.db import models
from django.db.models import Q

from accounts.models import Account
from kmsconsole import sealing, statecache

KEY_STATES = ["Enabled", "Disabled", "PendingDeletion", "PendingReplicaDeletion", "PendingImport", "Unavailable"]
KEY_USAGES = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"]


def new_key_id() -> str:
    return str(uuid.uuid4())


class Key(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="keys")
    region = models.CharField(max_length=32)
    key_id = models.CharField(max_length=36, default=new_key_id)
    arn = models.CharField(max_length=2048, unique=True)
    key_spec = models.CharField(max_length=32, default="SYMMETRIC_DEFAULT")
    key_usage = models.CharField(max_length=32, default="ENCRYPT_DECRYPT")
    origin = models.CharField(max_length=32, default="AWS_KMS")
    key_manager = models.CharField(max_length=16, default="CUSTOMER")
    state = models.CharField(max_length=32, default="Enabled")
    description = models.CharField(max_length=8192, blank=True)
    created_at = models.DateTimeField()
    deletion_date = models.DateTimeField(null=True, blank=True)
    pending_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    rotation_enabled = models.BooleanField(default=False)
    rotation_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    next_rotation_date = models.DateTimeField(null=True, blank=True)
    # Imported material (Origin EXTERNAL): the earliest ValidTo of the key's imported materials, kept on the
    # key so that noticing expiry costs no query on the hot path (keys.key_material_expiry).
    material_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Multi-Region keys: every key of a set has the same "mrk-" key id in its own Region, its own policy, and
    # copies of the same material; `primary_region` (the same on every key of the set) says which is primary.
    multi_region = models.BooleanField(default=False)
    primary_region = models.CharField(max_length=32, blank=True)
    # The current key policy document (name "default"); every version is kept in KeyPolicyVersion.
    # Kept here too so that authorising a call reads one row, not the newest of many.
    policy = models.TextField()

    class Meta:
        ordering = ["account_id", "region", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "region", "key_id"], name="key_id_unique_per_account_region"),
            models.CheckConstraint(
                condition=Q(key_id__regex=r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"),
                name="key_id_format",
            ),
            models.CheckConstraint(condition=Q(state__in=KEY_STATES), name="key_state_known"),
            models.CheckConstraint(condition=Q(key_usage__in=KEY_USAGES), name="key_usage_known"),
            models.CheckConstraint(
                condition=Q(state="PendingDeletion", deletion_date__isnull=False) | ~Q(state="PendingDeletion"),
                name="pending_deletion_has_date",
            ),
        ]

    def __str__(self):
        return self.arn

    def save(self, *args, **kwargs):
        self.arn = key_arn(self.region, self.account_id, self.key_id)
        super().save(*args, **kwargs)

    @property
    def enabled(self) -> bool:
        return self.state == "Enabled"

    @property
    def is_primary(self) -> bool:
        return self.multi_region and self.region == self.primary_region

    def related_keys(self):
        """The other keys of this key's multi-Region set (none for a single-Region key)."""
        if not self.multi_region:
            return Key.objects.none()
        return Key.objects.filter(account_id=self.account_id, key_id=self.key_id).exclude(pk=self.pk)

    @property
    def current_material(self) -> "KeyMaterial":
        # Imported material waiting for RotateKeyOnDemand is not current yet.
        return statecache.get("current-material", self.pk, lambda: (
            self.materials.filter(pending_rotation=False).order_by("-version").first()))


def key_arn(region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(region: str, account_id: str, alias_name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias_name}"


class KeyMaterial(models.Model):
    """One version of a key's material. Rotation adds a version; older ones still decrypt."""

    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="materials")
    version = models.PositiveIntegerField()
    # Unique per key: the keys of a multi-Region set hold copies of the same material under the same id.
    material_id = models.CharField(max_length=64, db_index=True)
    sealed = models.BinaryField()
    rotation_type = models.CharField(max_length=16, blank=True)  # "", "AUTOMATIC", "ON_DEMAND"
    created_at = models.DateTimeField()
    # Imported material only (Origin EXTERNAL). Deleting or expiring it empties `sealed` and keeps the row,
    # so the same bytes can be imported again under the same KeyMaterialId (ciphertexts name it).
    import_state = models.CharField(max_length=16, blank=True)  # "", "IMPORTED", "PENDING_IMPORT"
    expiration_model = models.CharField(max_length=32, blank=True)  # "", KEY_MATERIAL_(DOES_NOT_)EXPIRE(S)
    valid_to = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=256, blank=True)  # KeyMaterialDescription
    # Imported with ImportType NEW_KEY_MATERIAL into a key that has material: current after RotateKeyOnDemand.
    pending_rotation = models.BooleanField(default=False)

    class Meta:
        ordering = ["key_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="material_version_unique_per_key"),
            models.UniqueConstraint(fields=["key", "material_id"], name="material_id_unique_per_key"),
            models.CheckConstraint(condition=Q(material_id__regex=r"^[0-9a-f]{64}$"), name="material_id_format"),
            models.CheckConstraint(condition=Q(import_state__in=["", "IMPORTED", "PENDING_IMPORT"]),
                                   name="material_import_state_known"),
        ]

    @property
    def usable(self) -> bool:
        """False for imported material that was deleted or has expired: its bytes are gone."""
        return self.import_state != "PENDING_IMPORT"

    def __str__(self):
        return f"{self.key_id} v{self.version}"

    @property
    def material(self) -> bytes:
        # A material version never changes once written, so it is opened once per process.
        return _open_material(self.material_id, bytes(self.sealed))

    @material.setter
    def material(self, value: bytes):
        self.sealed = sealing.seal(value)


@lru_cache(maxsize=1024)
def _open_material(material_id: str, sealed: bytes) -> bytes:
    return sealing.unseal(sealed)


class KeyPolicyVersion(models.Model):
    """Every key policy a key has had: who set it, when and how."""

    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="policy_versions")
    version = models.PositiveIntegerField()
    document = models.TextField()
    changed_by = models.CharField(max_length=2048, help_text="principal ARN, or 'scenario:<file>'")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["key_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="policy_version_unique_per_key")]

    def __str__(self):
        return f"{self.key_id} policy v{self.version}"


class Alias(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="aliases")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=256)
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["account_id", "region", "name"]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(fields=["account", "region", "name"], name="alias_unique_per_account_region"),
            models.CheckConstraint(condition=Q(name__regex=r"^alias/[a-zA-Z0-9:/_-]+$"), name="alias_name_format"),
        ]

    def __str__(self):
        return self.arn

    @property
    def arn(self) -> str:
        return alias_arn(self.region, self.account_id, self.name)


class KeyTag(models.Model):
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="tags")
    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256, blank=True)

    class Meta:
        ordering = ["key_id", "tag_key"]
        constraints = [models.UniqueConstraint(fields=["key", "tag_key"], name="tag_key_unique_per_key")]

    def __str__(self):
        return f"{self.tag_key}={self.tag_value}"


class Grant(models.Model):
    grant_id = models.CharField(primary_key=True, max_length=64)
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="grants")
    name = models.CharField(max_length=256, blank=True)
    grantee_principal = models.CharField(max_length=256)
    retiring_principal = models.CharField(max_length=256, blank=True)
    operations = models.JSONField()
    constraints = models.JSONField(null=True, blank=True)
    issuing_account = models.CharField(max_length=12)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["key_id", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(grant_id__regex=r"^[0-9a-f]{64}$"), name="grant_id_format"),
        ]
        indexes = [models.Index(fields=["retiring_principal"]), models.Index(fields=["grantee_principal"])]

    def __str__(self):
        return self.grant_id
