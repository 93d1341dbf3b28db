"""The key's side of a decision: the key policy, the grants on the key and the kms: condition keys.

The caller's side (IAM policies, groups, session policy, global condition keys) comes from accounts.authz;
this module adds the key's, asks policies.engine, remembers the decision on the call (the console and the
audit trail explain it) and raises AccessDeniedException when it denies.
"""

from accounts.authz import authorize_identity_action, global_context
from awsapi import errors
from keys.models import Grant, Key
from kmsconsole import statecache
from policies.engine import AccessRequest, GrantView, evaluate_key_access
from policies.grammar import parse_policy_cached

# Operations whose requests carry kms:GrantIsForAWSResource; a direct call is never "for an AWS resource".
_GRANT_MANAGEMENT_ACTIONS = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}


def request_context(call, key: Key | None, action: str, extra: dict | None = None,
                    encryption_context: dict | None = None) -> dict:
    context = global_context(call)
    if key is not None:
        context.update({
            "kms:KeySpec": key.key_spec,
            "kms:KeyUsage": key.key_usage,
            "kms:KeyOrigin": key.origin,
            "kms:MultiRegion": key.multi_region,
            **({"kms:MultiRegionKeyType": "PRIMARY" if key.is_primary else "REPLICA"} if key.multi_region else {}),
            "kms:ResourceAliases": statecache.get("key-aliases", key.pk,
                                                  lambda: [a.name for a in key.aliases.all()]),
        })
        tags = statecache.get("key-tags", key.pk, lambda: [(t.tag_key, t.tag_value) for t in key.tags.all()])
        for tag_key, tag_value in tags:
            context[f"aws:ResourceTag/{tag_key}"] = tag_value
    if call.requested_alias:
        context["kms:RequestAlias"] = call.requested_alias
    if action in _GRANT_MANAGEMENT_ACTIONS:
        context["kms:GrantIsForAWSResource"] = False
    if encryption_context is not None:
        context["kms:EncryptionContextKeys"] = sorted(encryption_context)
        for name, value in encryption_context.items():
            context[f"kms:EncryptionContext:{name}"] = value
    if extra:
        context.update(extra)
    return context


def _grants_for(principal, key: Key) -> list[GrantView]:
    # Only grants that could name this caller: its own ARN, its role's ARN, or its account.
    names = {principal.arn, principal.account.root_arn}
    if principal.role is not None:
        names.add(principal.role.arn)
    return [grant for grant in statecache.get("key-grants", key.pk, lambda: _load_grants(key))
            if grant.grantee_principal in names]


def _load_grants(key: Key) -> list[GrantView]:
    return [
        GrantView(
            grant_id=g.grant_id,
            grantee_principal=g.grantee_principal,
            operations=frozenset(g.operations),
            constraints=g.constraints or None,
            retiring_principal=g.retiring_principal or None,
        )
        for g in Grant.objects.filter(key=key)
    ]


def authorize_key(call, key: Key, action: str, *, extra_context: dict | None = None,
                  encryption_context: dict | None = None):
    """Decide whether the call's principal may perform `action` on `key`; raise AccessDenied if not."""
    principal = call.principal
    call.add_resource(key.arn, key.account_id)
    request = AccessRequest(
        caller=principal.caller(),
        action=action,
        resource_arn=key.arn,
        resource_account=key.account_id,
        region=call.region,
        context=request_context(call, key, action, extra_context, encryption_context),
        encryption_context=encryption_context,
    )
    decision = evaluate_key_access(
        request,
        key_policy=parse_policy_cached(key.policy),
        key_account=key.account_id,
        key_region=key.region,
        identity_policies=principal.identity_policies(),
        session_policy=principal.session_policy(),
        grants=_grants_for(principal, key),
        caller_region_enabled=principal.account.region_enabled(key.region),
    )
    call.decisions.append(decision)
    if not decision.allowed:
        raise errors.AccessDeniedException(decision.access_denied_message(), decision=decision)
    return decision


def authorize_account_action(call, action: str, resource_arn: str = "*", *, extra_context: dict | None = None):
    """KMS actions with no key to ask (CreateKey, ListKeys, GenerateRandom...): IAM alone decides, with the
    KMS request's condition keys (kms:RequestAlias, grant keys) as well as the global ones."""
    return authorize_identity_action(call, action, resource_arn,
                                     context=request_context(call, None, action, extra_context))
