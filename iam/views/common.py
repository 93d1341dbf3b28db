"""What every IAM page shares: the one way to IAM, and errors shown in place."""

from __future__ import annotations

from accounts.console_session import console_login_required
from awsapi.dispatch import Call, execute
from awsapi.errors import AwsError

# Pages for a signed-in principal: the console session sets request.principal and request.region.
console_page = console_login_required
IAM_REGION = "us-east-1"  # IAM is global; AWS records its calls in us-east-1 whatever the console's region


def iam(request, operation: str, **params) -> dict:
    """Run an IAM operation as the signed-in principal, exactly as an API call would run."""
    call = Call(
        principal=request.principal,
        region=IAM_REGION,
        service="iam",
        operation=operation,
        params={name: value for name, value in params.items() if value is not None},
        request_id=request.request_id,
        source_ip=request.META.get("REMOTE_ADDR") or "127.0.0.1",
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024],
        via_console=True,
    )
    return execute(call)


def all_pages(request, operation: str, items: str, **params) -> list:
    """Follow IsTruncated/Marker to the end (pickers and small lists; list pages paginate themselves)."""
    result, marker = [], None
    while True:
        page = iam(request, operation, Marker=marker, **params)
        result += page.get(items, [])
        if not page.get("IsTruncated"):
            return result
        marker = page["Marker"]


def error_text(error: AwsError) -> str:
    return error.message or error.code
