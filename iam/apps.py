from django.apps import AppConfig


class IamConfig(AppConfig):
    name = "iam"
    verbose_name = "IAM operations and pages"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from iam.catalogue import sync_catalogue

        # post_migrate is sent only for apps with models: the catalogue's rows live in the accounts app.
        post_migrate.connect(sync_catalogue, sender=apps.get_app_config("accounts"),
                             dispatch_uid="iam-sync-aws-managed-policies")
