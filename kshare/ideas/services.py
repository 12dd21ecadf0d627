"""Every write to ideas: views, the demo and tests all call these."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.ideas.models import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    STATUS_NEXT,
    TITLE_MAX_LENGTH,
    Idea,
    IdeaComment,
    IdeaStatusChange,
    IdeaVote,
    ProductArea,
    Status,
)
from kshare.ideas.selectors import idea_can_manage, idea_can_set_status
from kshare.people.models import Person
from kshare.sessions.models import Format, Session
from kshare.sessions.services import session_propose

PROMOTE_FORMATS = (Format.WORKSHOP, Format.TALK)


# Per field: contains NUL, empty, too long (whole sentences, so that each reads well translated).
TEXT_ERRORS = {
    "title": (
        gettext_lazy("The title contains a NUL character; remove it."),
        gettext_lazy("The title is empty."),
        gettext_lazy("The title is %(count)s characters long; keep it under %(limit)s."),
    ),
    "description": (
        gettext_lazy("The description contains a NUL character; remove it."),
        gettext_lazy("The description is empty."),
        gettext_lazy("The description is %(count)s characters long; keep it under %(limit)s."),
    ),
    "comment": (
        gettext_lazy("The comment contains a NUL character; remove it."),
        gettext_lazy("The comment is empty."),
        gettext_lazy("The comment is %(count)s characters long; keep it under %(limit)s."),
    ),
    "name": (
        gettext_lazy("The name contains a NUL character; remove it."),
        gettext_lazy("The name is empty."),
        gettext_lazy("The name is %(count)s characters long; keep it under %(limit)s."),
    ),
}


def _clean_text(value: str, *, label: str, max_length: int, required: bool) -> str:
    has_nul, empty, too_long = TEXT_ERRORS[label]
    if "\x00" in value:
        raise ValidationError(str(has_nul))
    value = value.strip()
    if required and not value:
        raise ValidationError(str(empty))
    if len(value) > max_length:
        raise ValidationError(
            str(too_long) % {"count": f"{len(value):,}", "limit": f"{max_length:,}"}
        )
    return value


@transaction.atomic
def idea_create(
    *,
    author: Person,
    title: str,
    description: str = "",
    session: Session | None = None,
    area: ProductArea | None = None,
) -> Idea:
    """Capture an idea from a session and/or for a product area (one of them is required).

    Visibility is the caller's job: ``session`` must be one ``author`` may see.
    """
    title = " ".join(
        _clean_text(title, label="title", max_length=TITLE_MAX_LENGTH, required=True).split()
    )
    description = _clean_text(
        description, label="description", max_length=DESCRIPTION_MAX_LENGTH, required=False
    )
    if session is None and area is None:
        raise ValidationError(_("An idea belongs to a session or to a product area: choose one."))
    idea = Idea.objects.create(
        author=author, title=title, description=description, session=session, area=area
    )
    IdeaStatusChange.objects.create(idea=idea, to_status=Status.NEW, by=author)
    return idea


def idea_vote_set(*, idea: Idea, person: Person, on: bool) -> bool:
    """Make ``person``'s vote for ``idea`` exist (``on``) or not; returns whether it exists.

    Idempotent and race-safe: the unique constraint keeps one vote per person even when a
    double click or two tabs send the same request at once.
    """
    if not on:
        IdeaVote.objects.filter(idea=idea, person=person).delete()
        return False
    try:
        with transaction.atomic():
            IdeaVote.objects.get_or_create(idea=idea, person=person)
    except IntegrityError:
        # A concurrent request inserted the same vote first (or the idea was just deleted).
        pass
    return IdeaVote.objects.filter(idea=idea, person=person).exists()


def idea_comment_add(*, idea: Idea, author: Person, body: str) -> IdeaComment:
    body = _clean_text(body, label="comment", max_length=COMMENT_MAX_LENGTH, required=True)
    return IdeaComment.objects.create(idea=idea, author=author, body=body)


@transaction.atomic
def idea_status_set(*, idea: Idea, by: Person, status: str, note: str = "") -> Idea:
    """Move an idea along new → exploring → planned → done | parked, recording who did it.

    The author, the organisers who may promote it, and admins may; others get PermissionDenied.
    """
    if not idea_can_set_status(person=by, idea=idea):
        raise PermissionDenied(
            _("Only the idea's author, the organisers and admins can change its status.")
        )
    locked = Idea.objects.select_for_update().get(pk=idea.pk)
    if status not in Status.values:
        raise ValidationError(_("Choose one of the listed statuses."))
    if status == locked.status:
        raise ValidationError(
            _("The idea is already “%(status)s”.") % {"status": locked.get_status_display()}
        )
    if status not in STATUS_NEXT[locked.status]:
        raise ValidationError(
            _("An idea that is “%(status)s” cannot become “%(new)s”.")
            % {"status": locked.get_status_display(), "new": Status(status).label}
        )
    IdeaStatusChange.objects.create(
        idea=idea, from_status=locked.status, to_status=status, by=by, note=note
    )
    idea.status = status
    idea.save(update_fields=["status", "updated_at"])
    return idea


@transaction.atomic
def idea_promote(*, idea: Idea, by: Person, format: str = Format.WORKSHOP) -> Session:
    """Turn an idea into a proposed session, linked both ways, and mark the idea planned.

    The session is hosted by ``by`` (who can hand it over by editing it), sits in the source
    session's programme with its visibility and tags, and its abstract says where it came from.
    Only organisers who may manage the idea and admins may promote; an idea is promoted once.
    """
    if not idea_can_manage(person=by, idea=idea):
        raise PermissionDenied(
            _(
                "Only organisers of the session's programme and admins can turn an idea into a "
                "session."
            )
        )
    if format not in PROMOTE_FORMATS:
        raise ValidationError(_("Choose a workshop or a talk."))
    locked = Idea.objects.select_for_update().get(pk=idea.pk)
    if locked.promoted_session_id is not None:
        raise ValidationError(_("This idea has already become a session; open it from the idea."))
    source = locked.session
    link = reverse("ideas:detail", args=[idea.pk])
    origin = f"From the idea “{locked.title}” ({link})."
    abstract = f"{locked.description}\n\n{origin}" if locked.description else origin
    extra: dict = {}
    if source is not None:
        extra = {
            "programme": source.programme,
            "tags": list(source.tags.all()),
            "visibility": source.visibility,
            "teams": list(source.teams.all()),
        }
    session = session_propose(by=by, title=locked.title, abstract=abstract, format=format, **extra)
    IdeaStatusChange.objects.create(
        idea=idea,
        from_status=locked.status,
        to_status=Status.PLANNED,
        by=by,
        note=f"Became the {Format(format).label.lower()} proposal “{session.title}”.",
    )
    idea.promoted_session = session
    idea.status = Status.PLANNED
    idea.save(update_fields=["promoted_session", "status", "updated_at"])
    return session


def area_create(*, by: Person, name: str, description: str = "") -> ProductArea:
    """A new product area; organisers and admins only."""
    if not by.is_organiser:
        raise PermissionDenied(_("Only organisers and admins can add product areas."))
    name = " ".join(_clean_text(name, label="name", max_length=100, required=True).split())
    description = _clean_text(description, label="description", max_length=2000, required=False)
    slug = slugify(name)[:100]
    if not slug:
        raise ValidationError(_("The name needs at least one letter or digit."))
    if (
        ProductArea.objects.filter(name__iexact=name).exists()
        or ProductArea.objects.filter(slug=slug).exists()
    ):
        raise ValidationError(
            _("There is already a product area called “%(name)s”.") % {"name": name}
        )
    try:
        with transaction.atomic():
            return ProductArea.objects.create(
                name=name, slug=slug, description=description, created_by=by
            )
    except IntegrityError as exc:  # created at the same moment by someone else
        raise ValidationError(
            _("There is already a product area called “%(name)s”.") % {"name": name}
        ) from exc
