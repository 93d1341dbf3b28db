"""The identity side of every decision: what the caller's own account says about the caller.

Gathers the principal's IAM policies (attached to the user or role, inline, and through the user's groups),
its session policy and the request's global condition keys, and decides actions that no resource policy
takes part in (kms:CreateKey, cloudtrail:LookupEvents, every iam:* action). keys/authz.py adds the key's
side (key policy, grants, kms: condition keys) on top of this; audit, STS and IAM use this module alone.
"""

from __future__ import annotations

from accounts.models import IamPolicy, InlinePolicy
from awsapi import errors
from kmsconsole import statecache
from policies.engine import AccessRequest, NamedPolicy, evaluate_identity_access
from policies.grammar import parse_policy_cached


def global_context(call) -> dict:
    """The aws: condition keys every request carries (the principal's own keys are added by the engine)."""
    return {
        "aws:SourceIp": call.source_ip,
        "aws:SecureTransport": False,
        "aws:RequestedRegion": call.region,
        "aws:ViaAWSService": False,
    }


def identity_policies(principal) -> list[NamedPolicy]:
    """The IAM policies that govern the principal, parsed once per document text; [] for the root user.

    Names say where each policy comes from, as explanations and MatchedStatements show them:
    `user/<name>/inline/<policy>`, `role/<name>/inline/<policy>`, `<managed policy name>`,
    `group/<group>/<policy>` (managed, through a group) and `group/<group>/inline/<policy>`."""
    if principal.user is not None:
        owner = ("user", principal.user.pk)
    elif principal.role is not None:
        owner = ("role", principal.role.pk)
    else:
        return []  # the root user is not governed by IAM policies
    return statecache.get("identity_policies", owner, lambda: _load_identity_policies(principal))


def _load_identity_policies(principal) -> list[NamedPolicy]:
    # Three queries whatever the number of policies and groups: inline (own and groups'), own managed,
    # managed through groups.
    if principal.user is not None:
        user = principal.user
        owner_name = f"user/{user.name}"
        inline = InlinePolicy.objects.filter(user=user) | InlinePolicy.objects.filter(group__members=user)
        managed_own = IamPolicy.objects.filter(users=user)
        managed_groups = list(IamPolicy.objects.filter(groups__members=user).values_list(
            "groups__name", "name", "default_version__document"))
    else:
        role = principal.role
        owner_name = f"role/{role.name}"
        inline = InlinePolicy.objects.filter(role=role)
        managed_own = IamPolicy.objects.filter(roles=role)
        managed_groups = []
    policies = []
    for policy in inline.select_related("group").only("name", "document", "group__name").order_by("group_id", "name"):
        prefix = f"group/{policy.group.name}" if policy.group_id else owner_name
        policies.append(NamedPolicy(name=f"{prefix}/inline/{policy.name}", policy=parse_policy_cached(policy.document)))
    for name, document in managed_own.values_list("name", "default_version__document").order_by("name"):
        policies.append(NamedPolicy(name=name, policy=parse_policy_cached(document or "{}")))
    for group_name, name, document in sorted(managed_groups):
        policies.append(NamedPolicy(name=f"group/{group_name}/{name}", policy=parse_policy_cached(document or "{}")))
    return policies


def authorize_identity_action(call, action: str, resource_arn: str = "*", *, extra_context: dict | None = None,
                              context: dict | None = None):
    """Decide an action that IAM alone decides, in the caller's own account; raise AccessDenied if denied.

    The account root user is not subject to IAM policies and may do all of these in its own account.
    `context` replaces the global condition keys (callers that built a fuller one, such as keys.authz)."""
    principal = call.principal
    request = AccessRequest(
        caller=principal.caller(),
        action=action,
        resource_arn=resource_arn,
        resource_account=principal.account_id,
        region=call.region,
        context={**(context if context is not None else global_context(call)), **(extra_context or {})},
    )
    decision = evaluate_identity_access(
        request,
        identity_policies=principal.identity_policies(),
        session_policy=principal.session_policy(),
    )
    call.decisions.append(decision)
    if not decision.allowed:
        raise errors.AccessDeniedException(decision.access_denied_message(), decision=decision)
    return decision
