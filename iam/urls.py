"""The IAM section of the console: /iam/..."""

import importlib

from django.urls import path  # noqa: F401  (the page modules' urlpatterns use it)

app_name = "iam"

urlpatterns = []
# Each page module declares its own urlpatterns; a module not written yet is skipped.
for _name in ("users", "groups", "roles", "policies", "account"):
    try:
        urlpatterns += importlib.import_module(f"iam.views.{_name}").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"iam.views.{_name}":
            raise
