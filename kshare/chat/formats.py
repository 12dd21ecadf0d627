"""One announcement, written in each platform's own message format (no Django in here).

The services describe what to say as a ``Message`` (plain data: a heading, the session's title
and link, facts such as host and time, a short text, buttons, and for a digest a list of items);
each platform function turns it into the JSON body its incoming webhook takes, within that
platform's documented limits — a longer text is cut at a word with "…", never refused by the
platform:

- Slack (Block Kit, https://docs.slack.dev/reference/block-kit/blocks): at most 50 blocks; a
  header's plain text 150 characters; a section's text 3000 and its fields 10 of 2000 each; a
  button's text 75 and its URL 3000; 25 elements in an actions block; ``text`` is the
  notification fallback. In mrkdwn ``&``, ``<`` and ``>`` are escaped as HTML entities.
- Mattermost (incoming webhooks, Slack-compatible ``attachments``,
  https://developers.mattermost.com/integrate/reference/message-attachments/): ``fallback`` is
  required; a post holds at most 16383 characters, so the attachment's text is kept well under.
- Microsoft Teams (a workflow "When a Teams webhook request is received" that posts the card):
  ``{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
  "content": <Adaptive Card 1.5>}]}``; a message holds about 28 KB, so list items are dropped from
  the end (with "… and more on kshare") until the body fits ``TEAMS_MAX_BYTES``.
- Google Chat (incoming webhooks, ``cardsV2``, https://developers.google.com/chat/messages-overview):
  a message of at most 32,000 bytes; ``text`` (the notification) at most 4096 characters.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field, replace
from typing import Any

ELLIPSIS = "…"

SLACK_MAX_BLOCKS = 50
SLACK_HEADER_MAX = 150
SLACK_SECTION_MAX = 3000
SLACK_FIELD_MAX = 2000
SLACK_FIELDS_MAX = 10
SLACK_BUTTON_TEXT_MAX = 75
SLACK_URL_MAX = 3000
SLACK_ACTIONS_MAX = 25
SLACK_FALLBACK_MAX = 3000

MATTERMOST_TEXT_MAX = 4000  # of the 16383 a post may hold: room for fields and title


@dataclass(frozen=True)
class Item:
    """One line of a list (a digest's session or topic): a title, its link, a detail."""

    title: str
    url: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Message:
    heading: str  # "New session", "Tomorrow", "Starting in 15 minutes" …
    title: str = ""  # the session's title
    url: str = ""  # the session's page
    facts: list[tuple[str, str]] = field(default_factory=list)  # ("Host", "Ada"), ("When", …)
    text: str = ""  # plain text, a paragraph
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, https URL)
    items: list[Item] = field(default_factory=list)
    items_heading: str = ""
    more_items: list[Item] = field(default_factory=list)  # a second list (most wanted topics)
    more_heading: str = ""
    # Closes a list cut short to fit the platform's limit (translated by the caller).
    more_text: str = f"{ELLIPSIS} and more on kshare."

    def summary(self) -> str:
        """One line for notifications and clients that show no cards."""
        return f"{self.heading}: {self.title}" if self.title else self.heading


FACTS_MAX = 10
FACT_TITLE_MAX = 100
FACT_VALUE_MAX = 500
TITLE_MAX = 300
TEXT_MAX = 2000


def bounded(message: Message) -> Message:
    """``message`` within the limits every platform shares: at most ten facts of 500
    characters, a title of 300 and a text of 2000."""
    return replace(
        message,
        facts=[(cut(k, FACT_TITLE_MAX), cut(v, FACT_VALUE_MAX)) for k, v in message.facts][
            :FACTS_MAX
        ],
        title=cut(message.title, TITLE_MAX),
        text=cut(message.text, TEXT_MAX),
    )


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut at a word boundary when one is near, with
    "…" at the end."""
    if len(text) <= limit:
        return text
    room = text[: limit - len(ELLIPSIS)]
    space = room.rfind(" ")
    if space >= limit * 3 // 4:
        room = room[:space]
    return room.rstrip() + ELLIPSIS


# --- Slack -------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Text as Slack mrkdwn shows it literally (its three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str, label: str) -> str:
    # In <url|label> the label may not contain "|" or ">" unescaped.
    return f"<{url}|{slack_escape(label).replace('|', '¦')}>"


def _slack_section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(markdown, SLACK_SECTION_MAX)}}


def _slack_items(items: list[Item], heading: str) -> list[dict[str, Any]]:
    """A heading and the items, several to a section (each section at most 3000 characters)."""
    if not items:
        return []
    blocks = [_slack_section(f"*{slack_escape(heading)}*")] if heading else []
    lines: list[str] = []
    for item in items:
        title = _slack_link(item.url, item.title) if item.url else slack_escape(item.title)
        line = f"• {title}" + (f" — {slack_escape(item.detail)}" if item.detail else "")
        line = cut(line, SLACK_SECTION_MAX) if len(line) > SLACK_SECTION_MAX else line
        if lines and len("\n".join([*lines, line])) > SLACK_SECTION_MAX:
            blocks.append(_slack_section("\n".join(lines)))
            lines = []
        lines.append(line)
    blocks.append(_slack_section("\n".join(lines)))
    return blocks


def slack(message: Message) -> dict[str, Any]:
    """The Block Kit body of a Slack incoming webhook."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": cut(message.heading, SLACK_HEADER_MAX)},
        }
    ]
    if message.title:
        title = slack_escape(message.title)
        if message.url:
            title = _slack_link(message.url, message.title)
        blocks.append(_slack_section(f"*{title}*"))
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": cut(f"*{slack_escape(k)}*\n{slack_escape(v)}", SLACK_FIELD_MAX),
                    }
                    for k, v in message.facts[:SLACK_FIELDS_MAX]
                ],
            }
        )
    if message.text:
        blocks.append(_slack_section(slack_escape(message.text)))
    blocks += _slack_items(message.items, message.items_heading)
    blocks += _slack_items(message.more_items, message.more_heading)
    buttons = [(label, url) for label, url in message.buttons if len(url) <= SLACK_URL_MAX][
        :SLACK_ACTIONS_MAX
    ]
    actions = (
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": cut(label, SLACK_BUTTON_TEXT_MAX)},
                        "url": url,
                        **({"style": "primary"} if i == 0 else {}),
                    }
                    for i, (label, url) in enumerate(buttons)
                ],
            }
        ]
        if buttons
        else []
    )
    # Room for the buttons: a long digest loses its last items, never its buttons.
    room = SLACK_MAX_BLOCKS - len(actions)
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], _slack_section(message.more_text)]
    return {"text": cut(message.summary(), SLACK_FALLBACK_MAX), "blocks": blocks + actions}


# --- Mattermost --------------------------------------------------------------------------------


def _markdown_escape(text: str) -> str:
    """Text shown literally in Mattermost's Markdown."""
    for char in "\\`*_[]<>#|~":
        text = text.replace(char, "\\" + char)
    return text


def _markdown_items(items: list[Item], heading: str) -> list[str]:
    if not items:
        return []
    lines = [f"**{_markdown_escape(heading)}**"] if heading else []
    for item in items:
        title = _markdown_escape(item.title)
        if item.url:
            title = f"[{title}]({item.url})"
        lines.append(f"- {title}" + (f" — {_markdown_escape(item.detail)}" if item.detail else ""))
    return lines


def mattermost(message: Message) -> dict[str, Any]:
    """The body of a Mattermost incoming webhook: one Slack-style attachment."""
    message = bounded(message)
    parts = [_markdown_escape(message.text)] if message.text else []
    parts += _markdown_items(message.items, message.items_heading)
    parts += _markdown_items(message.more_items, message.more_heading)
    if message.buttons:
        parts.append(
            " · ".join(f"[{_markdown_escape(label)}]({url})" for label, url in message.buttons)
        )
    attachment: dict[str, Any] = {
        "fallback": message.summary(),
        "pretext": _markdown_escape(message.heading),
        "text": cut("\n".join(parts), MATTERMOST_TEXT_MAX),
        "fields": [
            {"short": True, "title": k, "value": _markdown_escape(v)} for k, v in message.facts
        ],
    }
    if message.title:
        attachment["title"] = cut(message.title, 250)
        if message.url:
            attachment["title_link"] = message.url
    return {"attachments": [attachment]}


# --- Microsoft Teams (Adaptive Card 1.5) -------------------------------------------------------

TEAMS_MAX_BYTES = 27_000  # of the ~28 KB a Teams message holds: room for the workflow's wrapping
ADAPTIVE_CARD_VERSION = "1.5"


def _card_escape(text: str) -> str:
    """Text a TextBlock shows literally (it reads a Markdown subset)."""
    for char in "\\*_[]#`":
        text = text.replace(char, "\\" + char)
    return text


def _card_items(items: list[Item], heading: str) -> list[dict[str, Any]]:
    if not items:
        return []
    blocks: list[dict[str, Any]] = []
    if heading:
        blocks.append(
            {"type": "TextBlock", "text": _card_escape(heading), "weight": "Bolder", "wrap": True}
        )
    for item in items:
        title = _card_escape(item.title)
        if item.url:
            title = f"[{title}]({item.url})"
        text = f"- {title}" + (f" — {_card_escape(item.detail)}" if item.detail else "")
        blocks.append({"type": "TextBlock", "text": text, "wrap": True, "spacing": "Small"})
    return blocks


def _teams_body(message: Message, items: list[Item], more: list[Item], cut_off: bool) -> dict:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _card_escape(message.heading),
            "style": "heading",
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        }
    ]
    if message.title:
        title = _card_escape(message.title)
        if message.url:
            title = f"[{title}]({message.url})"
        body.append({"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True})
    if message.facts:
        body.append(
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in message.facts]}
        )
    if message.text:
        body.append({"type": "TextBlock", "text": _card_escape(message.text), "wrap": True})
    body += _card_items(items, message.items_heading)
    body += _card_items(more, message.more_heading)
    if cut_off:
        body.append({"type": "TextBlock", "text": message.more_text, "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "fallbackText": message.summary(),
        "body": body,
    }
    if message.buttons:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": label, "url": url} for label, url in message.buttons
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _size(body: dict[str, Any]) -> int:
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def _fit(build, message: Message, limit: int) -> dict[str, Any]:
    """``build(message, items, more, cut_off)`` with list items dropped from the end until the
    body is at most ``limit`` bytes of JSON."""
    items, more = list(message.items), list(message.more_items)
    body = build(message, items, more, False)
    while _size(body) > limit and (items or more):
        if more:
            more.pop()
        else:
            items.pop()
        body = build(message, items, more, True)
    return body


def teams(message: Message) -> dict[str, Any]:
    """A Teams workflow webhook's body: one Adaptive Card 1.5 attachment."""
    return _fit(_teams_body, bounded(message), TEAMS_MAX_BYTES)


# --- Google Chat (cards v2) ---------------------------------------------------------------------

GOOGLE_MAX_BYTES = 30_000  # of the 32,000 a message may hold
GOOGLE_TEXT_MAX = 4096


def _google_text(text: str) -> str:
    """Text a card widget shows literally (it reads simple HTML)."""
    return html.escape(text, quote=False)


def _google_items(items: list[Item], heading: str) -> list[dict[str, Any]]:
    if not items:
        return []
    lines = []
    for item in items:
        title = _google_text(item.title)
        if item.url:
            title = f'<a href="{html.escape(item.url)}">{title}</a>'
        lines.append(f"• {title}" + (f" — {_google_text(item.detail)}" if item.detail else ""))
    section: dict[str, Any] = {"widgets": [{"textParagraph": {"text": "<br>".join(lines)}}]}
    if heading:
        section["header"] = _google_text(heading)
    return [section]


def _google_body(message: Message, items: list[Item], more: list[Item], cut_off: bool) -> dict:
    widgets: list[dict[str, Any]] = [
        {"decoratedText": {"topLabel": _google_text(k), "text": _google_text(v), "wrapText": True}}
        for k, v in message.facts
    ]
    if message.text:
        widgets.append({"textParagraph": {"text": _google_text(message.text)}})
    if message.buttons:
        widgets.append(
            {
                "buttonList": {
                    "buttons": [
                        {"text": label, "onClick": {"openLink": {"url": url}}}
                        for label, url in message.buttons
                    ]
                }
            }
        )
    sections = [{"widgets": widgets}] if widgets else []
    sections += _google_items(items, message.items_heading)
    sections += _google_items(more, message.more_heading)
    if cut_off:
        sections.append({"widgets": [{"textParagraph": {"text": message.more_text}}]})
    header: dict[str, Any] = {"title": _google_text(message.heading)}
    if message.title:
        header["subtitle"] = _google_text(message.title)
    return {
        "text": cut(message.summary(), GOOGLE_TEXT_MAX),
        "cardsV2": [{"cardId": "kshare", "card": {"header": header, "sections": sections}}],
    }


def google_chat(message: Message) -> dict[str, Any]:
    """A Google Chat incoming webhook's body: the notification text and one card."""
    return _fit(_google_body, bounded(message), GOOGLE_MAX_BYTES)


RENDERERS = {"slack": slack, "mattermost": mattermost, "teams": teams, "google_chat": google_chat}


def render(platform: str, message: Message) -> dict[str, Any]:
    """``message`` in ``platform``'s format (a ``Platform`` value)."""
    return RENDERERS[platform](message)
