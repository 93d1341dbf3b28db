from django.apps import AppConfig


class RestApiConfig(AppConfig):
    name = "restapi"
    verbose_name = "REST API v1"

    def ready(self):
        from restapi import schema  # noqa: F401  (the OpenAPI description of SigV4)
