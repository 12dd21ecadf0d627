"""Fixtures shared by every app's tests."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory


@pytest.fixture(autouse=True)
def _test_clock():
    """``KSHARE_TEST_CLOCK=23:50 make test-python`` runs every test as if the clock read 23:50
    (in the installation's zone) when it starts, and ticking from there: the way to find tests
    that depend on the time of day the suite runs at (a session "twenty days from now" at that
    time of day crosses midnight, which scheduling refuses; ``days_ahead_at`` is the cure). The
    clock only moves forward (to tomorrow when that time has passed today), so another process
    started by a test, which keeps the real clock, never sees this one's values as expired; but a
    test that hands a worker process a moment to act on (the killed-worker tests) can wait in
    vain for it. Off by default; time-machine moves the clock of this process only.
    """
    at = os.environ.get("KSHARE_TEST_CLOCK")
    if not at:
        yield
        return
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import time_machine
    from django.conf import settings

    hour, minute = (int(part) for part in at.split(":"))
    now = datetime.now(ZoneInfo(settings.TIME_ZONE))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment < now:
        moment += timedelta(days=1)
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts (and ends) in the installation's language: LocaleMiddleware leaves the
    language of a test client's last request active in the thread, so a test asking for French
    pages would otherwise make the next test on the same worker read French."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the test database is rolled back without the
    signals that replace cached versions, so a value cached by one test must not reach the
    next one. Kept fragments too: they are keyed by content, but a test may change what a
    template or a translation says."""
    from django.core.cache import caches

    from kshare.core import kept

    for alias in ("default",):
        caches[alias].clear()
    kept.forget_all()


@pytest.fixture
def closure_days_as_installed(db):
    """The default closure days a new installation's migration seeds (Christmas, New Year).

    Tests that rely on them ask for this fixture instead of trusting the migrated rows: a
    ``transaction=True`` test flushes every table, so a later test on the same xdist worker
    would otherwise find no closure days, depending on the order tests happen to run in."""
    from kshare.scheduling.rhythm.daysoff import DEFAULT_CLOSURE_DAYS
    from kshare.scheduling.rhythm.models import ClosureDay

    for month, day, name in DEFAULT_CLOSURE_DAYS:
        ClosureDay.objects.get_or_create(month=month, day=day, year=None, defaults={"name": name})


@pytest.fixture
def person(db):
    return PersonFactory(email="member@example.com", display_name="Mia Member")


@pytest.fixture
def organiser(db):
    return OrganiserFactory(email="organiser@example.com", display_name="Olga Organiser")


@pytest.fixture
def admin_person(db):
    return AdminFactory(email="admin@example.com", display_name="Ada Admin")


@pytest.fixture
def member_client(client, person):
    client.force_login(person)
    return client


class _Recorder(Message):
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []
        self.raw: list[bytes] = []  # the bytes as they came over the wire

    def prepare_message(self, session, envelope):
        self.raw.append(envelope.original_content or envelope.content)
        return super().prepare_message(session, envelope)

    def handle_message(self, message) -> None:
        self.messages.append(message)


@dataclass
class SMTPServer:
    port: int
    messages: list = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    @property
    def mailers(self) -> dict:
        """``MAILERS`` sending through this server.

        Django's test runner points every mailer at locmem once, when the run starts; the mail
        API reads ``settings.MAILERS`` on every send, so ``override_settings(MAILERS=...)``
        really uses SMTP.
        """
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SMTPServer(port=port, messages=recorder.messages, raw=recorder.raw)
    finally:
        controller.stop()


# -- object storage: a real S3 API server ---------------------------------------------------------


@dataclass
class S3Server:
    endpoint: str
    log: Path

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="eu-central-1",
            aws_access_key_id="kshare-test",
            aws_secret_access_key="kshare-test-secret",  # noqa: S106 - moto accepts any
            config=Config(s3={"addressing_style": "path"}),
        )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 API server (``moto_server``, from the dev extra) on a free loopback port,
    started once per test process; the tests skip, saying why, only if it cannot start."""
    program = Path(sys.executable).with_name("moto_server")
    if not program.exists():
        pytest.skip(f"no S3 API server: {program} is missing (pip install -e '.[dev]').")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own virtualenv's program
            [str(program), "-H", "127.0.0.1", "-p", "0"],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "false"},
        )
    try:
        deadline = time.monotonic() + 60
        port = None
        while port is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Running on http://127\.0\.0\.1:(\d+)", log.read_text())
            if found:
                port = int(found[1])
            else:
                time.sleep(0.1)
        if port is None:
            output = log.read_text()[-500:]
            pytest.skip(f"the S3 API server (moto_server) did not start within 60 s: {output}")
        yield S3Server(endpoint=f"http://127.0.0.1:{port}", log=log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch):
    """A new private bucket on the S3 server, and the environment that points kshare at it."""
    name = f"kshare-test-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    for variable, value in {
        "KSHARE_MEDIA_S3_BUCKET": name,
        "KSHARE_MEDIA_S3_ENDPOINT_URL": s3_server.endpoint,
        "KSHARE_MEDIA_S3_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "kshare-test",
        "AWS_SECRET_ACCESS_KEY": "kshare-test-secret",
    }.items():
        monkeypatch.setenv(variable, value)
    return name


@pytest.fixture
def s3_media(s3_bucket, settings):
    """The settings of ``kshare.settings`` for media in ``s3_bucket``, read from the environment
    as at start-up: the storage, the delivery (redirect) and the Content-Security-Policy."""
    from kshare import config

    storage = config.media_storage()
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.KSHARE_MEDIA_DELIVERY = config.media_delivery(storage)
    settings.SECURE_CSP = config.csp_with_media(
        settings.SECURE_CSP, storage=storage, delivery=settings.KSHARE_MEDIA_DELIVERY
    )
    from django.core.files.storage import default_storage

    return default_storage
