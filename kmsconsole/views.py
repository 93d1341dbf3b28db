import logging

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from accounts.console_session import console_login_required, load_console

log = logging.getLogger(__name__)


@require_GET
@console_login_required
def home(request):
    """Signed out: the sign-in page (via the decorator). Signed in: the keys list once it exists."""
    try:
        return redirect(reverse("keys:key_list"))
    except NoReverseMatch:
        return render(request, "home.html")


# ---- error pages (settings: handler404/403/500 in kmsconsole.urls, CSRF_FAILURE_VIEW) -------------------

def _error_page(request, status: int) -> HttpResponse:
    """The console's own page for an error status, with its navigation when someone is signed in."""
    if getattr(request, "console", None) is None:
        try:
            request.console = load_console(request)
        except Exception:  # noqa: BLE001 - the page that reports an error must not fail in turn
            log.warning("error page rendered without the console's navigation", exc_info=True)
            request.console = None
    return render(request, f"errors/{status}.html", status=status)


def not_found(request, exception=None):
    return _error_page(request, 404)


def permission_denied(request, exception=None):
    return _error_page(request, 403)


def csrf_failure(request, reason=""):
    return _error_page(request, 403)


def server_error(request):
    # The failure may be the database or a template: fall back to plain text rather than fail again.
    try:
        return _error_page(request, 500)
    except Exception:  # noqa: BLE001
        log.exception("the 500 page itself failed")
        return HttpResponse("Something went wrong.", status=500, content_type="text/plain")


