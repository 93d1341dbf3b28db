"""CloudTrail-format audit records: the full record as JSON, plus the columns lookups filter on."""

from django.db import models


class AuditEvent(models.Model):
    event_id = models.UUIDField(primary_key=True)
    recipient_account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    event_time = models.DateTimeField()
    event_source = models.CharField(max_length=64)
    event_name = models.CharField(max_length=64)
    read_only = models.BooleanField()
    principal_arn = models.CharField(max_length=2048, blank=True)
    # The caller's account: differs from recipient_account in the key owner's copy of a cross-account call.
    caller_account = models.CharField(max_length=12, default="")
    username = models.CharField(max_length=128, blank=True)
    access_key_id = models.CharField(max_length=20, blank=True)
    resource_type = models.CharField(max_length=64, blank=True)
    resource_arn = models.CharField(max_length=2048, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    request_id = models.CharField(max_length=36)
    shared_event_id = models.UUIDField(null=True, blank=True)
    record = models.JSONField()

    class Meta:
        ordering = ["-event_time", "-event_id"]
        # Every LookupEvents path is "this account, this region, newest first", optionally filtered.
        indexes = [
            models.Index(fields=["recipient_account", "region", "-event_time"], name="audit_account_time"),
            models.Index(fields=["recipient_account", "region", "event_name", "-event_time"], name="audit_event_name"),
            models.Index(fields=["recipient_account", "region", "username", "-event_time"], name="audit_username"),
            models.Index(fields=["recipient_account", "region", "resource_arn", "-event_time"], name="audit_resource"),
            models.Index(fields=["recipient_account", "region", "access_key_id", "-event_time"], name="audit_access_key"),
            models.Index(fields=["recipient_account", "region", "read_only", "-event_time"], name="audit_read_only"),
            models.Index(fields=["recipient_account", "region", "event_source", "-event_time"], name="audit_source"),
            models.Index(fields=["recipient_account", "region", "resource_type", "-event_time"], name="audit_resource_type"),
            models.Index(fields=["request_id"], name="audit_request_id"),
            models.Index(fields=["event_time"], name="audit_event_time"),
        ]

    def __str__(self):
        return f"{self.event_time:%Y-%m-%dT%H:%M:%SZ} {self.event_name} {self.principal_arn}"
