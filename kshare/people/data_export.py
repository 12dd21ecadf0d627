""" "Your data": one ZIP archive with ``data.json`` (every app's ``personal_data.export``) and the
files the person uploaded, written while it is sent.

The archive is streamed: ``zipfile`` writes to a sink that the response drains after every
chunk, so a person with gigabytes of recordings costs the server a few hundred kilobytes, not a
copy of the files. Entries use data descriptors (the sink cannot seek) and ZIP64 when large.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from kshare.people.models import Person
from kshare.people.personal_data_registry import ExportFile, contributions

CHUNK = 256 * 1024
FORMAT_VERSION = 1


def person_export_data(person: Person) -> dict[str, Any]:
    """What ``data.json`` holds: each app's export under its label."""
    return {
        "format": FORMAT_VERSION,
        "exported_at": timezone.now(),
        "person": person.pk,
        "apps": {c.label: c.export(person) for c in sorted(contributions(), key=lambda c: c.label)},
    }


def person_export_files(person: Person) -> list[ExportFile]:
    return [f for c in contributions() for f in c.files(person)]


class _Sink:
    """A write-only file for ``zipfile`` whose bytes are taken out as they come."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def person_export_archive(person: Person) -> Iterator[bytes]:
    """The archive's bytes, piece by piece. ``data.json`` is built first (all queries), files
    are read from storage a chunk at a time."""
    data = json.dumps(person_export_data(person), cls=DjangoJSONEncoder, indent=2).encode()
    files = person_export_files(person)
    sink = _Sink()
    stamp = timezone.localtime().timetuple()[:6]
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", data)
        yield sink.take()
        for export_file in files:
            # Stored, not deflated: recordings and slides are compressed already.
            info = zipfile.ZipInfo(export_file.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            with (
                export_file.open() as source,
                archive.open(info, mode="w", force_zip64=True) as target,
            ):
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def export_allowed(person: Person) -> int | None:
    """``None`` when ``person`` may start another download, else the seconds to wait.

    A fixed window in the shared cache: ``KSHARE_EXPORT_PER_HOUR`` archives an hour each, so a
    loop of requests cannot keep the server reading storage.
    """
    limit = settings.KSHARE_EXPORT_PER_HOUR
    window = 3600
    start = int(time.time()) // window * window
    key = f"kshare:export:{person.pk}:{start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        return max(1, start + window - int(time.time()))
    return None
