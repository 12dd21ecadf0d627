"""Delivery rows stored the socket's error text ("[Errno 111] Connection refused" for an
internal port): keep only its generic class, as new attempts do (kshare/webhooks/transport.py)."""

import re

from django.db import migrations

# What attempts used to store: "<ExceptionName>: <its text>". Other notes (HTTP 500, "The
# webhook is paused.", the worker-stopped note) are kshare's own and stay.
SOCKET_ERROR = re.compile(
    r"[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Timeout|timeout|Closed|Disconnected|Line|gaierror|herror): "
)
CLASSES = [
    ("refused", "connection refused"),
    ("timed out", "timeout"),
    ("timeout", "timeout"),
    ("ssl", "TLS error"),
    ("certificate", "TLS error"),
    ("name or service not known", "DNS lookup failed"),
    ("nodename nor servname", "DNS lookup failed"),
    ("temporary failure in name resolution", "DNS lookup failed"),
    ("gaierror", "DNS lookup failed"),
    ("remotedisconnected", "invalid response"),
    ("badstatusline", "invalid response"),
]


def generic(text: str) -> str:
    if not SOCKET_ERROR.match(text):
        return text
    lowered = text.lower()
    for needle, failure in CLASSES:
        if needle in lowered:
            return failure
    return "connection failed"


def forwards(apps, schema_editor):
    WebhookDelivery = apps.get_model("webhooks", "WebhookDelivery")
    for delivery in WebhookDelivery.objects.exclude(last_error="").only("pk", "last_error"):
        new = generic(delivery.last_error)
        if new != delivery.last_error:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=new)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
