"""The console's pages, and POST / (the AWS endpoint) on the same URL as the console's home."""

from django.urls import include, path

from awsapi.endpoint import AwsEndpoint

urlpatterns = [
    path("", AwsEndpoint.as_view(), name="home"),
    path("api/", include("restapi.urls")),
    path("keys/", include("keys.urls")),
    path("iam/", include("iam.urls")),
    path("labs/", include("labs.urls")),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
]
