"""The live questions' parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from kshare.core.pages import part_register
from kshare.questions.views import questions_context


def register() -> None:
    # The session page, main column: the questions once they open, during and after it.
    part_register(
        region="session.discussion",
        name="questions.live",
        template="questions/_session_questions.html",
        context=questions_context,
    )
