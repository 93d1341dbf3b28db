"""{% console_stylesheets %}: the console's one stylesheet, console.css, then every static/css/*.css.

Sections add their styles as new files under static/css/ (explainer.css, labs.css...) instead of editing
console.css or linking a stylesheet from their templates: base.html links them all in one place, in name
order, after console.css so that they may build on its components.
"""

import functools

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html_join

register = template.Library()


@functools.cache
def section_stylesheets() -> tuple[str, ...]:
    names = set()
    for finder in finders.get_finders():
        for path, _storage in finder.list(ignore_patterns=[]):
            path = path.replace("\\", "/")
            if path.startswith("css/") and path.endswith(".css") and path.count("/") == 1:
                names.add(path)
    return tuple(sorted(names))


@register.simple_tag
def console_stylesheets():
    paths = ("console.css", *section_stylesheets())
    return format_html_join("\n  ", '<link rel="stylesheet" href="{}">', ((static(path),) for path in paths))
