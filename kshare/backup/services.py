"""``backup_create`` and ``backup_restore``: whole-installation snapshots while the site runs.

- **Database.** SQLite: the online backup API copies a consistent snapshot page by page while
  web processes and workers keep writing (WAL: the copy sees one moment). PostgreSQL:
  ``pg_dump --format=custom``, which reads one repeatable-read snapshot. The dump is written to a
  temporary file first, then into the archive.
- **Media.** Every file of the default storage (a folder or S3-compatible object storage),
  copied after the database snapshot: a file uploaded in between is in the archive but not in
  the database (harmless, unused); a material deleted in between keeps its row and loses its
  file. Take backups at a quiet hour to make that unlikely.
- **Manifest.** Format version, kshare version, the engine, the applied migrations of every app
  (the schema version) and the size and SHA-256 of every member.

A restore goes into an *empty* installation (no people, no media) of the same database engine.
Everything is checked first — the archive against its manifest, the schema against the
migrations this kshare knows (a backup from a newer kshare is refused), the target's emptiness —
and nothing is changed when a check fails. Then the media files are written, then the database
in one step (SQLite: a file renamed into place; PostgreSQL: ``pg_restore --single-transaction``),
then migrations bring an older schema up to date. A failure while writing removes the media
files written so far.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from kshare.backup.archive import (
    MEDIA_PREFIX,
    BackupError,
    Manifest,
    Writer,
    describe,
    extract_to,
    members,
    verify,
)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):  # pragma: no cover - settings refuse others
        raise BackupError(f"backups of a {vendor} database are not supported.")
    return vendor


def _kshare_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kshare")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout without install
        return "unknown"


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _media_names(directory: str = "") -> list[str]:
    """Every file name in the default storage, recursively, sorted."""
    try:
        dirs, files = default_storage.listdir(directory)
    except FileNotFoundError:  # a media folder nothing was ever uploaded to
        return []
    names = [f"{directory}{f}" for f in files]
    for d in dirs:
        names += _media_names(f"{directory}{d}/")
    return sorted(names)


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed; install PostgreSQL's client tools (postgresql-client) of "
            "the server's version or newer."
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed: {detail}")


def _snapshot_database(target: Path) -> None:
    if _engine() == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=60)
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # one step: a consistent snapshot, writers continue in WAL
        finally:
            dest.close()
            source.close()
        return
    args, env = _pg_env()
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(target),
            *args,
        ],
        env,
        "pg_dump",
    )


def backup_create(*, path: Path, progress: Progress = _quiet) -> dict:
    """Write a backup of the whole installation to ``path`` (which must not exist yet)."""
    path = Path(path).expanduser()
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new name for the backup.")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist.")
    engine = _engine()
    database = "database.sqlite3" if engine == "sqlite" else "database.pgdump"
    manifest = Manifest(
        created_at=timezone.now().isoformat(timespec="seconds"),
        kshare_version=_kshare_version(),
        engine=engine,
        database=database,
        schema=_applied_migrations(),
    )
    writer = Writer(path, manifest)
    try:
        with tempfile.TemporaryDirectory(prefix="kshare-backup-", dir=path.parent) as tmp:
            snapshot = Path(tmp) / database
            progress("Copying the database…")
            _snapshot_database(snapshot)
            with open(snapshot, "rb") as f:
                member = writer.add(database, f, snapshot.stat().st_size)
            progress(f"Database: {member.size:,} bytes.")
        names = _media_names()
        for i, name in enumerate(names, 1):
            try:
                size = default_storage.size(name)
                with default_storage.open(name, "rb") as f:
                    writer.add(MEDIA_PREFIX + name, f, size)
            except FileNotFoundError:
                continue  # deleted since it was listed: not part of this moment
            if i % 100 == 0 or i == len(names):
                progress(f"Media: {i} of {len(names)} files")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    summary = describe(manifest)
    progress(
        f"Backup written to {path}: database and {summary['files']} media files "
        f"({summary['media_bytes']:,} bytes)."
    )
    return summary


# -- restore ----------------------------------------------------------------------------------


def _known_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _check_schema(manifest: Manifest) -> None:
    known = _known_migrations()
    for app, names in sorted(manifest.schema.items()):
        for name in names:
            if (app, name) not in known:
                raise BackupError(
                    f"the backup was made by a newer kshare (its schema has the migration "
                    f"{app}.{name}, which this version does not know); restore it with that "
                    "version or a newer one."
                )


def _tables() -> list[str]:
    return connection.introspection.table_names()


def _check_empty(engine: str) -> None:
    if engine != _engine():
        raise BackupError(
            f"the backup is of a {engine} database but this installation uses {_engine()}; "
            f"restore it into an installation that uses {engine}."
        )
    from kshare.people.models import Person
    from kshare.sessions.models import Session

    tables = _tables()
    if Person._meta.db_table in tables and (Person.objects.exists() or Session.objects.exists()):
        raise BackupError(
            "this installation already has data; restore into an empty one (a new KSHARE_HOME "
            "or DATABASE_URL)."
        )
    if _media_names():
        raise BackupError(
            "this installation's media storage is not empty; restore into an empty one."
        )


def _restore_sqlite(snapshot: Path) -> None:
    name = Path(settings.DATABASES["default"]["NAME"])
    check = sqlite3.connect(snapshot)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if ok != "ok":
        raise BackupError("the database in the backup fails SQLite's integrity check.")
    connections.close_all()
    staged = name.with_name(name.name + ".restoring")
    shutil.copyfile(snapshot, staged)
    for suffix in ("-wal", "-shm"):
        Path(f"{name}{suffix}").unlink(missing_ok=True)
    os.replace(staged, name)


def _restore_postgresql(snapshot: Path) -> None:
    # The installation is empty (checked), but ``kshare migrate`` may have made its tables,
    # perhaps newer ones than the backup's: start from none, so migrate can follow the restore.
    tables = _tables()
    if tables:
        with connection.cursor() as cursor:
            quote = connection.ops.quote_name
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(map(quote, tables))} CASCADE")
    connections.close_all()
    args, env = _pg_env()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(snapshot),
        ],
        env,
        "pg_restore",
    )


def backup_restore(*, path: Path, progress: Progress = _quiet) -> dict:
    """Restore ``path`` into this (empty) installation; see the module docstring."""
    path = Path(path).expanduser()
    progress("Checking the backup…")
    manifest = verify(path)
    _check_schema(manifest)
    _check_empty(manifest.engine)
    written: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="kshare-restore-") as tmp:
            snapshot = Path(tmp) / manifest.database
            media = [m for m in manifest.members if m.path.startswith(MEDIA_PREFIX)]
            for member, file in members(path, manifest):
                if member.path == manifest.database:
                    extract_to(file, snapshot)
                    continue
                name = member.path[len(MEDIA_PREFIX) :]
                saved = default_storage.save(name, File(file, name=name))
                written.append(saved)
                if saved != name:
                    raise BackupError(f"the media storage renamed {name} to {saved}.")
                if len(written) % 100 == 0 or len(written) == len(media):
                    progress(f"Media: {len(written)} of {len(media)} files")
            progress("Restoring the database…")
            if manifest.engine == "sqlite":
                _restore_sqlite(snapshot)
            else:
                _restore_postgresql(snapshot)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    from django.core.management import call_command

    progress("Applying newer migrations, if any…")
    call_command("migrate", interactive=False, verbosity=0)
    summary = describe(manifest)
    progress(
        f"Restored the backup of {manifest.created_at}: database and {summary['files']} media "
        "files."
    )
    return summary
