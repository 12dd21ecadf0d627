import factory
from django.utils import timezone

from kshare.outbox.models import OutboxMessage


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A stored message, without the delivery task ``mail_queue`` would enqueue."""

    class Meta:
        model = OutboxMessage

    kind = "test_kind"
    to = factory.Sequence(lambda n: [f"person{n}@example.com"])
    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "Hello in text."
    html = "<p>Hello in <b>HTML</b>.</p>"
    next_attempt_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)
