"""Keys and what hangs off a key: state, deletion, tags, aliases and grants. Each view is one KMS operation
(the key page: three) run as the caller; members keep the KMS API's names."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from awsapi.errors import AwsError
from keys.models import Alias, Grant, Key, KeyTag
from restapi import wire
from restapi.base import (KEY_PARAMETER, ApiView, OperationFilterSet, body, body_members, limit_filter, page,
                          page_schema, path_parameter, responses, run)

# What another account may not read of a key (its aliases and tags): AWS answers these errors, the key page
# shows null for the member.
_NOT_VISIBLE = {"AccessDeniedException", "NotFoundException"}


class KeyListFilter(OperationFilterSet):
    limit = limit_filter(1000, 100)

    class Meta:
        model = Key
        fields = []


class KeyList(ApiView):
    @extend_schema(operation_id="keys_list", summary="List the caller's keys in its region (ListKeys)",
                   parameters=KeyListFilter.parameters(),
                   responses=responses(page_schema(wire.schema("kms", "KeyListEntry"))))
    def get(self, request):
        query = KeyListFilter.read(request)
        result, _ = run(request, "kms", "ListKeys", Limit=query["limit"], Marker=query["cursor"] or None)
        keys = wire.encode_output("kms", "ListKeys", result).get("Keys", [])
        return Response(page(request, keys, result.get("NextMarker") if result.get("Truncated") else None))

    @extend_schema(operation_id="keys_create", summary="Create a key (CreateKey)",
                   request=body(wire.input_schema("kms", "CreateKey")),
                   responses=responses(wire.output_schema("kms", "CreateKey"), status=201))
    def post(self, request):
        result, _ = run(request, "kms", "CreateKey", wire=body_members(request))
        return Response(wire.encode_output("kms", "CreateKey", result), status=201)


KEY_DETAIL_SCHEMA = {"type": "object", "required": ["KeyMetadata"], "properties": {
    "KeyMetadata": wire.schema("kms", "KeyMetadata"),
    "Aliases": {"type": "array", "nullable": True, "items": wire.schema("kms", "AliasListEntry"),
                "description": "null when the caller may not list the key's aliases (another account's key)."},
    "Tags": {"type": "array", "nullable": True, "items": wire.schema("kms", "Tag"),
             "description": "null when the caller may not list the key's tags (another account's key)."},
}}


def _visible(request, operation: str, member: str, **params):
    try:
        result, _ = run(request, "kms", operation, **params)
    except AwsError as error:
        if error.code in _NOT_VISIBLE:
            return None
        raise
    return wire.encode_output("kms", operation, result).get(member, [])


class KeyDetail(ApiView):
    @extend_schema(operation_id="keys_retrieve", summary="A key with its aliases and tags (DescribeKey, "
                   "ListAliases, ListResourceTags)", parameters=[KEY_PARAMETER], responses=responses(KEY_DETAIL_SCHEMA))
    def get(self, request, key):
        result, _ = run(request, "kms", "DescribeKey", KeyId=key)
        metadata = wire.encode_output("kms", "DescribeKey", result)["KeyMetadata"]
        arn = metadata["Arn"]
        return Response({
            "KeyMetadata": metadata,
            # The key's own aliases only: ListAliases names a key by id or ARN of the caller's account.
            "Aliases": _visible(request, "ListAliases", "Aliases", KeyId=arn, Limit=100),
            "Tags": _visible(request, "ListResourceTags", "Tags", KeyId=arn, Limit=50),
        })

    @extend_schema(operation_id="keys_update_description", summary="Change the description "
                   "(UpdateKeyDescription)", parameters=[KEY_PARAMETER],
                   request=body(wire.input_schema("kms", "UpdateKeyDescription")),
                   responses=responses(wire.output_schema("kms", "DescribeKey")))
    def patch(self, request, key):
        run(request, "kms", "UpdateKeyDescription", wire=body_members(request), KeyId=key)
        result, _ = run(request, "kms", "DescribeKey", KeyId=key)
        return Response(wire.encode_output("kms", "DescribeKey", result))


def _state_view(operation: str, verb: str):
    class KeyState(ApiView):
        @extend_schema(operation_id=f"keys_{verb}", summary=f"{verb.capitalize()} the key ({operation})",
                       parameters=[KEY_PARAMETER], request=None, responses=responses({}, status=204, empty=True))
        def post(self, request, key):
            run(request, "kms", operation, KeyId=key)
            return Response(status=204)

    KeyState.__name__ = KeyState.__qualname__ = f"Key{verb.capitalize()}"
    return KeyState


KeyEnable = _state_view("EnableKey", "enable")
KeyDisable = _state_view("DisableKey", "disable")


class KeyDeletion(ApiView):
    @extend_schema(operation_id="keys_schedule_deletion", summary="Schedule the key's deletion "
                   "(ScheduleKeyDeletion)", parameters=[KEY_PARAMETER],
                   request=body(wire.input_schema("kms", "ScheduleKeyDeletion")),
                   responses=responses(wire.output_schema("kms", "ScheduleKeyDeletion")))
    def post(self, request, key):
        result, _ = run(request, "kms", "ScheduleKeyDeletion", wire=body_members(request), KeyId=key)
        return Response(wire.encode_output("kms", "ScheduleKeyDeletion", result))

    @extend_schema(operation_id="keys_cancel_deletion", summary="Cancel the key's deletion (CancelKeyDeletion)",
                   parameters=[KEY_PARAMETER], responses=responses(wire.output_schema("kms", "CancelKeyDeletion")))
    def delete(self, request, key):
        result, _ = run(request, "kms", "CancelKeyDeletion", KeyId=key)
        return Response(wire.encode_output("kms", "CancelKeyDeletion", result))


# ---- tags ----


class TagListFilter(OperationFilterSet):
    limit = limit_filter(50, 50)

    class Meta:
        model = KeyTag
        fields = []


class KeyTags(ApiView):
    @extend_schema(operation_id="keys_tags_list", summary="The key's tags (ListResourceTags)",
                   parameters=[KEY_PARAMETER, *TagListFilter.parameters()],
                   responses=responses(page_schema(wire.schema("kms", "Tag"))))
    def get(self, request, key):
        query = TagListFilter.read(request)
        result, _ = run(request, "kms", "ListResourceTags", KeyId=key, Limit=query["limit"],
                        Marker=query["cursor"] or None)
        tags = wire.encode_output("kms", "ListResourceTags", result).get("Tags", [])
        return Response(page(request, tags, result.get("NextMarker") if result.get("Truncated") else None))

    @extend_schema(operation_id="keys_tags_add", summary="Add or change tags (TagResource)",
                   parameters=[KEY_PARAMETER], request=body(wire.input_schema("kms", "TagResource")),
                   responses=responses({}, status=204, empty=True))
    def post(self, request, key):
        run(request, "kms", "TagResource", wire=body_members(request), KeyId=key)
        return Response(status=204)


class KeyTag_(ApiView):
    @extend_schema(operation_id="keys_tags_remove", summary="Remove a tag (UntagResource)",
                   parameters=[KEY_PARAMETER, path_parameter("tag_key", "The tag key.")],
                   responses=responses({}, status=204, empty=True))
    def delete(self, request, key, tag_key):
        run(request, "kms", "UntagResource", KeyId=key, TagKeys=[tag_key])
        return Response(status=204)


# ---- aliases ----


class AliasListFilter(OperationFilterSet):
    limit = limit_filter(100, 50)

    class Meta:
        model = Alias
        fields = []


def _alias_page(request, key: str | None):
    query = AliasListFilter.read(request)
    result, _ = run(request, "kms", "ListAliases", KeyId=key, Limit=query["limit"], Marker=query["cursor"] or None)
    aliases = wire.encode_output("kms", "ListAliases", result).get("Aliases", [])
    return Response(page(request, aliases, result.get("NextMarker") if result.get("Truncated") else None))


class AliasList(ApiView):
    @extend_schema(operation_id="aliases_list", summary="The aliases of the caller's account and region "
                   "(ListAliases)", parameters=AliasListFilter.parameters(),
                   responses=responses(page_schema(wire.schema("kms", "AliasListEntry"))))
    def get(self, request):
        return _alias_page(request, None)

    @extend_schema(operation_id="aliases_create", summary="Create an alias (CreateAlias)",
                   request=body(wire.input_schema("kms", "CreateAlias", drop=())),
                   responses=responses({}, status=204, empty=True))
    def post(self, request):
        run(request, "kms", "CreateAlias", wire=body_members(request))
        return Response(status=204)


ALIAS_PARAMETER = path_parameter("alias", "The alias name without its alias/ prefix.")


class AliasDetail(ApiView):
    @extend_schema(operation_id="aliases_update", summary="Point the alias at another key (UpdateAlias)",
                   parameters=[ALIAS_PARAMETER],
                   request=body(wire.input_schema("kms", "UpdateAlias", drop=("AliasName",))),
                   responses=responses({}, status=204, empty=True))
    def patch(self, request, alias):
        run(request, "kms", "UpdateAlias", wire=body_members(request), AliasName=f"alias/{alias}")
        return Response(status=204)

    @extend_schema(operation_id="aliases_delete", summary="Delete an alias (DeleteAlias)",
                   parameters=[ALIAS_PARAMETER], responses=responses({}, status=204, empty=True))
    def delete(self, request, alias):
        run(request, "kms", "DeleteAlias", AliasName=f"alias/{alias}")
        return Response(status=204)


class KeyAliases(ApiView):
    @extend_schema(operation_id="keys_aliases_list", summary="The key's aliases (ListAliases with KeyId)",
                   parameters=[KEY_PARAMETER, *AliasListFilter.parameters()],
                   responses=responses(page_schema(wire.schema("kms", "AliasListEntry"))))
    def get(self, request, key):
        return _alias_page(request, key)


# ---- grants ----


class GrantListFilter(OperationFilterSet):
    limit = limit_filter(100, 50)
    grant_id = filters.CharFilter(help_text="Only the grant with this id.")
    grantee_principal = filters.CharFilter(help_text="Only grants for this grantee principal (ARN).")

    class Meta:
        model = Grant
        fields = []


class KeyGrants(ApiView):
    @extend_schema(operation_id="keys_grants_list", summary="The key's grants (ListGrants)",
                   parameters=[KEY_PARAMETER, *GrantListFilter.parameters()],
                   responses=responses(page_schema(wire.schema("kms", "GrantListEntry"))))
    def get(self, request, key):
        query = GrantListFilter.read(request)
        result, _ = run(request, "kms", "ListGrants", KeyId=key, Limit=query["limit"],
                        Marker=query["cursor"] or None, GrantId=query["grant_id"] or None,
                        GranteePrincipal=query["grantee_principal"] or None)
        grants = wire.encode_output("kms", "ListGrants", result).get("Grants", [])
        return Response(page(request, grants, result.get("NextMarker") if result.get("Truncated") else None))

    @extend_schema(operation_id="keys_grants_create", summary="Create a grant (CreateGrant)",
                   parameters=[KEY_PARAMETER], request=body(wire.input_schema("kms", "CreateGrant")),
                   responses=responses(wire.output_schema("kms", "CreateGrant"), status=201))
    def post(self, request, key):
        result, _ = run(request, "kms", "CreateGrant", wire=body_members(request), KeyId=key)
        return Response(wire.encode_output("kms", "CreateGrant", result), status=201)


class KeyGrant(ApiView):
    @extend_schema(operation_id="keys_grants_revoke", summary="Revoke a grant (RevokeGrant)",
                   parameters=[KEY_PARAMETER, path_parameter("grant_id", "The grant id.")],
                   responses=responses({}, status=204, empty=True))
    def delete(self, request, key, grant_id):
        run(request, "kms", "RevokeGrant", KeyId=key, GrantId=grant_id)
        return Response(status=204)
