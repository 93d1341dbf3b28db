from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from accounts.console_session import console_login_required


@require_GET
@console_login_required
def home(request):
    """Signed out: the sign-in page (via the decorator). Signed in: the keys list once it exists."""
    try:
        return redirect(reverse("keys:key_list"))
    except NoReverseMatch:
        return render(request, "home.html")
