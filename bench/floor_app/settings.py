"""The benchmark's floor: the least a Django + DRF service can do per Encrypt request.

One view parses the same JSON body our endpoint gets, does one AES-GCM encryption and writes the same
audit row to the same database, with none of the pipeline around it (no SigV4, no key lookup, no policy
evaluation). bench/bench_api.py serves it with gunicorn next to the real server and compares the two.
"""

import os
import secrets

import dj_database_url

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework", "audit"]
MIDDLEWARE = []
ROOT_URLCONF = "bench.floor_app.urls"
# The same connection settings as the real server (kmsconsole/settings.py): kept connections, no health
# check query, commits that do not wait for the WAL flush.
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}
DATABASES["default"]["OPTIONS"] = {"options": "-c synchronous_commit=off"}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
