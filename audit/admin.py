from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["event_time", "recipient_account", "region", "event_name", "principal_arn", "error_code"]
    list_filter = ["event_name", "region", "error_code"]
    search_fields = ["principal_arn", "resource_arn", "request_id"]
    date_hierarchy = "event_time"
