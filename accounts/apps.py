from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and IAM"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from accounts import models as iam
        from keys import models as kms
        from kmsconsole import statecache

        # Everything authentication and authorisation read: a change to any of it moves the state token.
        watched = [
            iam.Account, iam.IamUser, iam.IamRole, iam.IamGroup, iam.IamPolicy, iam.PolicyVersion, iam.InlinePolicy,
            iam.RoleSession,
            iam.AccessKey, kms.Key, kms.KeyMaterial, kms.Alias, kms.KeyTag, kms.Grant,
        ]
        for model in watched:
            post_save.connect(statecache.bump, sender=model, dispatch_uid=f"statecache-save-{model.__name__}")
            post_delete.connect(statecache.bump, sender=model, dispatch_uid=f"statecache-delete-{model.__name__}")
        for through in (iam.IamUser.managed_policies.through, iam.IamRole.managed_policies.through,
                        iam.IamGroup.managed_policies.through, iam.IamUser.groups.through):
            m2m_changed.connect(statecache.bump, sender=through, dispatch_uid=f"statecache-m2m-{through.__name__}")
