"""Errors as values named after AWS error codes.

Operations raise these; the wire layer turns them into the JSON or XML shape botocore parses, the
console turns them into a message by the field, and the audit trail records the code and message.
"""


class AwsError(Exception):
    code = "InternalFailure"
    status = 400
    # STS and other Query-protocol services spell some codes differently and answer 403 for auth errors.
    query_code: str | None = None
    query_status: int | None = None
    # Some KMS errors carry no message at all on the wire (InvalidCiphertextException and friends).
    has_message = True

    def __init__(self, message: str = "", *, field: str | None = None, decision=None):
        super().__init__(message)
        self.message = message
        self.field = field  # the request member at fault, for the console
        self.decision = decision  # the policy decision behind an AccessDenied, for audit and console

    def __str__(self):
        return f"{self.code}: {self.message}" if self.message else self.code


def _error(name: str, *, status: int = 400, query_code: str | None = None, query_status: int | None = None,
           has_message: bool = True):
    return type(name, (AwsError,), {
        "code": name, "status": status, "query_code": query_code, "query_status": query_status,
        "has_message": has_message, "__module__": __name__,
    })


# Authentication (reference kms.md §1.5).
MissingAuthenticationTokenException = _error(
    "MissingAuthenticationTokenException", query_code="MissingAuthenticationToken", query_status=403)
IncompleteSignatureException = _error("IncompleteSignatureException", query_code="IncompleteSignature")
InvalidSignatureException = _error(
    "InvalidSignatureException", query_code="SignatureDoesNotMatch", query_status=403)
UnrecognizedClientException = _error("UnrecognizedClientException", query_code="InvalidClientTokenId", query_status=403)
ExpiredTokenException = _error("ExpiredTokenException", query_code="ExpiredToken", query_status=400)

# Protocol.
UnknownOperationException = _error("UnknownOperationException", query_code="InvalidAction")
SerializationException = _error("SerializationException", query_code="MalformedInput")
ValidationException = _error("ValidationException", query_code="ValidationError")

# Authorisation. STS spells it AccessDenied with 403.
AccessDeniedException = _error("AccessDeniedException", query_code="AccessDenied", query_status=403)

# KMS service errors (kms.md §1.3, §13).
NotFoundException = _error("NotFoundException")
AlreadyExistsException = _error("AlreadyExistsException")
DisabledException = _error("DisabledException")
KMSInvalidStateException = _error("KMSInvalidStateException")
InvalidKeyUsageException = _error("InvalidKeyUsageException")
IncorrectKeyException = _error("IncorrectKeyException")
InvalidCiphertextException = _error("InvalidCiphertextException", has_message=False)
InvalidArnException = _error("InvalidArnException")
InvalidAliasNameException = _error("InvalidAliasNameException")
InvalidGrantIdException = _error("InvalidGrantIdException")
InvalidGrantTokenException = _error("InvalidGrantTokenException")
InvalidMarkerException = _error("InvalidMarkerException")
# IAM answers LimitExceeded with 409 (KMS: 400, JSON).
LimitExceededException = _error("LimitExceededException", query_code="LimitExceeded", query_status=409)
TagException = _error("TagException")
UnsupportedOperationException = _error("UnsupportedOperationException")
MalformedPolicyDocumentException = _error("MalformedPolicyDocumentException", query_code="MalformedPolicyDocument")
DryRunOperationException = _error("DryRunOperationException")
KMSInvalidSignatureException = _error("KMSInvalidSignatureException", has_message=False)
KMSInvalidMacException = _error("KMSInvalidMacException", has_message=False)
ConflictException = _error("ConflictException")
# Imported key material (ImportKeyMaterial).
IncorrectKeyMaterialException = _error("IncorrectKeyMaterialException")
InvalidImportTokenException = _error("InvalidImportTokenException")
ExpiredImportTokenException = _error("ExpiredImportTokenException")
# KMS's own internal error; STS and IAM spell an unexpected failure with the common InternalFailure.
KMSInternalException = _error("KMSInternalException", status=500, query_code="InternalFailure", query_status=500)

# STS (kms.md §1.6).
RegionDisabledException = _error("RegionDisabledException", query_code="RegionDisabledException", query_status=403)
PackedPolicyTooLargeException = _error("PackedPolicyTooLargeException", query_code="PackedPolicyTooLarge")

# CloudTrail LookupEvents (kms.md §8.3).
InvalidLookupAttributesException = _error("InvalidLookupAttributesException")
InvalidTimeRangeException = _error("InvalidTimeRangeException")
InvalidMaxResultsException = _error("InvalidMaxResultsException")
InvalidNextTokenException = _error("InvalidNextTokenException")
InvalidEventCategoryException = _error("InvalidEventCategoryException")

# IAM (botocore's iam model: Query codes and HTTP statuses).
NoSuchEntityException = _error("NoSuchEntityException", status=404, query_code="NoSuchEntity", query_status=404)
EntityAlreadyExistsException = _error("EntityAlreadyExistsException", status=409, query_code="EntityAlreadyExists",
                                      query_status=409)
DeleteConflictException = _error("DeleteConflictException", status=409, query_code="DeleteConflict", query_status=409)
InvalidInputException = _error("InvalidInputException", query_code="InvalidInput")
UnmodifiableEntityException = _error("UnmodifiableEntityException", query_code="UnmodifiableEntity")
PolicyNotAttachableException = _error("PolicyNotAttachableException", query_code="PolicyNotAttachable")
PasswordPolicyViolationException = _error("PasswordPolicyViolationException", query_code="PasswordPolicyViolation")
PolicyEvaluationException = _error("PolicyEvaluationException", status=500, query_code="PolicyEvaluation",
                                   query_status=500)
ServiceFailureException = _error("ServiceFailureException", status=500, query_code="ServiceFailure", query_status=500)

# Answers of the endpoint itself, before or around any operation (awsapi/endpoint.py): AWS's common errors
# (InternalFailure 500, ServiceUnavailable 503; botocore retries both), a method other than POST, and a
# body larger than the endpoint reads.
InternalFailure = _error("InternalFailure", status=500, query_status=500)
ServiceUnavailable = _error("ServiceUnavailable", status=503, query_status=503)
MethodNotAllowed = _error("MethodNotAllowed", status=405, query_status=405)
RequestEntityTooLarge = _error("RequestEntityTooLarge", status=413, query_status=413)
