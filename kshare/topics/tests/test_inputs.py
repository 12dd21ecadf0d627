"""The rules of a topic request (``kshare.topics.inputs``): the form's messages, for the form
and the API alike."""

from __future__ import annotations

import pytest

from kshare.core.inputs import InputError
from kshare.topics.inputs import TopicInput, topic_input_check


def test_a_valid_request_comes_back_normalised():
    data = TopicInput(title=" dbt \n for  analysts ", description=" How? ", tags=["dbt", "DBT"])
    assert topic_input_check(data) == TopicInput(
        title="dbt for analysts", description="How?", tags=["dbt"]
    )


@pytest.mark.parametrize(
    "data, fields",
    [
        (TopicInput(title="  "), {"title": ["Name the topic you would like a session on."]}),
        (
            TopicInput(title="X", tags=[f"t{i}" for i in range(11)]),
            {"tags": ["Use at most 10 tags."]},
        ),
        (
            TopicInput(title="X", tags=["?"]),
            {"tags": ["The tag “?” needs at least one letter or digit."]},
        ),
    ],
)
def test_each_rule_gives_the_forms_message(data, fields):
    with pytest.raises(InputError) as caught:
        topic_input_check(data)
    assert caught.value.fields == fields


def test_a_field_the_form_refused_is_not_checked_again():
    assert topic_input_check(TopicInput(title=""), skip={"title"}).title == ""
