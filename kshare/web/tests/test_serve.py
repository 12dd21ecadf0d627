"""`kshare serve`, the production server: a real gunicorn on loopback (tests/servers.py).

Each test starts its own server on a fresh SQLite database in tmp_path, whatever database the
suite runs on: what is tested is the server, not the database.
"""

from __future__ import annotations

import http.client
import re
import signal
import socket
import time

import pytest

from kshare.web.tests.servers import kshare, prepare, serve

# The combined log format: host ident user [time] "request" status size "referer" "agent".
COMBINED = re.compile(
    r"^(?P<host>\S+) - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) '
    r'"(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
)
PLAIN_HTTP = {"KSHARE_INSECURE_HTTP": "1"}


@pytest.fixture
def home(tmp_path):
    prepare(tmp_path, **PLAIN_HTTP)
    return tmp_path


def access_lines(log: str) -> list[re.Match]:
    return [match for line in log.splitlines() if (match := COMBINED.match(line))]


def wait_for(predicate, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("waited in vain")
        time.sleep(0.1)


def raw_request(port: int, head: bytes, body: bytes = b"", *, timeout: float = 30) -> bytes:
    """Send ``head`` and ``body`` as they are and return everything the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return read_response(sock)


def read_response(sock: socket.socket) -> bytes:
    """One response: the head, then as many bytes as its Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head)[1])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def probed(log: str) -> list[re.Match]:
    """The access log lines of the test's own requests (not the start-up's health probes)."""
    return [match for match in access_lines(log) if match["agent"] == "probe/1"]


def worker_pids(log: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log)]


def test_serve_runs_gunicorn_processes_with_threads_and_writes_the_combined_access_log(home):
    served = serve(home, "--workers", "2", "--threads", "3", **PLAIN_HTTP)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        connection.request("GET", "/healthz", headers={"User-Agent": "probe/1", "Referer": "x:y"})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        wait_for(lambda: probed(served.log()))
    finally:
        code = served.stop()
    log = served.log()
    assert (response.status, body) == (200, b'{"status": "ok"}')
    assert "Using worker: gthread" in log
    assert len(worker_pids(log)) == 2
    assert [m.groupdict() for m in probed(log)] == [
        {
            "host": "127.0.0.1",
            "request": "GET /healthz HTTP/1.1",
            "status": "200",
            "size": "16",
            "referer": "x:y",
            "agent": "probe/1",
        }
    ]
    assert code == 0


def test_the_access_log_goes_to_the_file_named(home):
    log_file = home / "access.log"
    served = serve(home, "--workers", "1", "--access-log", str(log_file), **PLAIN_HTTP)
    try:
        raw_request(
            served.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: probe/1\r\n\r\n"
        )
        wait_for(lambda: "probe/1" in log_file.read_text())
    finally:
        served.stop()
    lines = [COMBINED.match(line) for line in log_file.read_text().splitlines()]
    assert all(lines) is True
    assert [m["request"] for m in lines if m["agent"] == "probe/1"] == ["GET /healthz HTTP/1.1"]
    assert access_lines(served.log()) == []


def test_sighup_replaces_every_worker_and_the_server_keeps_answering(home):
    served = serve(home, "--workers", "2", **PLAIN_HTTP)
    try:
        before = worker_pids(served.log())
        served.process.send_signal(signal.SIGHUP)
        wait_for(lambda: len(worker_pids(served.log())) == 4)
        answer = raw_request(served.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        after = worker_pids(served.log())[2:]
    finally:
        code = served.stop()
    assert answer.startswith(b"HTTP/1.1 200 ") is True
    assert len(before) == 2
    assert set(after).isdisjoint(before) is True
    assert "Handling signal: hup" in served.log()
    assert code == 0


def test_sigterm_lets_the_request_in_flight_finish_then_stops(home):
    served = serve(home, "--workers", "1", **PLAIN_HTTP)
    body = b"username=a%40example.com&password=" + b"x" * 200
    try:
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
            # Half the body: the request is in a worker's thread, waiting for the rest.
            sock.sendall(
                b"POST /signin/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:100]
            )
            time.sleep(1)  # lets the worker start reading; ordering only, nothing is timed
            served.process.send_signal(signal.SIGTERM)
            wait_for(lambda: "Handling signal: term" in served.log())
            sock.sendall(body[100:])
            answer = read_response(sock)
        code = served.process.wait(timeout=60)
    finally:
        served.stop()
    # The sign-in page answered (403: this raw request carries no CSRF cookie), not a reset.
    assert answer.startswith(b"HTTP/1.1 403 ") is True
    assert code == 0


def test_large_bodies_to_signin_are_refused_at_once_with_a_short_page(home):
    served = serve(home, "--workers", "1", **PLAIN_HTTP)
    chunk = b"x" * 1024 * 1024
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4))
    try:
        # The headers announce 4 GB; only 5 bytes follow. The answer comes anyway: the server
        # decided from the headers and never waited for (or read) the body.
        announced = raw_request(
            served.port,
            b"POST /signin/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 4294967296\r\n\r\n",
            b"a=bcd",
        )
        # 4 MB in chunks (no Content-Length): refused when the count passes 3 MB, before the
        # request reaches Django.
        chunked = raw_request(
            served.port,
            b"POST /signin/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            framed + b"0\r\n\r\n",
        )
    finally:
        served.stop()
    head, _, page = announced.partition(b"\r\n\r\n")
    assert head.splitlines()[0] == b"HTTP/1.1 413 Content Too Large"
    assert b"Content-Type: text/html; charset=utf-8" in head
    assert b"larger than this address accepts (3 MB)" in page
    assert len(page) < 400
    assert chunked.split(b"\r\n", 1)[0] == b"HTTP/1.1 413 Content Too Large"


def test_a_busy_port_is_one_sentence_and_exit_code_2(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = kshare(home, "serve", "--port", str(port), **PLAIN_HTTP)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"kshare: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "is another server using that port? Try --port.\n"
    )


def test_an_access_log_that_cannot_be_written_is_one_sentence(home):
    missing = home / "no" / "such" / "dir" / "access.log"
    result = kshare(home, "serve", "--port", "0", "--access-log", str(missing), **PLAIN_HTTP)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"kshare: the access log {missing} cannot be written (No such file or directory); "
        "choose another --access-log.\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("--workers", "0", "argument --workers: '0' must be 1 or more"),
        ("--threads", "many", "argument --threads: 'many' is not a whole number"),
        ("--graceful-timeout", "-1", "argument --graceful-timeout: '-1' must be 1 or more"),
    ],
)
def test_bad_server_options_are_one_line_and_exit_code_2(tmp_path, option, value, error):
    result = kshare(tmp_path, "serve", option, value)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"kshare serve: {error} (see `kshare serve --help`).\n",
    )
