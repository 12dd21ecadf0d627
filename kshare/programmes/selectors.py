from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from kshare.people.models import Person
from kshare.programmes.models import Programme, Visibility


def programmes_visible_to(*, person: Person) -> QuerySet[Programme]:
    """Programmes open to the company, to ``person``'s team, or organised by ``person``."""
    programmes = Programme.objects.all()
    if not person.is_authenticated:
        return programmes.none()
    if person.is_admin:
        return programmes
    rule = Q(visibility=Visibility.PUBLIC) | Q(
        Exists(
            Programme.organisers.through.objects.filter(
                programme_id=OuterRef("pk"), person_id=person.pk
            )
        )
    )
    if person.team_id is not None:
        rule |= Q(
            Exists(
                Programme.teams.through.objects.filter(
                    programme_id=OuterRef("pk"), team_id=person.team_id
                )
            )
        )
    return programmes.filter(rule)


def programmes_for_list(*, person: Person) -> QuerySet[Programme]:
    return (
        programmes_visible_to(person=person)
        .annotate(
            held_count=Count("sessions", filter=Q(sessions__state="held")),
            scheduled_count=Count("sessions", filter=Q(sessions__state="scheduled")),
        )
        .prefetch_related("organisers")
        .order_by("name")
    )


def programme_can_edit(*, person: Person, programme: Programme) -> bool:
    if not person.is_authenticated:
        return False
    if person.is_admin:
        return True
    return person.is_organiser and programme.organisers.filter(pk=person.pk).exists()
