"""The rule of an idea's text (``kshare.ideas.inputs``), for the form and the API alike."""

from __future__ import annotations

import pytest

from kshare.core.inputs import InputError
from kshare.ideas.inputs import IdeaInput, idea_input_check


def test_title_spaces_collapse_and_the_description_is_stripped():
    assert idea_input_check(IdeaInput(title=" A \n  dashboard ", description=" Yes. ")) == (
        IdeaInput(title="A dashboard", description="Yes.")
    )


def test_a_blank_title_gives_the_forms_message():
    with pytest.raises(InputError) as caught:
        idea_input_check(IdeaInput(title=" \t "))
    assert caught.value.fields == {"title": ["Give the idea a title."]}
