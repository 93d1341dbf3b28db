"""Catalogue of KMS permissions and condition keys (kms.md §2 and §4.6).

Pure data plus a few look-ups. Action names are compared case-insensitively,
as IAM does, so every look-up lower-cases first.
"""

from __future__ import annotations

from functools import lru_cache

# Operations that work on another account's key (kms.md §2.1).
CROSS_ACCOUNT_OPERATIONS = (
    "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo",
    "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
    "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
    "Encapsulate", "Decapsulate",
    "CreateGrant", "DescribeKey", "GetKeyRotationStatus", "GetPublicKey",
    "ListGrants", "RetireGrant", "RevokeGrant",
)

# Key-resource operations that only work in the key's own account.
OWN_ACCOUNT_KEY_OPERATIONS = (
    "CancelKeyDeletion", "ScheduleKeyDeletion", "EnableKey", "DisableKey",
    "EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand", "ListKeyRotations",
    "GetKeyPolicy", "PutKeyPolicy", "ListKeyPolicies",
    "TagResource", "UntagResource", "ListResourceTags", "UpdateKeyDescription",
    "CreateAlias", "UpdateAlias", "DeleteAlias",
    "ImportKeyMaterial", "GetParametersForImport", "DeleteImportedKeyMaterial",
    "ReplicateKey", "UpdatePrimaryRegion", "GetKeyLastUsage", "SynchronizeMultiRegionKey",
)

# Account-level operations: granted only by IAM policies, no key resource.
IAM_ONLY_OPERATIONS = (
    "CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants",
    "CreateCustomKeyStore", "ConnectCustomKeyStore", "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore", "UpdateCustomKeyStore", "DeleteCustomKeyStore",
)

# The only values CreateGrant accepts in Operations (kms.md §2.2).
GRANT_OPERATIONS = frozenset({
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant",
    "RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac", "VerifyMac", "DeriveSharedSecret", "Encapsulate", "Decapsulate",
})

# Grant operations whose encryption-context constraints are checked; KMS ignores
# constraints for the others (kms.md §5).
GRANT_OPERATIONS_WITH_CONTEXT = frozenset({
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
})

KMS_ACTIONS = tuple(
    "kms:" + op for op in CROSS_ACCOUNT_OPERATIONS + OWN_ACCOUNT_KEY_OPERATIONS + IAM_ONLY_OPERATIONS
)
KEY_RESOURCE_ACTIONS = tuple("kms:" + op for op in CROSS_ACCOUNT_OPERATIONS + OWN_ACCOUNT_KEY_OPERATIONS)

# Non-KMS actions the console emulates; other services are passed through unchecked.
OTHER_KNOWN_ACTIONS = (
    "sts:AssumeRole", "sts:GetCallerIdentity", "sts:TagSession", "sts:SetSourceIdentity",
    "cloudtrail:LookupEvents",
)

_CANONICAL = {name.lower(): name for name in KMS_ACTIONS + OTHER_KNOWN_ACTIONS}
_CROSS_ACCOUNT = frozenset(("kms:" + op).lower() for op in CROSS_ACCOUNT_OPERATIONS)
_IAM_ONLY = frozenset(("kms:" + op).lower() for op in IAM_ONLY_OPERATIONS)
_KEY_RESOURCE = frozenset(a.lower() for a in KEY_RESOURCE_ACTIONS)


def canonical_action(action: str) -> str | None:
    """The catalogue spelling of an action name (`kms:encrypt` -> `kms:Encrypt`), or None."""
    return _CANONICAL.get(action.lower())


def is_known_kms_action(action: str) -> bool:
    return action.lower() in _CANONICAL and action.lower().startswith("kms:")


def is_cross_account_action(action: str) -> bool:
    """True for the operations KMS honours on another account's key."""
    return action.lower() in _CROSS_ACCOUNT


def is_iam_only_action(action: str) -> bool:
    return action.lower() in _IAM_ONLY


def is_key_resource_action(action: str) -> bool:
    return action.lower() in _KEY_RESOURCE


@lru_cache(maxsize=512)
def grant_operation_for_action(action: str) -> str | None:
    """`kms:Decrypt` -> `Decrypt`; None when no grant can cover the action."""
    service, _, name = action.partition(":")
    if service.lower() != "kms":
        return None
    for op in GRANT_OPERATIONS:
        if op.lower() == name.lower():
            return op
    return None


def action_for_grant_operation(operation: str) -> str:
    return "kms:" + operation


def is_grant_operation(operation: str) -> bool:
    return operation in GRANT_OPERATIONS


# ---- condition keys (kms.md §4.6) ----

KMS_CONDITION_KEYS = frozenset(k.lower() for k in (
    "kms:CallerAccount", "kms:ViaService", "kms:GrantIsForAWSResource", "kms:GrantOperations",
    "kms:GranteePrincipal", "kms:RetiringPrincipal", "kms:GrantConstraintType",
    "kms:EncryptionContextKeys", "kms:EncryptionAlgorithm", "kms:SigningAlgorithm",
    "kms:MacAlgorithm", "kms:KeyAgreementAlgorithm", "kms:MessageType", "kms:DataKeyPairSpec",
    "kms:ReEncryptOnSameKey", "kms:RequestAlias", "kms:ResourceAliases",
    "kms:KeySpec", "kms:KeyUsage", "kms:KeyOrigin", "kms:MultiRegion", "kms:MultiRegionKeyType",
    "kms:PrimaryRegion", "kms:ReplicaRegion", "kms:ExpirationModel", "kms:ValidTo",
    "kms:WrappingAlgorithm", "kms:WrappingKeySpec", "kms:BypassPolicyLockoutSafetyCheck",
    "kms:PolicyName", "kms:ScheduleKeyDeletionPendingWindowInDays", "kms:RotationPeriodInDays",
    "kms:CustomerMasterKeySpec", "kms:CustomerMasterKeyUsage", "kms:KeyMaterialId",
))

GLOBAL_CONDITION_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:PrincipalType", "aws:PrincipalIsAWSService", "aws:PrincipalServiceName",
    "aws:userid", "aws:username", "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce",
    "aws:SecureTransport", "aws:CurrentTime", "aws:EpochTime", "aws:RequestedRegion",
    "aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:TokenIssueTime",
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:ViaAWSService",
    "aws:TagKeys", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceIdentity",
    "aws:ResourceAccount", "aws:ResourceOrgID", "aws:Referer", "aws:UserAgent", "aws:FederatedProvider",
    # keys used in role trust policies
    "sts:ExternalId", "sts:RoleSessionName", "sts:SourceIdentity", "sts:TransitiveTagKeys",
))

# Keys that take a free-form suffix.
CONDITION_KEY_PREFIXES = tuple(p.lower() for p in (
    "kms:EncryptionContext:", "kms:RecipientAttestation:",
    "aws:PrincipalTag/", "aws:ResourceTag/", "aws:RequestTag/",
))


def is_known_condition_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in KMS_CONDITION_KEYS or lowered in GLOBAL_CONDITION_KEYS:
        return True
    return any(lowered.startswith(p) and len(lowered) > len(p) for p in CONDITION_KEY_PREFIXES)
