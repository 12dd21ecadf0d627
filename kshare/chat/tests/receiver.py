"""A chat platform on loopback for the tests: a real HTTP server that checks each body against
the platform's documented rules and fails as the real services do (429 with Retry-After, 404 for
a removed webhook), and the rules themselves.

Block Kit's rules are documented, not published as a schema
(https://docs.slack.dev/reference/block-kit/blocks, "Layout blocks" and each block's fields), so
``block_kit_problems`` writes down the ones kshare's messages touch. Mattermost's attachments are
documented at https://developers.mattermost.com/integrate/reference/message-attachments/.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

Validator = Callable[[Any], list[str]]


def _text_object(obj: Any, where: str, *, limit: int, kinds=("plain_text", "mrkdwn")) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return [f"{where}: a text object of type {'/'.join(kinds)}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: text must be a non-empty string"]
    if len(text) > limit:
        return [f"{where}: {len(text)} characters, more than {limit}"]
    extra = set(obj) - {"type", "text", "emoji", "verbatim"}
    return [f"{where}: unknown fields {sorted(extra)}"] if extra else []


def block_kit_problems(body: Any) -> list[str]:
    """What Slack would refuse in an incoming webhook's Block Kit body ([] when none)."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems: list[str] = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("text: the notification fallback is missing")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "blocks: a non-empty list"]
    if len(blocks) > 50:
        problems.append(f"blocks: {len(blocks)}, more than 50")
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            problems += _text_object(block.get("text"), where, limit=150, kinds=("plain_text",))
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: a section needs text or fields")
            if "text" in block:
                problems += _text_object(block["text"], where, limit=3000)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                    problems.append(f"{where}: 1 to 10 fields")
                for j, item in enumerate(fields or []):
                    problems += _text_object(item, f"{where}.fields[{j}]", limit=2000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                problems.append(f"{where}: 1 to 25 elements")
            for j, element in enumerate(elements or []):
                at = f"{where}.elements[{j}]"
                if element.get("type") != "button":
                    problems.append(f"{at}: not a button")
                    continue
                problems += _text_object(element.get("text"), at, limit=75, kinds=("plain_text",))
                url = element.get("url")
                if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                    problems.append(f"{at}: url must be a web address")
                elif len(url) > 3000:
                    problems.append(f"{at}: url longer than 3000")
                if element.get("style") not in (None, "primary", "danger"):
                    problems.append(f"{at}: style must be primary or danger")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}: 1 to 10 elements")
        elif kind != "divider":
            problems.append(f"{where}: unknown block type {kind!r}")
        if isinstance(block, dict) and len(str(block.get("block_id", ""))) > 255:
            problems.append(f"{where}: block_id longer than 255")
    return problems


def mattermost_problems(body: Any) -> list[str]:
    """What Mattermost would refuse or lose in an incoming webhook's body."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems: list[str] = []
    attachments = body.get("attachments")
    if not body.get("text") and not attachments:
        problems.append("neither text nor attachments")
    size = len(body.get("text") or "") + sum(len(json.dumps(a)) for a in attachments or [])
    if size > 16383:
        problems.append(f"{size} characters, more than a post holds (16383)")
    for i, attachment in enumerate(attachments or []):
        if not isinstance(attachment.get("fallback"), str) or not attachment["fallback"]:
            problems.append(f"attachments[{i}].fallback is required")
        for j, item in enumerate(attachment.get("fields") or []):
            if set(item) - {"title", "value", "short"}:
                problems.append(f"attachments[{i}].fields[{j}]: unknown keys")
    return problems


ADAPTIVE_CARD_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "adaptive-card-1.5-subset.json").read_text()
)


def teams_problems(body: Any) -> list[str]:
    """What a Teams workflow would refuse: the message wrapping, the card against the Adaptive
    Card 1.5 schema (``data/adaptive-card-1.5-subset.json``), the ~28 KB message limit."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return ['the body is not {"type": "message", …}']
    problems: list[str] = []
    size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    if size > 28 * 1024:
        problems.append(f"{size} bytes, more than a Teams message holds (28 KB)")
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return [*problems, "one attachment expected"]
    attachment = attachments[0]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("the attachment is not an Adaptive Card")
    card = attachment.get("content")
    validator = jsonschema.Draft6Validator(ADAPTIVE_CARD_SCHEMA)
    problems += [f"card: {e.message}" for e in validator.iter_errors(card)]
    if isinstance(card, dict) and card.get("version") != "1.5":
        problems.append("card: version 1.5 expected")
    return problems


def google_chat_problems(body: Any) -> list[str]:
    """What Google Chat would refuse in an incoming webhook's ``cardsV2`` message."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems: list[str] = []
    size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    if size > 32_000:
        problems.append(f"{size} bytes, more than a message holds (32,000)")
    if len(body.get("text") or "") > 4096:
        problems.append("text: more than 4096 characters")
    known = {"text", "cardsV2", "thread"}
    if set(body) - known:
        problems.append(f"unknown fields {sorted(set(body) - known)}")
    for i, item in enumerate(body.get("cardsV2") or []):
        card = item.get("card") or {}
        if not isinstance(item.get("cardId"), str):
            problems.append(f"cardsV2[{i}].cardId: a string")
        header = card.get("header") or {}
        if not header.get("title"):
            problems.append(f"cardsV2[{i}].card.header.title is required")
        for j, section in enumerate(card.get("sections") or []):
            widgets = section.get("widgets")
            if not widgets:
                problems.append(f"cardsV2[{i}].sections[{j}]: at least one widget")
            for k, widget in enumerate(widgets or []):
                at = f"cardsV2[{i}].sections[{j}].widgets[{k}]"
                if len(widget) != 1:
                    problems.append(f"{at}: exactly one widget kind")
                    continue
                [(kind, value)] = widget.items()
                if kind == "decoratedText" and not value.get("text"):
                    problems.append(f"{at}: decoratedText needs text")
                elif kind == "textParagraph" and not value.get("text"):
                    problems.append(f"{at}: textParagraph needs text")
                elif kind == "buttonList":
                    for button in value.get("buttons") or []:
                        url = (((button.get("onClick") or {}).get("openLink")) or {}).get("url")
                        if not button.get("text") or not str(url).startswith(
                            ("https://", "http://")
                        ):
                            problems.append(f"{at}: a button needs text and an openLink url")
                elif kind not in ("decoratedText", "textParagraph", "buttonList"):
                    problems.append(f"{at}: unknown widget {kind!r}")
    if not body.get("text") and not body.get("cardsV2"):
        problems.append("neither text nor cardsV2")
    return problems


@dataclass
class Received:
    path: str
    body: Any
    problems: list[str]


@dataclass
class Receiver:
    """Answers each POST with the next of ``answers`` ((status, headers); then 200 for ever)."""

    validate: Validator
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        problems = self.validate(body) if body is not None else ["not JSON"]
        self.received.append(Received(path=path, body=body, problems=problems))
        if problems:  # as Slack answers a body it cannot read
            return 400, {}, b"invalid_blocks"
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        return status, headers, b"ok" if status == 200 else b"no"


def serve(receiver: Receiver) -> Callable[[], None]:
    """Start ``receiver`` on a free loopback port; returns the function that stops it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = receiver.answer(self.path, self.rfile.read(length))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
