"""What the programmes app announces; apps above it react in their own ``receivers.py``."""

from django.dispatch import Signal

# Sent (sender=Programme) inside the transaction that creates a programme (the default one
# too), so what receivers write is committed, or rolled back, with it.
# Keywords: programme, by (the creator; None for the default programme).
programme_created = Signal()
