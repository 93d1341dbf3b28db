"""The Django admin, for operators only. Key material is never shown."""

from django.contrib import admin

from keys.models import Alias, Grant, Key, KeyMaterial, KeyPolicyVersion, KeyTag


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 0
    fields = ["name", "created_at", "updated_at"]


class KeyTagInline(admin.TabularInline):
    model = KeyTag
    extra = 0


@admin.register(Key)
class KeyAdmin(admin.ModelAdmin):
    list_display = ["key_id", "account", "region", "key_spec", "key_usage", "state", "created_at"]
    list_filter = ["state", "region", "key_spec", "account"]
    search_fields = ["key_id", "arn", "description"]
    readonly_fields = ["arn"]
    inlines = [AliasInline, KeyTagInline]


@admin.register(KeyMaterial)
class KeyMaterialAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "material_id", "rotation_type", "created_at"]
    exclude = ["sealed"]
    readonly_fields = ["key", "version", "material_id", "rotation_type", "created_at"]


@admin.register(KeyPolicyVersion)
class KeyPolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "changed_by", "changed_at"]
    search_fields = ["changed_by"]


@admin.register(Alias)
class AliasAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "region", "key"]
    list_filter = ["account", "region"]
    search_fields = ["name"]


@admin.register(KeyTag)
class KeyTagAdmin(admin.ModelAdmin):
    list_display = ["key", "tag_key", "tag_value"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["grant_id", "key", "grantee_principal", "issuing_account", "created_at"]
    search_fields = ["grant_id", "grantee_principal", "retiring_principal"]
