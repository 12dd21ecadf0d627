from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.programmes.signals import programme_created

DEFAULT_PROGRAMME_NAME = "Knowledge Sharing"


def programme_default() -> Programme:
    """The programme new proposals land in: the one marked default, created when missing."""
    programme = Programme.objects.filter(is_default=True).first()
    if programme is not None:
        return programme
    try:
        with transaction.atomic():
            programme = Programme.objects.create(
                name=DEFAULT_PROGRAMME_NAME,
                slug=slugify(DEFAULT_PROGRAMME_NAME),
                description="Talks, workshops and lightning talks by colleagues, for colleagues.",
                is_default=True,
            )
            programme_created.send(sender=Programme, programme=programme, by=None)
            return programme
    except IntegrityError:
        # Another request created it (or a programme of that name exists): use that one.
        return Programme.objects.filter(is_default=True).first() or Programme.objects.get(
            slug=slugify(DEFAULT_PROGRAMME_NAME)
        )


@transaction.atomic
def programme_create(*, by: Person, name: str, **fields: object) -> Programme:
    """Create a programme; its creator becomes its first organiser. Announces
    ``programme_created`` in the transaction (the feedback app adds the default form)."""
    base = slugify(name)[:100] or "programme"
    slug, n = base, 2
    while Programme.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    programme = Programme.objects.create(name=name, slug=slug, **fields)
    programme.organisers.add(by)
    # The feedback app gives it its default form, in this transaction (feedback/receivers.py).
    programme_created.send(sender=Programme, programme=programme, by=by)
    return programme
