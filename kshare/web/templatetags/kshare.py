from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from kshare.web.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text)


@register.simple_tag
def current_timezone_name() -> str:
    return timezone.get_current_timezone_name()
