"""What happens to feedback, announced as domain signals: feedback says, others react.

``kshare.feedback`` imports none of the apps that react (webhooks connects its receivers in
``kshare/webhooks/receivers.py``). The sender is the ``Response`` model; arguments are ids.

Both are **sent on commit, robustly**, as the session signals are (``kshare/sessions/signals.py``):
``transaction.on_commit(lambda: signal.send_robust(Response, ...), robust=True)``, so a
rolled-back response announces nothing and a receiver that raises is logged without failing the
response.

- ``feedback_received(session_id, person_id)`` — a named response was submitted (a programme
  whose feedback is not anonymous; ``response_submit``).
- ``feedback_released(session_id, released)`` — a batch of ``released`` anonymous responses of
  the session became visible (``feedback/release.py``); anonymous responses are never announced
  one by one, so the moment says nothing about who answered.
"""

from __future__ import annotations

from django.dispatch import Signal

feedback_received = Signal()
feedback_released = Signal()
