"""What happens to sessions, announced as domain signals: sessions says, others react.

``kshare.sessions`` imports none of the apps that react. Reminders, topics, feedback and webhooks
connect their receivers in their own ``receivers.py`` (from their ``AppConfig.ready``); see
docs/architecture.md, "Domain signals", for who listens to what.

Every signal's sender is the ``Session`` model; arguments are keyword arguments, ids rather than
rows (a receiver reads what it needs as it is now), plus the actor ``by`` (a ``Person``, or
``None`` for the clock).

**Sent on commit**: everything below except ``session_changing``. The services send them with
``transaction.on_commit(lambda: signal.send_robust(Session, ...), robust=True)``: once the
transaction that made the change commits (at once outside a transaction), and not at all when it
rolls back, so nobody reacts to a change that did not happen. ``send_robust``: a receiver that
raises is logged (logger ``django.dispatch``) and the other receivers still run; the change is
committed by then, so the request or task that made it succeeds. A receiver with work that can
fail later (mail, HTTP) enqueues a task.

- ``session_proposed(session_id, by)`` — a session was proposed (``session_propose``).
- ``session_scheduled(session_id, by, start)`` — a proposed session was scheduled.
- ``session_rescheduled(session_id, by, old_start, new_start)`` — a scheduled session moved:
  scheduled again with a new time (``session_schedule``) or a new start in an edit
  (``session_update``).
- ``session_cancelled(session_id, by, from_state)`` — a proposed or scheduled session was
  cancelled (also a draft whose host declined it).
- ``session_held(session_id, by, automatic)`` — a scheduled session was marked held (``by``
  ``None`` and ``automatic`` true: the clock marked it).
- ``session_changed(session_id, by)`` — a session's details were edited (``session_update``;
  a move sends ``session_rescheduled`` as well).
- ``rsvp_changed(session_id, person_id, response, waitlisted)`` — a person answered yes, maybe or
  no (``rsvp_set``: the web page, the signed link, a calendar's reply by mail, the API);
  ``waitlisted`` is true for a "yes" to a full session.
- ``attendance_added(session_id, person_id, by, after_held)`` — someone was put on the
  attendance log (check-in or the host's list); ``after_held``: the session was marked held
  already (a correction).

**Sent inside the transaction**: ``session_changing``, for the few receivers whose rows must
change together with the session or not at all (the reminders plan moves with the start it was
planned for). ``session_changing(session, change)`` is sent with the locked, saved ``Session``
after its history row is written, before the transaction commits; ``change`` is one of
``SCHEDULED``, ``RESCHEDULED``, ``CANCELLED``, ``HELD`` or ``EDITED`` (an edit of a session in
any state, which may also have changed its programme). It is sent with ``send``:
a receiver that raises rolls the whole change back, as a failing write inside the service would.
A receiver must not do anything the database cannot undo (that belongs to the signals above).
"""

from __future__ import annotations

from django.dispatch import Signal

session_proposed = Signal()
session_scheduled = Signal()
session_rescheduled = Signal()
session_cancelled = Signal()
session_held = Signal()
session_changed = Signal()
rsvp_changed = Signal()
attendance_added = Signal()

session_changing = Signal()

# ``session_changing``'s ``change``.
SCHEDULED = "scheduled"
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"
HELD = "held"
EDITED = "edited"
