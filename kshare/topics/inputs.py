"""What a topic request may say: the typed input and its rules, written once.

``TopicRequestForm`` reads its text into a ``TopicInput`` and shows ``InputError`` next to its
fields; the API (``kshare.api.routers.topics``) builds the same input from JSON (tags stay a
list) and answers 400 ``invalid`` with the same fields and messages.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kshare.core.inputs import InputErrors
from kshare.people.models import Person
from kshare.tags.services import TagError, tag_names_check, tags_get_or_create
from kshare.topics import services
from kshare.topics.models import TopicRequest

MAX_TAGS = 10


@dataclass
class TopicInput:
    title: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)  # names


def topic_input_check(data: TopicInput, *, skip: Collection[str] = ()) -> TopicInput:
    """``data`` cleaned (title, description and tags normalised), or ``InputError``. ``skip``
    names fields the caller refused already."""
    errors = InputErrors()
    title = " ".join(data.title.split())
    if "title" not in skip and not title:
        errors.add("title", _("Name the topic you would like a session on."))
    tags = data.tags
    if "tags" not in skip:
        try:
            tags = tag_names_check(data.tags, most=MAX_TAGS)
        except TagError as exc:
            errors.add("tags", str(exc))
    errors.raise_any()
    return TopicInput(title=title, description=data.description.strip(), tags=tags)


def topic_request_create_input(*, requester: Person, data: TopicInput) -> TopicRequest:
    """Open the request ``data`` describes (checked by ``topic_input_check``)."""
    return services.topic_request_create(
        requester=requester,
        title=data.title,
        description=data.description,
        tags=tags_get_or_create(names=data.tags),
    )
