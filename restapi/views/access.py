"""Who may do what with a key, and why: the console's access explainer and "Who can use" grid over the API.

Both reveal the key policy, so the caller must first be allowed GetKeyPolicy on the key (run as the caller,
authorised and recorded like any call), as on the key page; "Who can use" is for the key's own account.
Operators (Django staff signed in to the console) get the operator view, with every account's policies,
unless they ask for `?view=account`; every answer says which view it is.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from awsapi import errors
from keys.access_explainer import BadQuestion, explain_access
from keys.models import Key
from keys.who_can_use import who_can_use
from restapi.base import KEY_PARAMETER, ApiView, body, body_members, responses, run

VIEW_PARAMETER = OpenApiParameter("view", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["account"],
                                  description="`account`: an operator asks for the view the key's account has.")
SIDE_SCHEMA = {"type": "object", "properties": {"decision": {"type": "string"}, "summary": {"type": "string"}}}
ANSWER_SCHEMA = {"type": "object", "required": ["principal_arn", "action", "view", "verdict", "explanation"],
                 "properties": {
                     "principal_arn": {"type": "string"}, "action": {"type": "string"},
                     "view": {"type": "string", "enum": ["account", "operator"]},
                     "verdict": {"type": "string", "enum": ["allowed", "denied", "depends-on-other-account",
                                                            "unknown"]},
                     "effect": {"type": "string", "nullable": True}, "explanation": {"type": "string"},
                     "key_side": SIDE_SCHEMA, "caller_side": SIDE_SCHEMA,
                     "reasons": {"type": "array", "items": {"type": "object", "properties": {
                         "source": {"type": "string"}, "effect": {"type": "string"}, "detail": {"type": "string"},
                         "account": {"type": "string"}}}},
                     "note": {"type": "string", "nullable": True}}}
SIMULATE_BODY = {"type": "object", "required": ["principal", "action", "resource"], "properties": {
    "principal": {"type": "string", "description": "A principal ARN or a 12-digit account id."},
    "action": {"type": "string", "description": "A KMS action on a key, e.g. kms:Decrypt."},
    "resource": {"type": "string", "description": "The key: id, alias/<name>, key ARN or alias ARN."},
    "context": {"type": "object", "properties": {"source_ip": {"type": "string"}},
                "description": "Request context: the source IP the request would come from."}}}
GRID_SCHEMA = {"type": "object", "required": ["key_arn", "view", "actions", "rows"], "properties": {
    "key_arn": {"type": "string"}, "view": {"type": "string", "enum": ["account", "operator"]},
    "actions": {"type": "array", "items": {"type": "string"}},
    "rows": {"type": "array", "items": {"type": "object", "properties": {
        "principal": {"type": "string"}, "account": {"type": "string"}, "kind": {"type": "string"},
        "iam_known": {"type": "boolean"},
        "cells": {"type": "array", "items": {"type": "object", "properties": {
            "action": {"type": "string"}, "verdict": {"type": "string"},
            "path": {"type": "array", "items": {"type": "string"}}, "missing": {"type": "string"}}}}}}}}}


def operator_view(request) -> bool:
    return request.user.operator and request.query_params.get("view") != "account"


def _text(members: dict, name: str, where: str | None = None) -> str:
    value = members.get(name)
    if not isinstance(value, str) or not value.strip():
        raise errors.ValidationException(f"{where or name} must be a non-empty string.", field=where or name)
    return value


def _readable_key(request, key: str) -> Key:
    """The key, once GetKeyPolicy as the caller has allowed reading its policy."""
    _, call = run(request, "kms", "GetKeyPolicy", KeyId=key, PolicyName="default")
    return Key.objects.get(arn=call.resources[0].arn)


class Simulate(ApiView):
    @extend_schema(operation_id="access_simulate", summary="May this principal do this action on this key, and "
                   "why? (the console's access explainer)", parameters=[VIEW_PARAMETER], request=body(SIMULATE_BODY),
                   responses=responses(ANSWER_SCHEMA))
    def post(self, request):
        members = body_members(request)
        principal, action = _text(members, "principal"), _text(members, "action")
        resource = _text(members, "resource")
        context = members.get("context") or {}
        if not isinstance(context, dict):
            raise errors.ValidationException("context must be an object.", field="context")
        source_ip = context.get("source_ip") or request.META.get("REMOTE_ADDR") or "127.0.0.1"
        if not isinstance(source_ip, str):
            raise errors.ValidationException("context.source_ip must be a string.", field="context.source_ip")
        key = _readable_key(request, resource)
        try:
            answer = explain_access(key, principal, action, region=request.user.region, source_ip=source_ip,
                                    operator=operator_view(request))
        except BadQuestion as bad:
            raise errors.ValidationException(str(bad), field={"principal_arn": "principal"}.get(bad.field, bad.field))
        return Response(answer.as_dict())


class WhoCanUse(ApiView):
    @extend_schema(operation_id="keys_who_can_use", summary="Every principal that can use the key, action by "
                   "action, and by which statements (the key page's \"Who can use\")",
                   parameters=[KEY_PARAMETER, VIEW_PARAMETER], responses=responses(GRID_SCHEMA))
    def get(self, request, key):
        operator = operator_view(request)
        _, call = run(request, "kms", "DescribeKey", KeyId=key)
        resource = call.resources[0]
        if not operator:
            if resource.account_id != request.user.principal.account_id:
                raise errors.AccessDeniedException("Only principals of the key's account can see who can use it.")
            _readable_key(request, resource.arn)
        grid = who_can_use(Key.objects.get(arn=resource.arn), operator=operator,
                           source_ip=request.META.get("REMOTE_ADDR") or "127.0.0.1")
        return Response({"key_arn": grid.key_arn, "view": grid.view, "actions": list(grid.actions),
                         "rows": grid.as_dicts()})
