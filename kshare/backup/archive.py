"""The backup archive: one uncompressed tar with the database, the media files and a manifest.

Layout::

    database.sqlite3 | database.pgdump   the database snapshot (SQLite backup API, pg_dump -Fc)
    media/<storage name>                 every file of the default storage, under its own name
    manifest.json                        written last: format, schema, every member's size and
                                         SHA-256

The archive is written to ``PATH.part`` and renamed when complete, so an interrupted backup never
leaves a file that looks finished. ``verify`` reads every member once and checks it against the
manifest before a restore touches anything. No Django in here: plain files and data.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "kshare-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one sentence for the user."""


@dataclass
class Member:
    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    created_at: str
    kshare_version: str
    engine: str  # "sqlite" or "postgresql"
    database: str  # the member holding the database
    schema: dict[str, list[str]]  # app label -> applied migrations
    members: list[Member] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": self.created_at,
                "kshare_version": self.kshare_version,
                "database": {"engine": self.engine, "member": self.database},
                "schema": self.schema,
                "members": [m.__dict__ for m in self.members],
            },
            indent=1,
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError("the archive is not a kshare backup (its manifest is foreign).")
            if data.get("version") != FORMAT_VERSION:
                raise BackupError(
                    f"the backup has format version {data.get('version')!r}; this kshare reads "
                    f"version {FORMAT_VERSION} only."
                )
            return cls(
                created_at=str(data["created_at"]),
                kshare_version=str(data["kshare_version"]),
                engine=str(data["database"]["engine"]),
                database=str(data["database"]["member"]),
                schema={str(k): [str(n) for n in v] for k, v in data["schema"].items()},
                members=[
                    Member(path=str(m["path"]), size=int(m["size"]), sha256=str(m["sha256"]))
                    for m in data["members"]
                ],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(
                f"the backup's manifest is damaged ({exc.__class__.__name__})."
            ) from None


class _Hashing:
    """A read-only file wrapper that hashes what tarfile reads through it."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        self.read_bytes += len(data)
        return data


class Writer:
    """Adds members to ``PATH.part``; ``close`` writes the manifest and renames the file."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.manifest = manifest
        self.tar = tarfile.open(self.part, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115 - closed by close()/abort()

    def add(self, name: str, file: IO[bytes], size: int) -> Member:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        hashing = _Hashing(file)
        self.tar.addfile(info, hashing)  # type: ignore[arg-type]
        if hashing.read_bytes != size:
            raise BackupError(f"{name} changed size while it was being copied; try again.")
        member = Member(path=name, size=size, sha256=hashing.digest.hexdigest())
        self.manifest.members.append(member)
        return member

    def close(self) -> None:
        raw = self.manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(raw)
        info.mode = 0o600
        self.tar.addfile(info, io.BytesIO(raw))
        self.tar.close()
        with open(self.part, "rb") as f:
            os.fsync(f.fileno())
        os.replace(self.part, self.path)

    def abort(self) -> None:
        try:
            self.tar.close()
        finally:
            self.part.unlink(missing_ok=True)


def verify(path: Path, *, progress: Callable[[str], None] = lambda _: None) -> Manifest:
    """Check the archive against its manifest: every member present, of its size and hash,
    nothing extra. Raises ``BackupError`` with one sentence; reads the whole file once."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        with tarfile.open(path, "r:") as tar:
            try:
                manifest_info = tar.getmember(MANIFEST)
            except KeyError:
                raise BackupError(
                    f"{path} has no manifest: the backup is incomplete (truncated) or not a "
                    "kshare backup."
                ) from None
            raw = tar.extractfile(manifest_info)
            assert raw is not None
            manifest = Manifest.from_json(raw.read())
            expected = {m.path: m for m in manifest.members}
            if manifest.database not in expected:
                raise BackupError("the backup's manifest names no database snapshot.")
            seen = set()
            for info in tar:
                if info.name == MANIFEST:
                    continue
                member = expected.get(info.name)
                if member is None or not info.isfile():
                    raise BackupError(
                        f"the backup holds {info.name!r}, which its manifest does not list."
                    )
                if info.size != member.size:
                    raise BackupError(
                        f"{info.name} in the backup has the wrong size; it is damaged."
                    )
                file = tar.extractfile(info)
                assert file is not None
                digest = hashlib.sha256()
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != member.sha256:
                    raise BackupError(
                        f"{info.name} in the backup does not match its checksum; it is damaged."
                    )
                seen.add(info.name)
                progress(f"checked {info.name}")
            missing = sorted(set(expected) - seen)
            if missing:
                raise BackupError(
                    f"the backup lacks {missing[0]}, which its manifest lists: it is incomplete."
                )
            return manifest
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise BackupError(f"{path} does not exist.") from None
        raise BackupError(
            f"{path} cannot be read as a backup archive: it is damaged or truncated."
        ) from None


def members(path: Path, manifest: Manifest) -> Iterator[tuple[Member, IO[bytes]]]:
    """Each listed member with an open file, in archive order (after ``verify``)."""
    listed = {m.path: m for m in manifest.members}
    with tarfile.open(path, "r:") as tar:
        for info in tar:
            member = listed.get(info.name)
            if member is None:
                continue
            file = tar.extractfile(info)
            assert file is not None
            yield member, file


def extract_to(file: IO[bytes], target: Path) -> None:
    with open(target, "wb") as out:
        shutil.copyfileobj(file, out, CHUNK)


def describe(manifest: Manifest) -> dict[str, Any]:
    media = [m for m in manifest.members if m.path.startswith(MEDIA_PREFIX)]
    return {
        "created_at": manifest.created_at,
        "engine": manifest.engine,
        "files": len(media),
        "media_bytes": sum(m.size for m in media),
    }
