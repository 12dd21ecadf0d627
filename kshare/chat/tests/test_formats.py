"""Each platform's body, checked against its documented rules (Block Kit's limits, Mattermost's
attachments, the Adaptive Card 1.5 schema, Google Chat's cards v2), for an ordinary post and for
one whose texts and lists are far over every limit."""

from __future__ import annotations

import json

import pytest

from kshare.chat import formats
from kshare.chat.formats import Item, Message
from kshare.chat.tests.receiver import (
    block_kit_problems,
    google_chat_problems,
    mattermost_problems,
    teams_problems,
)

PROBLEMS = {
    "slack": block_kit_problems,
    "mattermost": mattermost_problems,
    "teams": teams_problems,
    "google_chat": google_chat_problems,
}

PAGE = "https://kshare.example.com/sessions/7/"

ORDINARY = Message(
    heading="New session",
    title="Pandas <tricks> & *tips*",
    url=PAGE,
    facts=[("Host", "Ada Host"), ("When", "Tuesday 8 December 2026, 14:00-14:45 (Europe/Berlin)")],
    text="Fast data frames.",
    buttons=[("RSVP", PAGE)],
)

HUGE = Message(
    heading="This week " + "x" * 400,
    title="T" * 5000,
    url=PAGE,
    facts=[(f"Fact {i}", "v" * 3000) for i in range(12)],
    text="word " * 3000,
    buttons=[("A very long button label " * 10, PAGE), ("Second", PAGE)],
    items=[Item(title=f"Session {i} " + "y" * 200, url=PAGE, detail="z" * 300) for i in range(300)],
    items_heading="Coming up",
    more_items=[Item(title=f"Topic {i}", detail="12 votes") for i in range(100)],
    more_heading="Most wanted topics",
)


@pytest.mark.parametrize("platform", sorted(PROBLEMS))
@pytest.mark.parametrize("message", [ORDINARY, HUGE], ids=["ordinary", "huge"])
def test_every_platform_body_is_valid(platform, message):
    body = formats.render(platform, message)
    assert PROBLEMS[platform](body) == []
    json.dumps(body)  # JSON as it is


@pytest.mark.parametrize(
    "spoil",
    [
        lambda card: card["body"].append({"type": "Carousel", "pages": []}),  # not in 1.5
        lambda card: card["actions"][0].pop("url"),  # Action.OpenUrl requires it
        lambda card: card["body"][0].update(size="Huge"),  # not a FontSize
        lambda card: card.update(msteams={"width": "Full"}),  # not a card property
    ],
    ids=["unknown-element", "action-without-url", "bad-enum", "unknown-property"],
)
def test_the_adaptive_card_schema_refuses_what_teams_would(spoil):
    body = formats.teams(ORDINARY)
    spoil(body["attachments"][0]["content"])
    [problem] = teams_problems(body)
    assert problem.startswith("card: ")


def test_slack_escapes_its_control_characters_and_links_the_title():
    body = formats.slack(ORDINARY)
    assert body["blocks"][1]["text"]["text"] == f"*<{PAGE}|Pandas &lt;tricks&gt; &amp; *tips*>*"
    assert body["text"] == "New session: Pandas <tricks> & *tips*"
    assert body["blocks"][-1] == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "RSVP"},
                "url": PAGE,
                "style": "primary",
            }
        ],
    }


def test_slack_keeps_its_buttons_and_says_there_is_more_when_blocks_run_out():
    body = formats.slack(HUGE)
    assert len(body["blocks"]) == 50
    assert body["blocks"][-1]["type"] == "actions"
    assert body["blocks"][-2]["text"]["text"] == "… and more on kshare."
    assert len(body["blocks"][0]["text"]["text"]) == 150
    assert body["blocks"][0]["text"]["text"].endswith("…")


def test_teams_card_is_version_1_5_with_facts_and_an_open_url_action():
    card = formats.teams(ORDINARY)["attachments"][0]["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.5")
    assert card["body"][2] == {
        "type": "FactSet",
        "facts": [
            {"title": "Host", "value": "Ada Host"},
            {"title": "When", "value": "Tuesday 8 December 2026, 14:00-14:45 (Europe/Berlin)"},
        ],
    }
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "RSVP", "url": PAGE}]
    assert card["body"][1]["text"] == f"[Pandas <tricks> & \\*tips\\*]({PAGE})"


def test_teams_and_google_drop_list_items_to_fit_and_say_so():
    teams = formats.teams(HUGE)
    google = formats.google_chat(HUGE)
    assert len(json.dumps(teams, ensure_ascii=False, separators=(",", ":")).encode()) <= 27_000
    assert len(json.dumps(google, ensure_ascii=False, separators=(",", ":")).encode()) <= 30_000
    assert teams["attachments"][0]["content"]["body"][-1]["text"] == "… and more on kshare."
    last = google["cardsV2"][0]["card"]["sections"][-1]
    assert last == {"widgets": [{"textParagraph": {"text": "… and more on kshare."}}]}


def test_google_chat_card_escapes_html_and_opens_links():
    body = formats.google_chat(ORDINARY)
    card = body["cardsV2"][0]["card"]
    assert card["header"] == {
        "title": "New session",
        "subtitle": "Pandas &lt;tricks&gt; &amp; *tips*",
    }
    assert card["sections"][0]["widgets"][-1] == {
        "buttonList": {"buttons": [{"text": "RSVP", "onClick": {"openLink": {"url": PAGE}}}]}
    }
    assert body["text"] == "New session: Pandas <tricks> & *tips*"


def test_mattermost_attachment_has_its_fallback_title_link_and_fields():
    [attachment] = formats.mattermost(ORDINARY)["attachments"]
    assert attachment["fallback"] == "New session: Pandas <tricks> & *tips*"
    assert (attachment["title"], attachment["title_link"]) == ("Pandas <tricks> & *tips*", PAGE)
    assert attachment["fields"][0] == {"short": True, "title": "Host", "value": "Ada Host"}
    assert attachment["text"] == f"Fast data frames.\n[RSVP]({PAGE})"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four five", 16, "one two three…"),
        ("abcdefghijklmnop", 8, "abcdefg…"),
    ],
)
def test_cut_stops_at_a_word_when_one_is_near(text, limit, expected):
    assert formats.cut(text, limit) == expected
