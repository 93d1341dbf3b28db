"""The IAM section of the console: /iam/... Each page module declares its own urlpatterns."""

from iam.views import account, groups, policies, roles, users

app_name = "iam"

urlpatterns = users.urlpatterns + groups.urlpatterns + roles.urlpatterns + policies.urlpatterns + account.urlpatterns
