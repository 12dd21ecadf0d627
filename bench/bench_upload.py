"""Material upload memory: a 2 GB recording streamed through the real server.

Starts the production server (waitress, configured as ``kshare serve`` does it: the same
``kshare.cli._create_server``) in a subprocess on the bench database, logs a host in, and posts
a 2 GB generated MP4 as multipart/form-data with http.client, one 1 MB block at a time (neither
side ever holds the file). While it streams, the server's resident memory (``VmRSS`` in
/proc/<pid>/status) is sampled every 20 ms; ``VmHWM`` (the kernel's peak) is read at the end.

Recorded: the server's RSS before (after a small warm-up upload), its peak growth during the 2 GB
upload (sampled and VmHWM), and the throughput. The goal is a growth under 64 MB.
Set ``KSHARE_BENCH_UPLOAD_MB`` to upload another size (e.g. 200 for a quick check).

Run through ``bench/run.py -k upload`` (a throw-away database, see bench/README.md).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MB = 1024 * 1024
SIZE = int(os.environ.get("KSHARE_BENCH_UPLOAD_MB", "2048")) * MB
BLOCK = MB
BOUNDARY = "kshare-bench-boundary-7d1f"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
GOAL_MB = 64

SERVER = """
import os, sys
import django
django.setup()
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["BENCH_DB_NAME"]
from kshare.cli import _create_server
server = _create_server("127.0.0.1", int(sys.argv[1]), threads=4)
print("ready", flush=True)
server.run()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def _body_parts(size: int) -> tuple[bytes, bytes]:
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\nBench recording\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="bench.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail


def _post(port: int, path: str, cookie: str, token: str, size: int) -> tuple[int, str]:
    """Stream a ``size``-byte MP4 upload; returns (status, Location)."""
    head, tail = _body_parts(size)
    zeros = bytes(BLOCK)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.putheader("Cookie", cookie)
    connection.putheader("X-CSRFToken", token)
    connection.endheaders()
    connection.send(head + MP4_HEAD)
    remaining = size - len(MP4_HEAD)
    while remaining > 0:
        n = min(BLOCK, remaining)
        connection.send(zeros if n == BLOCK else zeros[:n])
        remaining -= n
    connection.send(tail)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location", "")


def run(bench) -> None:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from kshare.library.models import Material
    from kshare.people.models import Person
    from kshare.programmes.models import Programme
    from kshare.sessions.models import Session, SessionHost

    host = Person.objects.create_user(email="bench-upload@example.com", display_name="Bench Host")
    programme = Programme.objects.create(name="Bench uploads", slug="bench-uploads")
    session = Session.objects.create(programme=programme, title="Bench upload session")
    SessionHost.objects.create(session=session, person=host)
    store = SessionStore()
    store["_auth_user_id"] = str(host.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = host.get_session_auth_hash()
    store.create()
    token = "b" * 32
    cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}; csrftoken={token}"
    path = f"/library/sessions/{session.pk}/add/recording/"

    port = _free_port()
    env = {
        **os.environ,
        "BENCH_DB_NAME": str(settings.DATABASES["default"]["NAME"]),
        "KSHARE_UPLOAD_MAX_VIDEO": str(max(SIZE + MB, 4 * 1024 * MB)),
    }
    with tempfile.TemporaryDirectory(prefix="kshare-bench-upload-") as scratch:
        env["TMPDIR"] = scratch  # waitress's spool and Django's temporary upload file
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", SERVER, str(port)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise RuntimeError("the server did not start")
            # Warm up: imports, templates, the database connection.
            status, _ = _post(port, path, cookie, token, 4 * MB)
            if status != 302:
                raise RuntimeError(f"warm-up upload answered {status}")
            time.sleep(0.5)
            before = _status(server.pid)

            peak = [before["VmRSS"]]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.02):
                    peak[0] = max(peak[0], _status(server.pid)["VmRSS"])

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            status, location = _post(port, path, cookie, token, SIZE)
            seconds = time.perf_counter() - started
            done.set()
            sampler.join()
            after = _status(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)

    if status != 302:
        raise RuntimeError(f"the {SIZE // MB} MB upload answered {status}")
    material = Material.objects.filter(session=session).order_by("-id").first()
    assert material is not None and material.size == SIZE, "the upload was not stored whole"
    material.file.delete(save=False)

    label = f"{SIZE // MB} MB upload"
    growth = (peak[0] - before["VmRSS"]) / MB
    hwm_growth = (after["VmHWM"] - before["VmHWM"]) / MB
    bench.record("upload", "server RSS before", before["VmRSS"] / MB, "MB")
    bench.record("upload", f"{label}: peak RSS growth (sampled)", growth, "MB")
    bench.record("upload", f"{label}: VmHWM growth", hwm_growth, "MB")
    bench.record("upload", f"{label}: throughput", SIZE / MB / seconds, "MB/s")
    verdict = "ok" if max(growth, hwm_growth) < GOAL_MB else "OVER THE GOAL"
    print(
        f"   {label}: RSS {before['VmRSS'] / MB:.1f} MB before, +{growth:.1f} MB peak "
        f"(VmHWM +{hwm_growth:.1f} MB; goal < {GOAL_MB} MB: {verdict}), "
        f"{SIZE / MB / seconds:.0f} MB/s, then {location}",
        flush=True,
    )
