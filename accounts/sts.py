"""STS: AssumeRole, GetCallerIdentity and GetSessionToken (reference kms.md §1.6, CONTRACT §3).

The console's "Switch role" runs the same AssumeRole (via_console=True), so one set of rules decides
who may become a role: the role's trust policy, plus the caller's IAM `sts:AssumeRole` when the trust
policy names only the caller's account or the caller is in another account (policies.engine).
"""

import base64
import datetime as dt
import hashlib
import json
import math
import re
import secrets

from django.utils import timezone

from accounts.models import AccessKey, IamPolicy, IamRole, RoleSession, new_access_key_id, new_secret_access_key
from accounts.principals import ASSUMED_ROLE, IAM_USER, ROOT, Principal
from accounts.regions import is_opt_in
from awsapi import errors
from awsapi.dispatch import operation
from policies.engine import AccessRequest, evaluate_role_trust
from policies.grammar import IDENTITY_POLICY, parse_policy_cached
from policies.validator import validate_policy

ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>[0-9]{12}):role(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]{1,64})")
DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600  # a role session assuming a role ("role chaining") gets at most one hour
SESSION_TOKEN_BYTES = 240  # AWS session tokens are several hundred base64 characters
# PackedPolicySize is a percentage of an undocumented packed limit; the plain-text limit stands in for it.
PACKED_POLICY_LIMIT = 2048

DURATION_OVER_ROLE_MAX = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
DURATION_OVER_CHAIN_MAX = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."


def new_session_token() -> str:
    return base64.b64encode(secrets.token_bytes(SESSION_TOKEN_BYTES)).decode("ascii")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _whole_seconds(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


@operation("sts", "GetCallerIdentity", read_only=True)
def get_caller_identity(call):
    # No permission is needed: AWS answers even under an explicit Deny of sts:GetCallerIdentity.
    principal = call.principal
    return {"UserId": principal.principal_id, "Account": principal.account_id, "Arn": principal.arn}


@operation("sts", "AssumeRole")
def assume_role(call):
    params = call.params
    principal = call.principal
    role = _role_named_by(call, params["RoleArn"])
    session_policy_text = _session_policy(params, role)
    _check_trust(call, role, params, session_policy_text)
    _check_region(call, role)
    duration = _duration(call, role, params.get("DurationSeconds"))

    token = new_session_token()
    session = RoleSession.objects.create(
        role=role,
        session_name=params["RoleSessionName"],
        source_arn=principal.arn,
        session_policy=session_policy_text or "",
        token_digest=token_digest(token),
        source_identity=params.get("SourceIdentity", ""),
        expires_at=_whole_seconds(timezone.now()) + dt.timedelta(seconds=duration),
    )
    secret = new_secret_access_key()
    access_key = AccessKey(access_key_id=new_access_key_id("ASIA"), account=role.account, session=session)
    access_key.secret_access_key = secret
    access_key.save()
    call.add_resource(role.arn, role.account_id, "AWS::IAM::Role")
    call.assumed_session = session  # the console keeps the session id; not part of the wire answer

    assumed_role_user = {"AssumedRoleId": session.principal_id, "Arn": session.arn}
    call.response_elements = {
        "credentials": {"accessKeyId": access_key.access_key_id, "expiration": _iso(session.expires_at)},
        "assumedRoleUser": {"assumedRoleId": session.principal_id, "arn": session.arn},
    }
    result = {
        "Credentials": {
            "AccessKeyId": access_key.access_key_id,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": session.expires_at,
        },
        "AssumedRoleUser": assumed_role_user,
        "SourceIdentity": session.source_identity or None,
    }
    if session_policy_text:
        result["PackedPolicySize"] = _packed_size(session_policy_text)
    return result


@operation("sts", "GetSessionToken")
def get_session_token(call):
    """Temporary credentials for an IAM user (or the root user) that act as that same principal."""
    principal = call.principal
    if principal.kind == ASSUMED_ROLE or _is_session_key(principal.access_key_id):
        raise errors.AccessDeniedException("Cannot call GetSessionToken with session credentials")
    duration = call.params.get("DurationSeconds", 43200)
    if principal.kind == ROOT:
        duration = min(duration, 3600)  # the root user's session tokens last at most one hour
    token = new_session_token()
    expires_at = _whole_seconds(timezone.now()) + dt.timedelta(seconds=duration)
    secret = new_secret_access_key()
    access_key = AccessKey(
        access_key_id=new_access_key_id("ASIA"),
        account=principal.account,
        user=principal.user if principal.kind == IAM_USER else None,
        session_token_digest=token_digest(token),
        expires_at=expires_at,
    )
    access_key.secret_access_key = secret
    access_key.save()
    call.response_elements = {
        "credentials": {"accessKeyId": access_key.access_key_id, "expiration": _iso(expires_at)},
    }
    return {
        "Credentials": {
            "AccessKeyId": access_key.access_key_id,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": expires_at,
        }
    }


def _is_session_key(access_key_id: str) -> bool:
    return bool(access_key_id) and AccessKey.objects.filter(
        access_key_id=access_key_id, expires_at__isnull=False).exists()


# ---- AssumeRole steps ------------------------------------------------------------------------------------

def _denied(principal: Principal, role_arn: str) -> errors.AwsError:
    return errors.AccessDeniedException(
        f"User: {principal.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")


def _role_named_by(call, role_arn: str) -> IamRole:
    principal = call.principal
    if principal.kind == ROOT:
        raise errors.AccessDeniedException("Roles may not be assumed by root accounts.")
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise errors.ValidationException(f"{role_arn} is invalid")
    role = (IamRole.objects.select_related("account")
            .filter(account_id=match["account"], name=match["name"]).first())
    # A role that does not exist reads exactly like one that does not trust the caller: nothing leaks.
    if role is None or role.path != match["path"]:
        raise _denied(principal, role_arn)
    return role


def _session_policy(params: dict, role: IamRole) -> str | None:
    """The session policy as one document: the inline Policy plus the statements of PolicyArns."""
    statements: list = []
    if params.get("Policy"):
        findings = validate_policy(params["Policy"], IDENTITY_POLICY)
        errors_found = [f for f in findings if f.severity == "ERROR"]
        if errors_found:
            raise errors.MalformedPolicyDocumentException(errors_found[0].message, field="Policy")
        statements += _statements_of(params["Policy"])
    for descriptor in params.get("PolicyArns", []):
        arn = descriptor.get("arn", "")
        name = arn.rsplit("/", 1)[-1]
        managed = next((p for p in IamPolicy.objects.filter(account=role.account, name=name).select_related("default_version") if p.arn == arn), None)
        if managed is None:
            raise errors.MalformedPolicyDocumentException(f"Policy {arn} does not exist or is not attachable.")
        statements += _statements_of(managed.document)
    if not params.get("Policy") and not params.get("PolicyArns"):
        return None
    document = json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
    if _packed_size(document) > 100:
        raise errors.PackedPolicyTooLargeException(
            f"Packed size of the session policies exceeds the limit ({_packed_size(document)}% of allowed).")
    return document


def _statements_of(document: str) -> list:
    found = json.loads(document).get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _packed_size(document: str) -> int:
    compact = json.dumps(json.loads(document), separators=(",", ":"))
    return max(1, math.ceil(len(compact) * 100 / PACKED_POLICY_LIMIT))


def _check_trust(call, role: IamRole, params: dict, session_policy_text: str | None):
    principal = call.principal
    context = {
        "aws:SourceIp": call.source_ip,
        "aws:RequestedRegion": call.region,
        "aws:SecureTransport": False,
        "sts:RoleSessionName": params["RoleSessionName"],
    }
    if params.get("ExternalId") is not None:
        context["sts:ExternalId"] = params["ExternalId"]
    if params.get("SourceIdentity"):
        context["sts:SourceIdentity"] = params["SourceIdentity"]
    for tag in params.get("Tags", []):
        context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
    if params.get("Tags"):
        context["aws:TagKeys"] = [tag["Key"] for tag in params["Tags"]]
    request = AccessRequest(
        caller=principal.caller(),
        action="sts:AssumeRole",
        resource_arn=role.arn,
        resource_account=role.account_id,
        region=call.region,
        context=context,
    )
    decision = evaluate_role_trust(
        request,
        trust_policy=parse_policy_cached(role.trust_policy),
        role_account=role.account_id,
        identity_policies=principal.identity_policies(),
        session_policy=principal.session_policy(),
    )
    call.decisions.append(decision)
    if not decision.allowed:
        raise errors.AccessDeniedException(decision.access_denied_message(), decision=decision)


def _check_region(call, role: IamRole):
    if is_opt_in(call.region) and not role.account.region_enabled(call.region):
        raise errors.RegionDisabledException(
            f"STS is not activated in this region for account:{role.account_id}. Your account administrator "
            "can activate STS in this region using the IAM Console.")


def _duration(call, role: IamRole, requested: int | None) -> int:
    duration = DEFAULT_DURATION if requested is None else requested
    if call.principal.kind == ASSUMED_ROLE and duration > CHAINED_MAX_DURATION:
        raise errors.ValidationException(DURATION_OVER_CHAIN_MAX, field="DurationSeconds")
    if duration > role.max_session_duration:
        raise errors.ValidationException(DURATION_OVER_ROLE_MAX, field="DurationSeconds")
    return duration


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# The console's sign-in events live with STS so that dispatch finds them when it loads this module.
from accounts import signin_events  # noqa: E402,F401
