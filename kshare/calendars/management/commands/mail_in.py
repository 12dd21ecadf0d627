"""`kshare mail-in`: calendar answers (iMIP replies) from the IMAP mailbox or from stdin."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

# A mail server pipes one message; more than this is no calendar reply.
STDIN_LIMIT = 30 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Save the Accept / Maybe / Decline answers that calendar programs mailed back (iMIP "
        "replies) as RSVPs: from the mailbox of KSHARE_IMAP_URL, or with `-` one message from "
        "stdin (for a mail server's pipe). Bad mail is counted and skipped, never an error."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "source",
            nargs="?",
            choices=["-"],
            help="`-`: read one RFC 822 message from stdin instead of the IMAP mailbox",
        )

    def handle(self, *args, source: str | None = None, **options) -> None:
        from kshare.calendars.mail_in import MailInError, mail_in_imap, mail_in_message

        if source == "-":
            raw = sys.stdin.buffer.read(STDIN_LIMIT + 1)
            result = mail_in_message(raw)
        else:
            try:
                result = mail_in_imap()
            except MailInError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(f"Calendar replies: {result.summary()}")
