from django.conf import settings


def test_debug_is_off_unless_asked_for():
    assert settings.DEBUG is False


def test_csrf_protection_is_on_for_the_console():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
