"""End to end with a real IMAP server: the invitations kshare mailed are answered in Outlook,
Google Calendar and Apple Calendar, the replies land in the reply mailbox (dovecot on loopback),
and `kshare mail-in` — the real command, in its own process, against the test database — turns
them into RSVPs and moves them out of the way, so a second run reads nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings

from kshare.calendars.mail_in import mail_in_imap
from kshare.calendars.tasks import mail_in_tick_task
from kshare.calendars.tests.dovecot import DOVECOT, Dovecot, dovecot_start, dovecot_stop
from kshare.calendars.tests.imip_mail import apple_reply, google_reply, outlook_reply, plain_mail
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.invitations import invitations_create
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.test_cli import PROJECT_DIR, kshare_env
from kshare.web.tests.workers import database_url

pytestmark = pytest.mark.django_db(transaction=True)  # the command sees committed rows only

ANN, BEN, CAT, DAN = "ann@example.com", "ben@example.com", "cat@example.com", "dan@example.com"


def _dovecot(*, tls: bool, capability: str = ""):
    if not Path(DOVECOT).exists():
        pytest.fail(
            f"This test reads replies from a real IMAP server, Debian's dovecot ({DOVECOT} is "
            "missing). Run `make test`: it installs dovecot-imapd."
        )
    # Not under pytest's basetemp (mode 0700): dovecot's own users must reach the mail folder.
    root = Path(tempfile.mkdtemp(prefix="kshare-dovecot-"))
    server, process = dovecot_start(root, tls=tls, capability=capability)
    try:
        yield server
    finally:
        dovecot_stop(process)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot():
    yield from _dovecot(tls=False)


@pytest.fixture
def dovecot_tls():
    yield from _dovecot(tls=True)


@pytest.fixture
def dovecot_without_move():
    """A server that does not announce MOVE (RFC 6851), as older ones do."""
    yield from _dovecot(tls=False, capability="IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS")


def mail_in(home: Path, server: Dovecot, *args: str, stdin: bytes | None = None, **env: str):
    environment = kshare_env(
        home,
        **{
            "DATABASE_URL": database_url(),
            "SITE_URL": settings.SITE_URL,  # the UIDs name the site's host
            "KSHARE_IMAP_URL": server.url() if server else "",
            **env,
        },
    )
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", "mail-in", *args],
        cwd=PROJECT_DIR,
        env=environment,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def invited(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory(title="Intro to SQL", capacity=2)
    people = [
        PersonFactory(email=ANN, display_name="Ann Archer"),
        PersonFactory(email=BEN, display_name="Ben Baker"),
        PersonFactory(email=CAT, display_name="Cat Cole"),
        PersonFactory(email=DAN, display_name="Dan Dale"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(session=session, by=session.host_links.get().person, people=people)
    return session, {message.to[0]: message for message in mail.outbox}


def answers(session) -> dict[str, tuple[str, bool]]:
    return {
        i.person.email: (i.response, i.waitlisted_at is not None)
        for i in Invitation.objects.filter(session=session).select_related("person")
    }


def test_replies_from_outlook_google_and_apple_in_the_mailbox_become_rsvps(
    invited, dovecot, tmp_path, client
):
    session, mails = invited
    dovecot.deliver(
        outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer", partstat="ACCEPTED"),
        google_reply(mails[BEN], attendee=BEN, name="Ben Baker", partstat="DECLINED"),
        apple_reply(mails[CAT], attendee=CAT, name="Cat Cole", partstat="TENTATIVE"),
        # Someone else's mailbox answering for Dan: changes nothing.
        outlook_reply(mails[DAN], attendee=DAN, name="Dan", partstat="DECLINED", sender=ANN),
        plain_mail(sender=DAN, to="kshare@localhost", subject="Thanks!", body="See you there."),
        b"\x00 not even a mail \xff",
    )
    result = mail_in(tmp_path, dovecot)
    assert (result.returncode, result.stderr.decode()[-2000:].count("Traceback")) == (0, 0)
    assert result.stdout.decode() == (
        "Calendar replies: 6 messages read: 3 answers saved, 1 refused, "
        "2 without a calendar reply.\n"
    )
    assert answers(session) == {
        ANN: ("yes", False),
        BEN: ("no", False),
        CAT: ("maybe", False),
        DAN: ("pending", False),
    }
    # What each of them sees on the session page.
    for address, shown in [(ANN, "Going"), (BEN, "Not going"), (CAT, "Maybe"), (DAN, None)]:
        client.force_login(Invitation.objects.get(session=session, person__email=address).person)
        html = client.get(session.get_absolute_url()).content.decode()
        assert ("Will you come?" in html, f"Your answer: <strong>{shown}</strong>" in html) == (
            shown is None,
            shown is not None,
        )
    # Everything read was moved: the inbox is empty, nothing is read twice.
    assert dovecot.subjects("INBOX") == []
    assert len(dovecot.subjects("kshare-done")) == 6
    assert dovecot.subjects("kshare-done")[:3] == [
        "Accepted: Intro to SQL",
        dovecot.subjects("kshare-done")[1],
        "Invitation: Intro to SQL (Tentative)",
    ]
    assert dovecot.subjects("kshare-done")[1].startswith("Declined: Intro to SQL @ ")
    again = mail_in(tmp_path, dovecot)
    assert (again.returncode, again.stdout.decode()) == (
        0,
        "Calendar replies: 0 messages read: 0 answers saved, 0 refused, "
        "0 without a calendar reply.\n",
    )


def test_the_worker_task_reads_the_mailbox_when_one_is_configured(invited, dovecot):
    from kshare.core.ticks import periodic_tasks

    assert "kshare.calendars.tasks.mail_in_tick_task" in periodic_tasks()  # every tick
    session, mails = invited
    dovecot.deliver(google_reply(mails[DAN], attendee=DAN, name="Dan Dale"))
    with override_settings(KSHARE_IMAP=None):
        assert mail_in_tick_task.call() == {"skipped": "KSHARE_IMAP_URL is not set"}
    assert answers(session)[DAN] == ("pending", False)
    with override_settings(KSHARE_IMAP=dovecot.imap(), KSHARE_IMAP_DONE_FOLDER="Done"):
        assert mail_in_tick_task.call() == {
            "messages": 1,
            "saved": 1,
            "refused": 0,
            "ignored": 0,
            "failed": 0,
        }
    assert answers(session)[DAN] == ("yes", False)
    assert (dovecot.subjects("INBOX"), len(dovecot.subjects("Done"))) == ([], 1)


def test_a_mail_server_pipe_hands_over_one_message_on_stdin(invited, tmp_path):
    session, mails = invited
    raw = outlook_reply(mails[BEN], attendee=BEN, name="Ben Baker", partstat="TENTATIVE")
    result = mail_in(tmp_path, None, "-", stdin=raw)
    assert (result.returncode, result.stdout.decode()) == (
        0,
        "Calendar replies: 1 message read: 1 answer saved, 0 refused, "
        "0 without a calendar reply.\n",
    )
    assert answers(session)[BEN] == ("maybe", False)
    bad = mail_in(tmp_path, None, "-", stdin=b"\xff\xfe garbage")
    assert (bad.returncode, bad.stdout.decode()) == (
        0,
        "Calendar replies: 1 message read: 0 answers saved, 0 refused, "
        "1 without a calendar reply.\n",
    )


def test_a_mailbox_that_cannot_be_read_is_one_sentence_and_exit_code_2(dovecot, tmp_path):
    def run(**env):
        result = mail_in(tmp_path, dovecot, **env)
        return result.returncode, result.stdout.decode(), result.stderr.decode()

    assert run(KSHARE_IMAP_URL="") == (
        2,
        "",
        "kshare: KSHARE_IMAP_URL is not set, so there is no mailbox to read.\n",
    )
    assert run(KSHARE_IMAP_URL="pop3://user@mail.example.com") == (
        2,
        "",
        "kshare: KSHARE_IMAP_URL must start with imaps:// or imap://, e.g. "
        "imaps://kshare%40example.com:password@mail.example.com/INBOX; got pop3.\n",
    )
    assert run(KSHARE_IMAP_URL=dovecot.url(password="wrong")) == (
        2,
        "",
        f"kshare: the IMAP server 127.0.0.1:{dovecot.port} refused the login of "
        "kshare@example.com: [AUTHENTICATIONFAILED] Authentication failed.\n",
    )
    assert run(KSHARE_IMAP_URL=dovecot.url(folder="Nowhere")) == (
        2,
        "",
        "kshare: the folder 'Nowhere' does not exist on the IMAP server 127.0.0.1.\n",
    )
    closed = dovecot.url().replace(f":{dovecot.port}/", ":1/")
    assert run(KSHARE_IMAP_URL=closed) == (
        2,
        "",
        "kshare: cannot connect to the IMAP server 127.0.0.1:1: Connection refused.\n",
    )


def test_imaps_and_starttls_check_the_server_certificate(invited, dovecot_tls, tmp_path):
    session, mails = invited
    server = dovecot_tls
    trusted = {"SSL_CERT_FILE": str(server.certificate)}  # as a company CA would be trusted
    server.deliver(outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer"))
    result = mail_in(tmp_path, server, KSHARE_IMAP_URL=server.url(scheme="imaps"), **trusted)
    assert (result.returncode, result.stdout.decode()) == (
        0,
        "Calendar replies: 1 message read: 1 answer saved, 0 refused, "
        "0 without a calendar reply.\n",
    )
    server.deliver(google_reply(mails[BEN], attendee=BEN, name="Ben Baker", partstat="DECLINED"))
    starttls = server.url() + "?tls=1"
    result = mail_in(tmp_path, server, KSHARE_IMAP_URL=starttls, **trusted)
    assert (result.returncode, result.stdout.decode()) == (
        0,
        "Calendar replies: 1 message read: 1 answer saved, 0 refused, "
        "0 without a calendar reply.\n",
    )
    assert (answers(session)[ANN], answers(session)[BEN]) == (("yes", False), ("no", False))
    # A certificate nobody vouched for: nothing is read, one sentence, exit 2.
    server.deliver(apple_reply(mails[CAT], attendee=CAT, name="Cat Cole"))
    for url in (server.url(scheme="imaps"), starttls):
        result = mail_in(tmp_path, server, KSHARE_IMAP_URL=url, SSL_CERT_FILE="/nonexistent")
        port = server.tls_port if url.startswith("imaps") else server.port
        assert (result.returncode, result.stderr.decode()) == (
            2,
            f"kshare: cannot connect to the IMAP server 127.0.0.1:{port}: the server's "
            "certificate is not trusted (self-signed certificate); trust its CA on this "
            "machine, or point SSL_CERT_FILE at it.\n",
        )
    assert answers(session)[CAT] == ("pending", False)


def test_without_move_read_mail_is_copied_and_only_it_expunged(invited, dovecot_without_move):
    session, mails = invited
    server = dovecot_without_move
    server.deliver(
        plain_mail(sender=DAN, to="kshare@localhost", subject="Deleted by a person", body="x")
    )
    client = server.client()
    client.select("INBOX")
    client.uid("STORE", "1", "+FLAGS.SILENT", r"(\Deleted)")  # not expunged yet
    assert "MOVE" not in client.capabilities
    client.logout()
    server.deliver(
        apple_reply(mails[CAT], attendee=CAT, name="Cat Cole", partstat="ACCEPTED"),
        plain_mail(sender=DAN, to="kshare@localhost", subject="Thanks!", body="See you."),
    )
    result = mail_in_imap(imap=server.imap(), done_folder="kshare-done")
    assert (result.messages, result.saved, result.ignored) == (2, 1, 1)
    assert answers(session)[CAT] == ("yes", False)
    assert server.subjects("kshare-done") == [
        "Invitation: Intro to SQL (Accepted)",
        "Thanks!",
    ]
    # The message a person had marked deleted is left to them.
    assert server.subjects("INBOX") == ["Deleted by a person"]


def test_a_done_folder_the_server_refuses_stops_the_run_with_one_sentence(invited, dovecot):
    from kshare.calendars.mail_in import MailInError

    session, mails = invited
    dovecot.deliver(outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer"))
    with pytest.raises(MailInError) as error:
        mail_in_imap(imap=dovecot.imap(), done_folder="done/../../etc")
    # dovecot ends its answers with its timing: "(0.001 + 0.000 secs)".
    assert re.sub(r" \(\d[\d.+ ]* secs\)", "", str(error.value)) == (
        "the IMAP server 127.0.0.1 did not put read mail into the folder 'done/../../etc' "
        "([CANNOT] Invalid mailbox name: Has adjacent hierarchy separators); set "
        "KSHARE_IMAP_DONE_FOLDER to a folder kshare may create or write."
    )
    # The answer was saved; the mail stays, and reading it again changes nothing.
    assert answers(session)[ANN] == ("yes", False)
    assert dovecot.subjects("INBOX") == ["Accepted: Intro to SQL"]
