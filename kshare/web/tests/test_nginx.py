"""A real nginx (Debian's package) in front of a real `kshare serve`, configured as docs/deploy.md
says: the test reads the ```nginx block from that page, so the page and what CI runs are one.

Only the site-specific parts are replaced (ports, certificate, paths); each replacement must
find its text exactly once, so a changed page fails here instead of drifting. nginx runs with
its own prefix, logs and temporary folders under tmp_path, on loopback ports. The client talks
from 127.0.0.2, an address that is not a trusted proxy (KSHARE_PROXY_ADDRESSES=127.0.0.1), so
its address can be told apart from nginx's.

Checked: http redirects to https; over https no redirect loop and HSTS; the client's real
address reaches kshare (its access log) and a client cannot fake it or https; static files come
from nginx; a recording uploaded through nginx is played back with Range by nginx from the
internal location (X-Accel-Redirect) while kshare sends no byte of it; a 4 GB body is refused.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kshare.web.tests.servers import PROJECT_DIR, kshare_env, prepare, serve

DEPLOY_DOC = PROJECT_DIR / "docs" / "deploy.md"
HOST = "kshare.example.com"
CLIENT = "127.0.0.2"  # loopback, but not a trusted proxy
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")
PASSWORD = "a-long-test-password-9"


def documented_nginx_config() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY_DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/deploy.md must hold exactly one ```nginx block"
    return blocks[0]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"docs/deploy.md's nginx block no longer has {old!r} once"
    return text.replace(old, new)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("openssl") or "/usr/bin/openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class Client:
    """HTTP/1.1 requests from CLIENT's address, with a cookie jar of its own."""

    def __init__(self, port: int, *, tls: bool) -> None:
        self.port, self.tls = port, tls
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes = b"", **headers: str):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # our own self-signed certificate
        if self.tls:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=60, context=context, source_address=(CLIENT, 0)
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60, source_address=(CLIENT, 0)
            )
        sent = {"Host": HOST, "User-Agent": "nginx-test", **headers}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body or None, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response, content

    def announce_body(self, path: str, length: int) -> bytes:
        """Send headers announcing ``length`` bytes and only a few of them; the answer's head."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", self.port), 60, source_address=(CLIENT, 0))
        with context.wrap_socket(raw) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {length}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n\r\na=b".encode()
            )
            answer = b""
            while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
                answer += chunk
        return answer


def multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: video/webm\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


SETUP = """
import django, json
django.setup()
from kshare.people.models import Person
from kshare.sessions.tests.factories import SessionFactory
Person.objects.create_superuser("admin@example.com", {password!r}, display_name="Ada Admin")
print(json.dumps({{"session": SessionFactory(title="Proxied").pk}}))
"""


@pytest.fixture
def site(tmp_path):
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: `make nginx` installs Debian's package.")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "SITE_URL": f"https://{HOST}",
        "KSHARE_PROXY_ADDRESSES": "127.0.0.1",
        "KSHARE_MEDIA_ACCEL_REDIRECT": "/_protected_media/",
        "EMAIL_URL": "memory://",
    }
    prepare(home, **env)
    made = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", SETUP.format(password=PASSWORD)],
        cwd=PROJECT_DIR,
        env={**kshare_env(home), **env, "DJANGO_SETTINGS_MODULE": "kshare.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    session_pk = json.loads(made.stdout.strip().splitlines()[-1])["session"]
    served = serve(home, "--workers", "1", "--threads", "4", **env)

    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    cert, key = self_signed_certificate(nginx_dir)
    http_port, https_port = free_port(), free_port()
    block = documented_nginx_config()
    block = replace_once(block, "server 127.0.0.1:8000;", f"server 127.0.0.1:{served.port};")
    block = replace_once(block, "listen 80;", f"listen 127.0.0.1:{http_port};")
    block = replace_once(block, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;")
    block = replace_once(block, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert))
    block = replace_once(block, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    block = replace_once(block, "alias /var/lib/kshare/var/static/;", f"alias {home}/var/static/;")
    block = replace_once(block, "alias /var/lib/kshare/var/media/;", f"alias {home}/var/media/;")
    temp = "\n".join(
        f"    {kind}_temp_path {nginx_dir}/{kind}_temp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root nginx's workers would switch to "nobody", who cannot read tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (nginx_dir / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {nginx_dir}/nginx.pid;\n"
        f"error_log {nginx_dir}/error.log;\ndaemon off;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    include {MIME_TYPES};\n    default_type application/octet-stream;\n"
        f"    access_log {nginx_dir}/access.log;\n{temp}\n{block}\n}}\n",
        encoding="utf-8",
    )
    nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx with our config
        [NGINX, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-e", "stderr"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(https_port, nginx)
        yield {
            "home": home,
            "served": served,
            "http": Client(http_port, tls=False),
            "https": Client(https_port, tls=True),
            "session": session_pk,
        }
    finally:
        nginx.terminate()
        try:
            nginx.wait(timeout=30)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()
        served.stop()


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"nginx stopped: {process.stdout.read().decode()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def kshare_access_log(served, agent: str) -> list[tuple[str, str, str, str]]:
    """(client, request, status, size) of kshare's access log lines sent with ``agent``."""
    pattern = re.compile(
        r'^(\S+) - - \[[^\]]+\] "([^"]*)" (\d{3}) (\d+|-) "[^"]*" "' + re.escape(agent) + '"$'
    )
    return [m.groups() for line in served.log().splitlines() if (m := pattern.match(line))]


def wait_for_log(served, agent: str, count: int) -> list:
    deadline = time.monotonic() + 30
    while len(lines := kshare_access_log(served, agent)) < count:
        assert time.monotonic() < deadline, served.log()
        time.sleep(0.1)
    return lines


def test_kshare_behind_the_documented_nginx(site):
    http, https, served = site["http"], site["https"], site["served"]

    # http: nginx sends everyone to https.
    response, _ = http.request("GET", "/sessions/")
    assert (response.status, response.headers["Location"]) == (301, f"https://{HOST}/sessions/")

    # https: kshare knows it is https (no redirect loop), sends HSTS, asks to sign in.
    response, _ = https.request("GET", "/")
    assert (response.status, response.headers["Location"]) == (302, "/signin/?next=/")
    response, page = https.request("GET", "/signin/")
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Secure" in response.headers["Set-Cookie"]

    # The client's real address reaches kshare, not nginx's, and not one it claims.
    https.request("GET", "/healthz", **{"User-Agent": "who-am-i", "X-Forwarded-For": "6.6.6.6"})
    assert wait_for_log(served, "who-am-i", 1) == [(CLIENT, "GET /healthz HTTP/1.1", "200", "16")]

    # Talking to kshare directly from an untrusted address, "X-Forwarded-Proto: https" is not
    # believed (a redirect to https), nor is "X-Forwarded-For".
    direct = Client(served.port, tls=False)
    response, _ = direct.request(
        "GET",
        "/signin/",
        **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "6.6.6.6", "User-Agent": "faker"},
    )
    assert (response.status, response.headers["Location"]) == (301, f"https://{HOST}/signin/")
    assert wait_for_log(served, "faker", 1) == [(CLIENT, "GET /signin/ HTTP/1.1", "301", "0")]

    # Static files come from nginx (kshare's log has no line for them).
    manifest = json.loads((site["home"] / "var" / "static" / "staticfiles.json").read_text())
    css = manifest["paths"]["kshare/kshare.css"]
    response, content = https.request("GET", f"/static/{css}", **{"User-Agent": "static"})
    assert (response.status, response.headers["Content-Type"]) == (200, "text/css")
    assert content == (site["home"] / "var" / "static" / css).read_bytes()

    # Sign in and upload a recording through nginx's upload location.
    token = https.cookies["csrftoken"]
    response, _ = https.request(
        "POST",
        "/signin/",
        urlencode(
            {"csrfmiddlewaretoken": token, "username": "admin@example.com", "password": PASSWORD}
        ).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{HOST}/"},
    )
    assert (response.status, response.headers["Location"]) == (302, "/")
    recording = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + os.urandom(300_000)
    body, content_type = multipart(
        {"csrfmiddlewaretoken": https.cookies["csrftoken"], "title": "The talk", "url": ""},
        "file",
        "talk.webm",
        recording,
    )
    response, page = https.request(
        "POST",
        f"/library/sessions/{site['session']}/add/recording/",
        body,
        **{"Content-Type": content_type, "Referer": f"https://{HOST}/"},
    )
    assert response.status == 302, page[:2000]
    response, page = https.request("GET", response.headers["Location"].split("#")[0])
    media = re.search(rb"/library/media/(\d+)/", page)
    assert media is not None
    path = f"/library/media/{int(media[1])}/"

    # Playback with Range: nginx sends the bytes; kshare only said yes (0 bytes in its log).
    response, content = https.request(
        "GET", path, **{"Range": "bytes=1000-50999", "User-Agent": "player"}
    )
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes 1000-50999/{len(recording)}"
    assert response.headers["Content-Type"] == "video/webm"
    assert content == recording[1000:51000]
    assert wait_for_log(served, "player", 1) == [(CLIENT, f"GET {path} HTTP/1.1", "200", "0")]
    assert [line for line in kshare_access_log(served, "static")] == []

    # The internal location is not reachable from outside.
    response, _ = https.request("GET", "/_protected_media/")
    assert response.status == 404

    # A 4 GB body is refused by nginx from its length, before it is sent.
    assert https.announce_body("/signin/", 4 * 1024**3).startswith(b"HTTP/1.1 413 ") is True
