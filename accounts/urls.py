"""Console sign-in, sign-out, Switch role and the region selector."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.sign_in, name="sign_in"),
    path("signin/root/", views.sign_in_root, name="sign_in_root"),
    path("signout/", views.sign_out, name="sign_out"),
    path("switchrole/", views.switch_role, name="switch_role"),
    path("switchrole/back/", views.switch_back, name="switch_back"),
    path("region/", views.select_region, name="select_region"),
]
