# A managed policy's version counter: version ids are never reused within a policy, as on AWS.

from django.db import migrations, models


def continue_after_highest_version(apps, schema_editor):
    """Existing policies go on after the highest version they hold (v1 for every policy so far)."""
    IamPolicy = apps.get_model("accounts", "IamPolicy")
    for policy in IamPolicy.objects.prefetch_related("versions"):
        highest = max((int(version.version_id[1:]) for version in policy.versions.all()), default=1)
        if highest + 1 != policy.next_version_number:
            IamPolicy.objects.filter(pk=policy.pk).update(next_version_number=highest + 1)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_iam_groups_versions_login_profiles'),
    ]

    operations = [
        migrations.AddField(
            model_name='iampolicy',
            name='next_version_number',
            field=models.PositiveIntegerField(default=2),
        ),
        migrations.RunPython(continue_after_highest_version, migrations.RunPython.noop),
    ]
