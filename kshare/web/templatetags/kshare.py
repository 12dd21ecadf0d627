from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kshare.core.kept import Kept, shown_in
from kshare.web.markdown import render_markdown

register = template.Library()

# The navigation and the account menu's links are the same for everyone with the same role,
# language and current page, and were a third of the lightest signed-in page's CPU (30 links
# reversed, 40 texts translated): they are rendered once per such key (``kshare.core.kept``).
# The reader's own parts (name, initials, profile link, the sign-out form's CSRF token) stay in
# base.html.
# Keys: 2 templates, ~20 current pages, 4 roles and the installed languages in combination.
_navigation = Kept("navigation", limit=1024)


def _role(user: Any) -> dict[str, bool]:
    return {
        "organiser": bool(user.is_organiser),
        "admin": bool(user.is_admin),
        "staff": bool(user.is_staff),
    }


def _kept(template_name: str, context: dict[str, Any]) -> SafeString:
    key = (template_name, *sorted(context.items()), *shown_in(zone=False))
    return _navigation.get(
        key,
        lambda: mark_safe(render_to_string(template_name, context)),  # noqa: S308 - a template's output
    )


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context, nav: str | None) -> SafeString:
    """The main navigation (``web/_nav.html``) with ``nav`` marked as the current page."""
    return _kept("web/_nav.html", {"nav": str(nav or ""), **_role(context["user"])})


@register.simple_tag(takes_context=True)
def account_links(context: template.Context) -> SafeString:
    """The account menu's links for the reader's role (``web/_account_links.html``)."""
    return _kept("web/_account_links.html", _role(context["user"]))


def navigation_forget() -> None:
    """Empties this process's kept navigation (tests)."""
    _navigation.forget()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text)


@register.simple_tag
def current_timezone_name() -> str:
    return timezone.get_current_timezone_name()
