"""A backup taken while `kshare up` runs and another process keeps writing is consistent.

The writer commits pairs that belong together (a topic request and its requester's +1, one
transaction each), so a snapshot that caught half a transaction would show a request without
its vote. Each backup is restored into a fresh installation and checked: SQLite's integrity and
foreign-key checks, and every pair whole. `kshare up` is the one-computer SQLite set-up, so this
test runs on the SQLite leg only.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from kshare.backup.tests.test_backup import PROJECT_DIR, SETTINGS_VARIABLES

WRITER = """
import sys, time
from django.db import transaction
from kshare.people.models import Person
from kshare.topics.services import topic_request_create
deadline = time.monotonic() + 600
while not Person.objects.exists():
    if time.monotonic() > deadline:
        sys.exit('no people')
    time.sleep(0.2)
person = Person.objects.order_by('pk').first()
for i in range(COUNT):
    with transaction.atomic():
        topic_request_create(requester=person, title=f'live-{i}', description='x' * 500)
print('wrote', flush=True)
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(KSHARE_HOME=str(home), KSHARE_INSECURE_HTTP="1")
    return env


def _kshare(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", *args],
        cwd=PROJECT_DIR,
        env=_env(home),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_health(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kshare up stopped: {process.communicate()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("kshare up did not answer /healthz in time")


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="kshare up runs on SQLite whatever the suite's database; tested on the SQLite leg",
)
def test_backups_taken_while_kshare_up_writes_restore_consistently(tmp_path):
    assert connection.vendor == "sqlite"
    source = tmp_path / "source"
    source.mkdir()
    port = _free_port()
    up = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", "up", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=_env(source),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    writer = None
    try:
        _wait_for_health(port, up)
        writer = subprocess.Popen(  # noqa: S603 - our own command
            [
                sys.executable,
                "-m",
                "kshare.cli",
                "manage",
                "shell",
                "-c",
                WRITER.replace("COUNT", "400"),
            ],
            cwd=PROJECT_DIR,
            env=_env(source),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        archives = []
        for n in range(2):
            time.sleep(1)
            archive = tmp_path / f"live-{n}.tar"
            result = _kshare(source, "backup", str(archive))
            assert result.returncode == 0, result.stderr
            archives.append(archive)
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err
    finally:
        if writer and writer.poll() is None:
            writer.kill()
        os.killpg(up.pid, signal.SIGTERM)
        up.wait(timeout=60)

    counts = []
    for n, archive in enumerate(archives):
        home = tmp_path / f"restored-{n}"
        home.mkdir()
        result = _kshare(home, "restore", str(archive))
        assert result.returncode == 0, result.stderr
        db = sqlite3.connect(home / "var" / "kshare.sqlite3")
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            requests = db.execute(
                "SELECT count(*) FROM topics_topicrequest WHERE title LIKE 'live-%'"
            ).fetchone()[0]
            whole = db.execute(
                "SELECT count(*) FROM topics_topicrequest r JOIN topics_topicvote v "
                "ON v.request_id = r.id AND v.person_id = r.requester_id "
                "WHERE r.title LIKE 'live-%'"
            ).fetchone()[0]
            people = db.execute("SELECT count(*) FROM people_person").fetchone()[0]
        finally:
            db.close()
        assert whole == requests
        assert people > 0  # the demo kshare up created is there
        counts.append(requests)
    # The backups caught the writer at different moments (it was still running).
    assert counts[0] <= counts[1] <= 400
