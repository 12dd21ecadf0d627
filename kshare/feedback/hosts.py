"""The prospective-host pipeline: who may see it, status changes, a session draft in one click.

Reads and writes of the pipeline live together here; the rows themselves are created when
someone answers "would you like to host?" with yes or maybe (see ``services``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from kshare.feedback.models import ProspectiveHost
from kshare.people.models import Person, Skill
from kshare.programmes.models import Programme
from kshare.sessions.models import Session
from kshare.sessions.models import State as SessionState
from kshare.sessions.services import session_propose

Status = ProspectiveHost.Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.CONTACTED, Status.DECLINED),
    Status.CONTACTED: (Status.AGREED, Status.DECLINED),
    Status.AGREED: (Status.SCHEDULED, Status.DECLINED),
    Status.SCHEDULED: (),
    Status.DECLINED: (Status.CONTACTED,),
}
# A draft can be proposed until the person declined or their session is scheduled.
PROPOSABLE = (Status.NEW, Status.CONTACTED, Status.AGREED)


def prospects_visible_to(*, person: Person) -> QuerySet[ProspectiveHost]:
    """Prospective hosts of the programmes ``person`` organises; admins see all of them."""
    prospects = ProspectiveHost.objects.all()
    if not person.is_authenticated or not person.is_active or not person.is_organiser:
        return prospects.none()
    if person.is_admin:
        return prospects
    return prospects.filter(programme__organisers=person)


def prospects_for_list(
    *, person: Person, status: str = "", programme: Programme | None = None
) -> QuerySet[ProspectiveHost]:
    """The pipeline page: everything a row shows, in a fixed number of queries."""
    prospects = prospects_visible_to(person=person)
    if programme is not None:
        prospects = prospects.filter(programme=programme)
    if status:
        prospects = prospects.filter(status=status)
    return prospects.select_related(
        "person__team", "programme", "source_session", "proposed_session"
    ).prefetch_related(
        Prefetch("person__skills", queryset=Skill.objects.select_related("tag")),
    )


def prospect_counts(*, person: Person, programme: Programme | None = None) -> dict[str, int]:
    """How many prospects ``person`` sees in each status (every status, zeros included)."""
    counts = dict.fromkeys(Status.values, 0)
    prospects = prospects_visible_to(person=person)
    if programme is not None:
        prospects = prospects.filter(programme=programme)
    rows = prospects.order_by().values_list("status").annotate(n=Count("id"))
    counts.update(dict(rows))
    return counts


def _label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else repr(status)


@transaction.atomic
def prospect_status_set(*, prospect: ProspectiveHost, status: str) -> ProspectiveHost:
    """Move ``prospect`` along the pipeline; only the steps in ``TRANSITIONS`` are allowed."""
    locked = ProspectiveHost.objects.select_for_update().get(pk=prospect.pk)
    allowed = TRANSITIONS[locked.status]
    if status not in allowed:
        values = {
            "name": locked.person.display_name,
            "current": _label(locked.status),
            "wanted": _label(status),
        }
        if not allowed:
            raise ValidationError(
                _(
                    "%(name)s is %(current)s, which cannot become %(wanted)s. From %(current)s "
                    "the next step is nothing: this is the last step."
                )
                % values
            )
        steps = _label(allowed[0])
        for step in allowed[1:]:
            steps = _("%(first)s or %(second)s") % {"first": steps, "second": _label(step)}
        raise ValidationError(
            _(
                "%(name)s is %(current)s, which cannot become %(wanted)s. From %(current)s "
                "the next step is %(steps)s."
            )
            % {**values, "steps": steps}
        )
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    return locked


def _draft_title(prospect: ProspectiveHost) -> str:
    """The topic the person said they would host (never the topics they would like to hear)."""
    lines = [line.strip(" \t-•*") for line in prospect.topic.splitlines()]
    first = next((line for line in lines if line), "")
    title = first or _("Session by %(name)s") % {"name": prospect.person.display_name}
    return title[:200]


@transaction.atomic
def prospect_session_propose(*, prospect: ProspectiveHost, by: Person) -> Session:
    """Propose a session draft hosted by the prospective host, on the topic they named.

    The prospect becomes *agreed* (when new or contacted) and links to the draft. A second
    click does not make a second draft while the first stands; once it was cancelled (the host
    declined it, or an organiser withdrew it) a new one may be proposed.
    """
    locked = (
        ProspectiveHost.objects.select_for_update(of=("self",))
        .select_related("person", "programme", "source_session", "proposed_session")
        .get(pk=prospect.pk)
    )
    draft = locked.proposed_session
    if draft is not None and draft.state != SessionState.CANCELLED:
        raise ValidationError(
            _("A session draft for %(name)s exists already: “%(draft)s”.")
            % {"name": locked.person.display_name, "draft": locked.proposed_session}
        )
    if locked.status not in PROPOSABLE:
        raise ValidationError(
            _(
                "%(name)s is %(status)s: move them back to Contacted before proposing a "
                "session for them."
            )
            % {"name": locked.person.display_name, "status": _label(locked.status)}
        )
    values = {"by": by.display_name, "name": locked.person.display_name, "answer": locked.answer}
    if locked.source_session is not None:
        note = _(
            "Draft proposed by %(by)s after %(name)s said “%(answer)s” to hosting a session "
            "in the feedback on “%(title)s”."
        ) % {**values, "title": locked.source_session.title}
    else:
        note = (
            _("Draft proposed by %(by)s after %(name)s said “%(answer)s” to hosting a session.")
            % values
        )
    if locked.topic:
        note += "\n\n" + _("The topic they would host: %(topic)s") % {"topic": locked.topic}
    session = session_propose(
        by=locked.person,
        title=_draft_title(locked),
        programme=locked.programme,
        abstract=note,
        proposed_by=by,  # the prospective host is asked to accept (kshare.sessions.drafts)
    )
    locked.proposed_session = session
    if locked.status in (Status.NEW, Status.CONTACTED):
        locked.status = Status.AGREED
    locked.save(update_fields=["proposed_session", "status", "updated_at"])
    return session
