"""Stored reasons are English and read back in the reader's language."""

from __future__ import annotations

from django.utils import translation

from kshare.recommend import reasons


def test_a_stored_reason_is_shown_in_the_readers_language():
    stored = reasons.reason_stored(reasons.ATTENDED, title="Intro to 'pandas'")
    assert stored == "similar to 'Intro to 'pandas'' you attended"

    assert reasons.reason_shown(stored) == stored
    with translation.override("de"):
        assert reasons.reason_shown(stored) == (
            "ähnlich wie „Intro to 'pandas'“, an dem Sie teilgenommen haben"
        )
        assert reasons.reason_shown(reasons.POPULAR) == "gerade beliebt"
        assert reasons.one_decimal(4.5) == "4,5"
    with translation.override("fr"):
        assert reasons.reason_shown("matches your skill: SQL") == (
            "correspond à votre compétence\u00a0: SQL"
        )
    # Text that no template wrote (an older wording) is shown as stored.
    assert reasons.reason_shown("because you said so") == "because you said so"
