"""The key pages, under /keys/ of the console."""

from django.urls import path

from keys import views, views_access, views_aliases, views_create, views_key_material

app_name = "keys"

urlpatterns = [
    path("", views.key_list, name="key_list"),
    path("create/", views_create.create_key, name="create_key"),
    path("aliases/", views_aliases.alias_list, name="alias_list"),
    path("aliases/create/", views_aliases.create_alias, name="create_alias"),
    path("aliases/update/", views_aliases.update_alias, name="update_alias"),
    path("aliases/delete/", views_aliases.delete_alias, name="delete_alias"),
    path("use/", views.use_key, name="use_key"),
    path("fix/", views_access.fix_denial, name="fix_denial"),
    path("fix/apply/", views_access.apply_fix, name="apply_fix"),
    path("fix/event/<str:event_id>/", views_access.fix_event, name="fix_event"),
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
    path("<str:key_id>/aliases/add/", views_aliases.add_key_alias, name="add_key_alias"),
    path("<str:key_id>/aliases/delete/", views_aliases.delete_key_alias, name="delete_key_alias"),
    path("<str:key_id>/who-can-use.csv", views_access.who_can_use_csv, name="who_can_use_csv"),
    path("<str:key_id>/key-material/parameters/", views_key_material.download_import_parameters,
         name="download_import_parameters"),
    path("<str:key_id>/key-material/import/", views_key_material.import_key_material, name="import_key_material"),
    path("<str:key_id>/key-material/delete/", views_key_material.delete_key_material, name="delete_key_material"),
]
