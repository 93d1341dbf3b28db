"""/api/: the REST API v1, its OpenAPI schema and its documentation pages."""

from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from restapi.base import UnknownResource
from restapi.views import access, crypto, events, iam, keys, policy
from restapi.views import labs as lab_views

app_name = "restapi"

urlpatterns = [
    path("v1/keys", keys.KeyList.as_view(), name="keys"),
    path("v1/keys/<key:key>", keys.KeyDetail.as_view(), name="key"),
    path("v1/keys/<key:key>/enable", keys.KeyEnable.as_view(), name="key-enable"),
    path("v1/keys/<key:key>/disable", keys.KeyDisable.as_view(), name="key-disable"),
    path("v1/keys/<key:key>/deletion", keys.KeyDeletion.as_view(), name="key-deletion"),
    path("v1/keys/<key:key>/policy", policy.KeyPolicy.as_view(), name="key-policy"),
    path("v1/keys/<key:key>/policy/versions", policy.KeyPolicyVersions.as_view(), name="key-policy-versions"),
    path("v1/keys/<key:key>/accounts", policy.KeyAccounts.as_view(), name="key-accounts"),
    path("v1/keys/<key:key>/accounts/<str:account_id>", policy.KeyAccount.as_view(), name="key-account"),
    path("v1/keys/<key:key>/grants", keys.KeyGrants.as_view(), name="key-grants"),
    path("v1/keys/<key:key>/grants/<str:grant_id>", keys.KeyGrant.as_view(), name="key-grant"),
    path("v1/keys/<key:key>/aliases", keys.KeyAliases.as_view(), name="key-aliases"),
    path("v1/keys/<key:key>/tags", keys.KeyTags.as_view(), name="key-tags"),
    path("v1/keys/<key:key>/tags/<str:tag_key>", keys.KeyTag_.as_view(), name="key-tag"),
    path("v1/keys/<key:key>/encrypt", crypto.KeyEncrypt.as_view(), name="key-encrypt"),
    path("v1/keys/<key:key>/decrypt", crypto.KeyDecrypt.as_view(), name="key-decrypt"),
    path("v1/keys/<key:key>/generate-data-key", crypto.KeyGenerateDataKey.as_view(), name="key-generate-data-key"),
    path("v1/keys/<key:key>/who-can-use", access.WhoCanUse.as_view(), name="key-who-can-use"),
    path("v1/aliases", keys.AliasList.as_view(), name="aliases"),
    path("v1/aliases/<str:alias>", keys.AliasDetail.as_view(), name="alias"),
    path("v1/events", events.EventList.as_view(), name="events"),
    path("v1/access/simulate", access.Simulate.as_view(), name="simulate"),
    path("v1/policies/validate", policy.ValidatePolicy.as_view(), name="validate-policy"),
    path("v1/iam/users", iam.IamUsers.as_view(), name="iam-users"),
    path("v1/iam/roles", iam.IamRoles.as_view(), name="iam-roles"),
    path("v1/iam/policies", iam.IamPolicies.as_view(), name="iam-policies"),
    path("v1/labs", lab_views.LabList.as_view(), name="labs"),
    path("v1/labs/<str:lab>", lab_views.LabDetail.as_view(), name="lab"),
    path("v1/labs/<str:lab>/classes", lab_views.LabClasses.as_view(), name="lab-classes"),
    path("v1/seat", lab_views.SeatDetail.as_view(), name="seat"),
    path("v1/seat/steps/<str:step>/check", lab_views.SeatStepCheck.as_view(), name="seat-step-check"),
    path("v1/seat/steps/<str:step>/hints", lab_views.SeatStepHint.as_view(), name="seat-step-hints"),
    path("v1/classes", lab_views.ClassList.as_view(), name="classes"),
    path("v1/classes/<uuid:class_id>", lab_views.ClassDetail.as_view(), name="class"),
    path("v1/classes/<uuid:class_id>/results.csv", lab_views.ClassResults.as_view(), name="class-results"),
    path("v1/classes/<uuid:class_id>/close", lab_views.ClassClose.as_view(), name="class-close"),
    path("v1/classes/<uuid:class_id>/seats/<int:number>", lab_views.ClassSeat.as_view(), name="class-seat"),
    path("v1/classes/<uuid:class_id>/seats/<int:number>/reset", lab_views.SeatReset.as_view(), name="seat-reset"),
    path("v1/classes/<uuid:class_id>/seats/<int:number>/solve", lab_views.SeatSolve.as_view(), name="seat-solve"),
    re_path(r"^v1/", UnknownResource.as_view()),
    path("schema/", SpectacularAPIView.as_view(urlconf=None), name="schema"),
    # Swagger UI's start-up script is served as a file (the split view): no inline script under our CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="restapi:schema",
                                                      template_name="restapi/swagger_ui.html"), name="docs"),
    # Redoc styles itself with <style> elements it writes at run time and searches in a blob: worker; the
    # console's CSP allows neither, so this one page (static documentation, no forms, no user data) does.
    path("redoc/", csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
        SpectacularRedocView.as_view(url_name="restapi:schema", template_name="restapi/redoc.html")), name="redoc"),
]
