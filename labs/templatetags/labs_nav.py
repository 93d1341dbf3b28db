"""The console navigation's Labs entries (templates/base.html): the Lab link shows only when the signed-in
account belongs to a seat of an open class."""

from django import template

register = template.Library()


@register.simple_tag
def lab_seat(request):
    """The seat of the signed-in principal's account, or None (one indexed query per console page)."""
    console = getattr(request, "console", None)
    if console is None:
        return None
    from labs import service

    return service.seat_for_account(console.principal.account_id)
