"""The Django admin, for operators only. Secrets and password hashes are never shown."""

from django.contrib import admin

from accounts.models import AccessKey, Account, IamPolicy, IamRole, IamUser, InlinePolicy, RoleSession


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["id", "alias", "email", "created_at"]
    search_fields = ["id", "alias", "email"]
    exclude = ["root_password"]


@admin.register(IamUser)
class IamUserAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "path", "unique_id"]
    list_filter = ["account"]
    search_fields = ["name", "unique_id"]
    exclude = ["console_password"]
    filter_horizontal = ["managed_policies"]


@admin.register(IamRole)
class IamRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "path", "unique_id", "max_session_duration"]
    list_filter = ["account"]
    search_fields = ["name", "unique_id"]
    filter_horizontal = ["managed_policies"]


@admin.register(IamPolicy)
class IamPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "path", "updated_at"]
    list_filter = ["account"]
    search_fields = ["name"]


@admin.register(InlinePolicy)
class InlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role"]
    search_fields = ["name"]


@admin.register(AccessKey)
class AccessKeyAdmin(admin.ModelAdmin):
    list_display = ["access_key_id", "account", "user", "session", "status", "created_at"]
    list_filter = ["status", "account"]
    search_fields = ["access_key_id"]
    exclude = ["secret_sealed"]
    readonly_fields = ["access_key_id", "account", "user", "session", "created_at"]


@admin.register(RoleSession)
class RoleSessionAdmin(admin.ModelAdmin):
    list_display = ["session_name", "role", "source_arn", "created_at", "expires_at"]
    search_fields = ["session_name", "source_arn"]
    exclude = ["token_digest"]
