"""IAM users, roles and managed policies of the caller's account: the IAM list operations as the caller."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.models import IamPolicy, IamRole, IamUser
from restapi import wire
from restapi.base import ApiView, OperationFilterSet, limit_filter, page, page_schema, responses, run


class _IamFilter(OperationFilterSet):
    limit = limit_filter(1000, 100)
    path_prefix = filters.CharFilter(help_text="Only entities whose path starts with this (e.g. /division/).")


class UserFilter(_IamFilter):
    class Meta:
        model = IamUser
        fields = []


class RoleFilter(_IamFilter):
    class Meta:
        model = IamRole
        fields = []


class PolicyFilter(_IamFilter):
    scope = filters.ChoiceFilter(choices=[(s, s) for s in ("All", "AWS", "Local")],
                                 help_text="AWS managed, customer managed (Local) or both (All, the default).")
    only_attached = filters.BooleanFilter(help_text="Only policies attached to a user, group or role.")

    class Meta:
        model = IamPolicy
        fields = []


def _iam_list(operation: str, member: str, item_shape: str, filterset, summary: str, **extra_params):
    class IamList(ApiView):
        @extend_schema(operation_id=f"iam_{member.lower()}_list", summary=summary, parameters=filterset.parameters(),
                       responses=responses(page_schema(wire.schema("iam", item_shape))))
        def get(self, request):
            query = filterset.read(request)
            params = {name: query.get(field) for name, field in extra_params.items()}
            result, _ = run(request, "iam", operation, MaxItems=query["limit"], Marker=query["cursor"] or None,
                            PathPrefix=query["path_prefix"] or None, **params)
            items = wire.encode_output("iam", operation, result).get(member, [])
            return Response(page(request, items, result.get("Marker") if result.get("IsTruncated") else None))

    IamList.__name__ = IamList.__qualname__ = f"Iam{member}"
    return IamList


IamUsers = _iam_list("ListUsers", "Users", "User", UserFilter, "IAM users of the caller's account (ListUsers)")
IamRoles = _iam_list("ListRoles", "Roles", "Role", RoleFilter, "IAM roles of the caller's account (ListRoles)")
IamPolicies = _iam_list("ListPolicies", "Policies", "Policy", PolicyFilter,
                        "Managed policies the caller's account can attach (ListPolicies)",
                        Scope="scope", OnlyAttached="only_attached")
