from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("kmsconsole.console_urls")),
]

# The console's styled error pages (the AWS endpoint answers its own errors in its protocol's shape).
handler403 = "kmsconsole.views.permission_denied"
handler404 = "kmsconsole.views.not_found"
handler500 = "kmsconsole.views.server_error"
