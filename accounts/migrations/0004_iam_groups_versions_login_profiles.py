# IAM groups, managed policy versions, login profiles and the AWS managed policy catalogue's rows.

import accounts.models
import django.db.models.deletion
from django.db import migrations, models


def documents_to_first_versions(apps, schema_editor):
    """Each existing policy's document becomes its version v1, the default; each gets its unique id."""
    IamPolicy = apps.get_model("accounts", "IamPolicy")
    PolicyVersion = apps.get_model("accounts", "PolicyVersion")
    for policy in IamPolicy.objects.all():
        policy.default_version = PolicyVersion.objects.create(policy=policy, version_id="v1", document=policy.document)
        policy.unique_id = accounts.models.new_policy_unique_id()
        policy.save(update_fields=["default_version", "unique_id"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_state_token'),
    ]

    operations = [
        migrations.CreateModel(
            name='IamGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128)),
                ('path', models.CharField(default='/', max_length=512)),
                ('unique_id', models.CharField(default=accounts.models.new_group_unique_id, max_length=21, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['account_id', 'name'],
            },
        ),
        migrations.CreateModel(
            name='PolicyVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version_id', models.CharField(max_length=20)),
                ('document', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['policy_id', '-created_at', '-id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='inlinepolicy',
            name='inline_policy_has_one_owner',
        ),
        migrations.AddField(
            model_name='iampolicy',
            name='unique_id',
            field=models.CharField(max_length=21, null=True),
        ),
        migrations.AddField(
            model_name='iamuser',
            name='login_profile_created_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='iamuser',
            name='password_last_used',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='iamuser',
            name='password_reset_required',
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name='iampolicy',
            name='account',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='managed_policies', to='accounts.account'),
        ),
        migrations.AddField(
            model_name='iamgroup',
            name='account',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='groups', to='accounts.account'),
        ),
        migrations.AddField(
            model_name='iamgroup',
            name='managed_policies',
            field=models.ManyToManyField(blank=True, related_name='groups', to='accounts.iampolicy'),
        ),
        migrations.AddField(
            model_name='iamuser',
            name='groups',
            field=models.ManyToManyField(blank=True, related_name='members', to='accounts.iamgroup'),
        ),
        migrations.AddField(
            model_name='inlinepolicy',
            name='group',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='inline_policies', to='accounts.iamgroup'),
        ),
        migrations.AddConstraint(
            model_name='inlinepolicy',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('user__isnull', False), ('role__isnull', True), ('group__isnull', True)), models.Q(('user__isnull', True), ('role__isnull', False), ('group__isnull', True)), models.Q(('user__isnull', True), ('role__isnull', True), ('group__isnull', False)), _connector='OR'), name='inline_policy_has_one_owner_of_three'),
        ),
        migrations.AddConstraint(
            model_name='inlinepolicy',
            constraint=models.UniqueConstraint(condition=models.Q(('group__isnull', False)), fields=('group', 'name'), name='inline_name_unique_per_group'),
        ),
        migrations.AddField(
            model_name='policyversion',
            name='policy',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='accounts.iampolicy'),
        ),
        migrations.AddField(
            model_name='iampolicy',
            name='default_version',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.policyversion'),
        ),
        migrations.RunPython(documents_to_first_versions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='iampolicy',
            name='unique_id',
            field=models.CharField(default=accounts.models.new_policy_unique_id, max_length=21, unique=True),
        ),
        migrations.RemoveField(
            model_name='iampolicy',
            name='document',
        ),
        migrations.AddConstraint(
            model_name='iampolicy',
            constraint=models.UniqueConstraint(condition=models.Q(('account__isnull', True)), fields=('name',), name='aws_managed_policy_name_unique'),
        ),
        migrations.AddConstraint(
            model_name='iampolicy',
            constraint=models.CheckConstraint(condition=models.Q(('path__regex', '^/([\\x21-\\x7e]*/)?$')), name='managed_policy_path_format'),
        ),
        migrations.AddConstraint(
            model_name='iamgroup',
            constraint=models.UniqueConstraint(fields=('account', 'name'), name='group_name_unique_per_account'),
        ),
        migrations.AddConstraint(
            model_name='iamgroup',
            constraint=models.CheckConstraint(condition=models.Q(('name__regex', '^[\\w+=,.@-]{1,128}$')), name='group_name_format'),
        ),
        migrations.AddConstraint(
            model_name='iamgroup',
            constraint=models.CheckConstraint(condition=models.Q(('path__regex', '^/([\\x21-\\x7e]*/)?$')), name='group_path_format'),
        ),
        migrations.AddConstraint(
            model_name='iamgroup',
            constraint=models.CheckConstraint(condition=models.Q(('unique_id__regex', '^AGPA[A-Z0-9]{17}$')), name='group_unique_id_format'),
        ),
        migrations.AddConstraint(
            model_name='policyversion',
            constraint=models.UniqueConstraint(fields=('policy', 'version_id'), name='policy_version_unique'),
        ),
        migrations.AddConstraint(
            model_name='policyversion',
            constraint=models.CheckConstraint(condition=models.Q(('version_id__regex', '^v[1-9][0-9]*$')), name='policy_version_id_format'),
        ),
    ]
