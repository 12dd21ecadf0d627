"""`kshare backup` and `kshare restore`: round trips, refusals, and a backup taken while the
site writes. The backup runs in this process against the test database; every restore runs
`kshare restore` in a subprocess into a fresh installation (its own KSHARE_HOME, and on
PostgreSQL its own new database), as an administrator would."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from psycopg.types.string import TextLoader

from kshare.backup.archive import MANIFEST, BackupError
from kshare.backup.services import backup_create, backup_restore
from kshare.demo.generator import demo_organisation_create

PROJECT_DIR = Path(__file__).resolve().parents[3]
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "DEBUG",
    "MEDIA_ROOT",
    "KSHARE_TESTING",
    "KSHARE_INSECURE_HTTP",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "source-media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def target(tmp_path):
    """A fresh installation: its own home; on PostgreSQL a new empty database."""
    home = tmp_path / "target"
    home.mkdir()
    env = {"KSHARE_HOME": str(home), "MEDIA_ROOT": str(home / "media")}
    name = None
    if connection.vendor == "postgresql":
        name = f"kshare_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    yield home, env, name
    if name:
        with psycopg.connect(PG_ADMIN, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kshare(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(env, KSHARE_INSECURE_HTTP="1")
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", *args],
        cwd=PROJECT_DIR,
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _rows_here(table: str) -> list[tuple]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - introspected names
        return sorted(map(tuple, cursor.fetchall()), key=repr)


def _rows_there(home: Path, name: str | None, table: str) -> list[tuple]:
    if name is None:
        # Parsed as Django's own connections parse them (its converters are registered).
        db = sqlite3.connect(
            home / "var" / "kshare.sqlite3",
            detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
        )
        try:
            rows = db.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608
        finally:
            db.close()
    else:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as db:
            # JSON as text, as Django's connections read it.
            for json_type in ("json", "jsonb"):
                db.adapters.register_loader(json_type, TextLoader)
            rows = db.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608
    return sorted(map(tuple, rows), key=repr)


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _populate(media: Path) -> None:
    demo_organisation_create(people=12, seed=3)
    default_storage.save("materials/1/recording.webm", ContentFile(os.urandom(300_000)))
    default_storage.save("materials/2/slides.pdf", ContentFile(b"%PDF-1.7\n" + os.urandom(5000)))
    default_storage.save(
        "transcripts/3/en.vtt", ContentFile(b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n")
    )


def test_a_round_trip_restores_every_table_and_every_file(tmp_path, media, target):
    _populate(media)
    archive = tmp_path / "kshare.tar"
    summary = backup_create(path=archive)
    assert (summary["engine"], summary["files"]) == (connection.vendor, 3)

    home, env, name = target
    result = kshare(env, "restore", str(archive))

    assert result.returncode == 0, result.stderr
    assert "Restored the backup of" in result.stdout
    tables = connection.introspection.table_names()
    compared = 0
    for table in tables:
        assert _rows_there(home, name, table) == _rows_here(table), table
        compared += 1
    assert compared == len(tables) > 60
    assert _files(home / "media") == _files(media)
    assert len(_files(media)) == 3


def test_a_round_trip_of_an_empty_installation(tmp_path, media, target):
    archive = tmp_path / "empty.tar"
    backup_create(path=archive)
    _, env, _ = target

    assert kshare(env, "restore", str(archive)).returncode == 0


# -- refusals: nothing changes ----------------------------------------------------------------


def _rewrite(source: Path, dest: Path, change) -> None:
    """Copy the tar member by member, letting ``change(name, data)`` alter or drop members."""
    with tarfile.open(source) as tar_in, tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as out:
        for info in tar_in:
            data = tar_in.extractfile(info).read()
            data = change(info.name, data)
            if data is None:
                continue
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


@pytest.fixture
def archive(tmp_path, media):
    _populate(media)
    path = tmp_path / "good.tar"
    backup_create(path=path)
    return path


def _refused(env: dict[str, str], path: Path, home: Path, name: str | None) -> str:
    result = kshare(env, "restore", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "Checking the backup…\n"
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("kshare: ")
    assert "Traceback" not in result.stderr
    # Nothing changed: no media written, no data in the database.
    assert not (home / "media").exists() or _files(home / "media") == {}
    if name is None:
        db = home / "var" / "kshare.sqlite3"
        if db.exists():
            tables = [
                r[0]
                for r in sqlite3.connect(db).execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            ]
            assert "people_person" not in tables
    else:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as db:
            count = db.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()[0]
        assert count == 0
    return line


def test_a_corrupt_member_is_refused(tmp_path, archive, target):
    home, env, name = target
    bad = tmp_path / "corrupt.tar"

    def flip(member: str, data: bytes) -> bytes:
        if member.startswith("media/materials/1/"):
            return data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
        return data

    _rewrite(archive, bad, flip)
    line = _refused(env, bad, home, name)
    assert line == (
        "kshare: media/materials/1/recording.webm in the backup does not match its checksum; "
        "it is damaged."
    )


def test_a_truncated_archive_is_refused(tmp_path, archive, target):
    home, env, name = target
    cut = tmp_path / "truncated.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    line = _refused(env, cut, home, name)
    assert line in (
        f"kshare: {cut} cannot be read as a backup archive: it is damaged or truncated.",
        f"kshare: {cut} has no manifest: the backup is incomplete (truncated) or not a kshare "
        "backup.",
    )


def test_a_missing_member_is_refused(tmp_path, archive, target):
    home, env, name = target
    bad = tmp_path / "missing.tar"
    _rewrite(archive, bad, lambda member, data: None if member.endswith("slides.pdf") else data)

    line = _refused(env, bad, home, name)
    assert line == (
        "kshare: the backup lacks media/materials/2/slides.pdf, which its manifest lists: "
        "it is incomplete."
    )


def test_a_backup_from_a_newer_schema_is_refused(tmp_path, archive, target):
    home, env, name = target
    newer = tmp_path / "newer.tar"

    def future(member: str, data: bytes) -> bytes:
        if member != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["schema"]["feedback"].append("9999_from_the_future")
        return json.dumps(manifest).encode()

    _rewrite(archive, newer, future)
    line = _refused(env, newer, home, name)
    assert line == (
        "kshare: the backup was made by a newer kshare (its schema has the migration "
        "feedback.9999_from_the_future, which this version does not know); restore it with "
        "that version or a newer one."
    )


def test_a_file_that_is_no_archive_is_refused(tmp_path, target):
    home, env, name = target
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all" * 100)

    line = _refused(env, junk, home, name)
    assert line == f"kshare: {junk} cannot be read as a backup archive: it is damaged or truncated."


def test_an_installation_with_data_is_not_overwritten(tmp_path, archive, media):
    with pytest.raises(BackupError) as refused:
        backup_restore(path=archive)
    assert str(refused.value) == (
        "this installation already has data; restore into an empty one (a new KSHARE_HOME or "
        "DATABASE_URL)."
    )


def test_backup_refuses_to_overwrite_a_file(tmp_path, media):
    existing = tmp_path / "already.tar"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError) as refused:
        backup_create(path=existing)
    assert str(refused.value) == f"{existing} already exists; choose a new name for the backup."
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "already.tar.part").exists()


def test_the_command_explains_a_missing_archive(tmp_path, target):
    _, env, _ = target
    result = kshare(env, "restore", str(tmp_path / "nope.tar"))
    assert result.returncode == 2
    assert result.stderr == f"kshare: {tmp_path / 'nope.tar'} does not exist or is not a file.\n"
