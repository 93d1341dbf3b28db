"""The key pages, under /keys/ of the console."""

from django.urls import path

from keys import views

app_name = "keys"

urlpatterns = [
    path("", views.key_list, name="key_list"),
    path("create/", views.create_key, name="create_key"),
    path("use/", views.use_key, name="use_key"),
    path("<str:key_id>/", views.key_detail, name="key_detail"),
    path("<str:key_id>/tabs/<str:tab>/", views.key_tab, name="key_tab"),
    path("<str:key_id>/description/", views.update_description, name="update_description"),
    path("<str:key_id>/actions/<str:action>/", views.key_action, name="key_action"),
    path("<str:key_id>/policy/edit/", views.edit_policy, name="edit_policy"),
    path("<str:key_id>/policy/save/", views.save_policy, name="save_policy"),
    path("<str:key_id>/policy/check/", views.check_policy, name="check_policy"),
    path("<str:key_id>/tags/", views.edit_tags, name="edit_tags"),
    path("<str:key_id>/rotation/", views.edit_rotation, name="edit_rotation"),
    path("<str:key_id>/grants/revoke/", views.revoke_grant, name="revoke_grant"),
    path("<str:key_id>/public-key.pem", views.public_key_pem, name="public_key_pem"),
    path("<str:key_id>/access/", views.explain, name="explain"),
]
