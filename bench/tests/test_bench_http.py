"""bench_http's parts that need no load: wrk's report, ratios, rows, the table, the options.

One test runs the real wrk (Debian's, installed by `make test`) for one second against a tiny
loopback server to prove that the Lua report counts redirects and errors; nothing is timed.
"""

from __future__ import annotations

import http.server
import json
import shutil
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_http
import results

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:40123/sessions/1/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   612.20ms  120.51ms   1.20s    70.00%
    Req/Sec     8.10      4.20    20.00     65.00%
  340 requests in 20.00s, 9.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:     17.00
Transfer/sec:    465.92KB
KSHARE_WRK {"requests": 340, "duration_us": 20000000, "bytes": 9542000, "connect": 0, \
"read": 1, "write": 0, "status": 3, "timeout": 2, "non2xx": 5, "p50_us": 600000, \
"p95_us": 856000, "p99_us": 1100000, "max_us": 1200000}
"""


def test_parse_wrk_reads_the_report_line():
    result = bench_http.parse_wrk(WRK_OUTPUT)
    assert result == bench_http.WrkResult(
        requests=340, seconds=20.0, errors=8, p50_ms=600.0, p95_ms=856.0, p99_ms=1100.0
    )
    assert result.req_per_s == 17.0


def test_parse_wrk_counts_non_2xx_once_plus_socket_errors():
    # wrk's "status" (>= 400) is part of non2xx: 5 answers + 1 read error + 2 timeouts.
    assert bench_http.parse_wrk(WRK_OUTPUT).errors == 8


def test_parse_wrk_without_report_line_is_an_error():
    with pytest.raises(ValueError, match="no KSHARE_WRK line"):
        bench_http.parse_wrk("Running 20s test @ http://127.0.0.1:1/\n")


def test_ratio_to_floor():
    assert bench_http.ratio_to_floor(50.0, 400.0) == 0.125
    with pytest.raises(ValueError, match="the floor"):
        bench_http.ratio_to_floor(50.0, 0.0)


def _result(requests: int, seconds: float = 10.0, errors: int = 0) -> bench_http.WrkResult:
    return bench_http.WrkResult(requests, seconds, errors, 10.0, 25.0, 40.0)


def test_page_rows_with_the_floor():
    rows = bench_http.page_rows("session", 32, _result(500), _result(4000))
    assert rows == [
        ("req_per_s", 50.0, "req/s"),
        ("p50_ms", 10.0, "ms"),
        ("p95_ms", 25.0, "ms"),
        ("p99_ms", 40.0, "ms"),
        ("errors", 0.0, "requests"),
        ("ratio_to_floor", 0.125, "ratio"),
    ]


def test_page_rows_when_nothing_answered_has_no_percentiles():
    rows = bench_http.page_rows("experts", 32, _result(0, errors=32), _result(4000))
    assert rows == [
        ("req_per_s", 0.0, "req/s"),
        ("errors", 32.0, "requests"),
        ("ratio_to_floor", 0.0, "ratio"),
    ]


def test_page_rows_when_nothing_answered_nor_failed_counts_every_connection():
    rows = bench_http.page_rows("experts", 8, _result(0), _result(4000))
    assert rows == [
        ("req_per_s", 0.0, "req/s"),
        ("errors", 8.0, "requests"),
        ("ratio_to_floor", 0.0, "ratio"),
    ]


def test_wrk_timeout_outlasts_the_measurement():
    # wrk's latency histogram ends at the timeout: a shorter one would drop the slow tail.
    assert (bench_http.wrk_timeout(20), bench_http.wrk_timeout(5)) == (30, 15)


def test_rows_of_divides_by_the_floor_at_the_same_concurrency():
    measured = [
        bench_http.Measured("healthz", 32, _result(4000), 3.5),
        bench_http.Measured("healthz", 8, _result(2000), 3.6),
        bench_http.Measured("home", 32, _result(1000), 3.7),
        bench_http.Measured("home", 8, _result(1000), 3.8),
    ]
    ratios = [
        (m.page, m.concurrency, value)
        for m, metric, value, _ in bench_http.rows_of(measured)
        if metric == "ratio_to_floor"
    ]
    assert ratios == [
        ("healthz", 32, 1.0),
        ("healthz", 8, 1.0),
        ("home", 32, 0.25),
        ("home", 8, 0.5),
    ]


def test_recorded_row_format(tmp_path):
    recorder = results.Recorder(
        database="sqlite", commit="abc1234", date="2026-12-06T04:00:00+00:00"
    )
    row = recorder.record(
        "session", "p95_ms", 25.0, "ms", database="postgresql", loadavg=2.5, concurrency=8,
        server="waitress 8 threads",
    )  # fmt: skip
    assert row.as_dict() == {
        "name": "session",
        "metric": "p95_ms",
        "value": 25.0,
        "unit": "ms",
        "database": "postgresql",
        "commit": "abc1234",
        "date": "2026-12-06T04:00:00+00:00",
        "loadavg": 2.5,
        "concurrency": 8,
        "server": "waitress 8 threads",
    }


def test_recorder_reads_the_load_average_and_keeps_the_run_database():
    recorder = results.Recorder(database="sqlite", commit="abc1234", date="d")
    row = recorder.record("demo", "seconds", 1.0, "s")
    assert (row.database, row.extra) == ("sqlite", {})
    assert isinstance(row.loadavg, float)


def test_an_extra_field_cannot_replace_a_common_one():
    row = results.Row("a", "b", 1.0, "s", "sqlite", "c", "d", extra={"database": "x"})
    with pytest.raises(ValueError, match="'database' is a common row field"):
        row.as_dict()


def test_append_keeps_older_rows_without_loadavg(tmp_path):
    old = {"name": "a", "metric": "b", "value": 1.0, "unit": "s", "database": "sqlite",
           "commit": "c", "date": "d"}  # fmt: skip
    (tmp_path / "bench_x.json").write_text(json.dumps([old]))
    new = results.Row("a", "b", 2.0, "s", "sqlite", "c2", "d2", loadavg=1.5)
    results.append("bench_x", [new], results_dir=tmp_path)
    assert json.loads((tmp_path / "bench_x.json").read_text()) == [old, new.as_dict()]


def _rows(database: str, server: str, floor: float, session: float) -> list[results.Row]:
    recorder = results.Recorder(database=database, commit="c", date="d")
    for name, req, p95 in (("healthz", floor, 20.0), ("session", session, 300.0)):
        for concurrency in (32, 8):
            extra = {"concurrency": concurrency, "server": server}
            recorder.record(name, "req_per_s", req, "req/s", loadavg=4.0, **extra)
            recorder.record(name, "p95_ms", p95 + concurrency, "ms", loadavg=4.0, **extra)
            recorder.record(name, "errors", 1, "requests", loadavg=4.0, **extra)
            recorder.record(name, "ratio_to_floor", req / floor, "ratio", loadavg=4.0, **extra)
    return recorder.rows


def test_format_table_is_page_by_database():
    rows = _rows("sqlite", "waitress 8 threads", 400.0, 20.0)
    rows += _rows("postgresql", "gunicorn 4x4", 500.0, 10.0)
    assert bench_http.format_table(rows).splitlines() == [
        "page     sqlite req/s  p95 ms@8  ratio  errors  postgresql req/s  p95 ms@8  ratio  errors",
        "-------  ------------  --------  -----  ------  ----------------  --------  -----  ------",
        "healthz         400.0      28.0  1.000       2             500.0      28.0  1.000       2",
        "session          20.0     308.0  0.050       2              10.0     308.0  0.020       2",
        "req/s and ratio (÷ healthz req/s) at 32 connections, p95 at 8; "
        "sqlite: waitress 8 threads, load average 4.0-4.0; "
        "postgresql: gunicorn 4x4, load average 4.0-4.0",
    ]


def test_selected_pages_always_measure_the_floor_first():
    assert bench_http.selected_pages(["home,session"]) == ["healthz", "session", "home"]
    assert bench_http.selected_pages(["home", "experts"]) == ["healthz", "home", "experts"]
    assert bench_http.selected_pages(None) == list(bench_http.PAGES)
    with pytest.raises(ValueError, match="unknown page 'sesion'"):
        bench_http.selected_pages(["sesion"])


WAITRESS_HELP = (
    "usage: kshare serve [-h] [--host HOST] [--port PORT] [--threads THREADS] Serve the web site "
    "with waitress; no migrations, no worker. options: -h, --help show this help message and "
    "exit --host HOST address (default: 127.0.0.1) --port PORT port (default: 8000) --threads "
    "THREADS worker threads (default: 8)"
)
GUNICORN_HELP = (
    "usage: kshare serve [-h] [--host HOST] [--port PORT] [--workers N] [--threads N] Serve the "
    "web site with gunicorn. --workers N worker processes (default: 4) --threads N threads per "
    "worker (default: 4)"
)


def test_server_kind_from_the_help_and_the_arguments():
    assert bench_http.server_kind(WAITRESS_HELP, [], 1) == "waitress 8 threads"
    assert bench_http.server_kind(WAITRESS_HELP, ["--threads", "16"], 1) == "waitress 16 threads"
    assert bench_http.server_kind(GUNICORN_HELP, [], 4) == "gunicorn 4x4"
    assert bench_http.server_kind(GUNICORN_HELP, ["--workers=2", "--threads", "8"], 2) == (
        "gunicorn 2x8"
    )


def test_server_kind_counts_processes_when_the_help_has_no_default():
    help_text = "usage: kshare serve [--workers N] [--threads N] gunicorn workers, threads each"
    assert bench_http.server_kind(help_text, [], 3) == "gunicorn 3x?"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = {"/ok": 200, "/redirect": 302, "/missing": 404}[self.path]
        body = b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 302:
            self.send_header("Location", "/signin/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def loopback_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (make test installs it)"
)
@pytest.mark.parametrize(
    ("path", "all_errors"), [("/ok", False), ("/redirect", True), ("/missing", True)]
)
def test_wrk_report_counts_every_answer_that_is_not_2xx(
    loopback_server, tmp_path, path, all_errors
):
    script = tmp_path / "report.lua"
    script.write_text(bench_http.WRK_SCRIPT)
    result = bench_http.run_wrk(
        f"http://127.0.0.1:{loopback_server}{path}", {"Accept": "text/html"},
        connections=2, seconds=1, script=script,
    )  # fmt: skip
    assert result.requests > 0
    assert result.errors == (result.requests if all_errors else 0)
