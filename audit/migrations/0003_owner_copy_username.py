"""Backfill LookupEvents' Username on the key owner's copies of other accounts' calls (issue 12, item 6).

Until now those copies had no Username, so the Event history's user filter and LookupEvents' Username
attribute could not find them. The value comes from what the copy's own record shows of the caller: an
assumed role's session name (the part of principalId after the colon), else the principal id itself.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    owner_copies = AuditEvent.objects.filter(username="").exclude(caller_account="").exclude(
        caller_account__isnull=True)
    if schema_editor.connection.vendor == "postgresql":
        # One statement: a trail may hold millions of records.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET username = CASE "
                " WHEN position(':' in record->'userIdentity'->>'principalId') > 0"
                "  THEN split_part(record->'userIdentity'->>'principalId', ':', 2)"
                " ELSE coalesce(record->'userIdentity'->>'principalId', '') END "
                "WHERE username = '' AND caller_account <> '' AND caller_account <> recipient_account"
            )
        return
    for row in owner_copies.iterator():
        if row.caller_account == row.recipient_account:
            continue
        principal_id = (row.record.get("userIdentity") or {}).get("principalId") or ""
        row.username = principal_id.split(":", 1)[1] if ":" in principal_id else principal_id
        row.save(update_fields=["username"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_caller_account")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
