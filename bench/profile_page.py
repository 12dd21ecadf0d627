"""Profile one page of bench_http in-process: where its time goes, with pyinstrument.

Signs in through the real sign-in form (the demo member, or the organiser for the organiser's
pages) and calls the WSGI application exactly as `kshare serve` does (production settings, DEBUG
off, a database connection per request as in the server), on a fresh copy of bench_http's cached
5,000-person demo (built first when missing, a few minutes). Prints the queries and the wall and
CPU time per request, then pyinstrument's call tree and the frames with the most own time.

    .venv/bin/python bench/profile_page.py session            # 20 requests
    .venv/bin/python bench/profile_page.py experts -n 5 --html /tmp/experts.html
    .venv/bin/python bench/profile_page.py home --home /tmp/my-home   # a KSHARE_HOME of your own
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kshare_demo5000_me \\
        .venv/bin/python bench/profile_page.py session            # your own PostgreSQL copy

Pages: the names of bench/bench_http.py (your_data, session, upcoming, home, calendar_feed, people,
experts, search, feedback_results, dashboard, api_sessions, healthz). ``--home`` and
``DATABASE_URL`` are used as they are (the member's feed and a read-only API token are added to
that database).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http  # found through the path above
from bench_demo import _postgres_url


def _environ(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> dict:
    """The WSGI environ a server such as waitress builds for one request."""
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote(path),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


def call(
    app, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, list[tuple[str, str]], bytes]:
    got: dict[str, object] = {}

    def start_response(status: str, response_headers: list, exc_info=None):
        got["status"] = int(status.split()[0])
        got["headers"] = response_headers

    result = app(_environ(method, path, headers, body), start_response)
    try:
        content = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()  # sends request_finished: the connection closes as in the server
    return got["status"], got["headers"], content  # type: ignore[return-value]


def sign_in(app, email: str, password: str) -> str:
    """The real sign-in form, through the WSGI application; the Cookie header afterwards."""
    cookies = SimpleCookie()
    status, headers, form = call(app, "GET", "/signin/", bench_http.BROWSER_HEADERS)
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.load(value)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if status != 200 or match is None:
        raise RuntimeError(f"GET /signin/ answered {status} without a sign-in form")
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), "username": email, "password": password}
    ).encode()
    status, headers, _ = call(
        app,
        "POST",
        "/signin/",
        {
            **bench_http.BROWSER_HEADERS,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
        },
        body,
    )
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.load(value)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"signing in as {email} answered {status}, no session")
    return "; ".join(f"{name}={cookies[name].value}" for name in ("csrftoken", "sessionid"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/profile_page.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("page", choices=bench_http.PAGES, help="the page, as bench_http names it")
    parser.add_argument("-n", type=int, default=20, help="requests profiled (default 20)")
    parser.add_argument("--home", type=Path, help="use this KSHARE_HOME as it is (no copy)")
    parser.add_argument("--top", type=int, default=25, help="frames in the flat list (default 25)")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    parser.add_argument(
        "--queries",
        type=int,
        default=0,
        metavar="N",
        help="also print the N slowest queries of one request, with their SQL",
    )
    parser.add_argument(
        "--interval", type=float, default=0.001, help="sampling interval in s (default 0.001)"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")

    postgres = _postgres_url(os.environ.get("DATABASE_URL", "")) is not None
    temporary = None
    if args.home is not None:
        home = args.home.resolve()
    else:
        temporary = home = Path(tempfile.mkdtemp(prefix="kshare-profile-"))
        (home / "var").mkdir()
        if not postgres:
            print("Copying the cached demo (built first when missing)…", flush=True)
            demo = bench_http._sqlite_demo(bench_http.demo_key())
            shutil.copyfile(demo, home / "var" / "kshare.sqlite3")
    os.environ.update(
        {
            "KSHARE_HOME": str(home),
            "DJANGO_SETTINGS_MODULE": "kshare.settings",
            "DEBUG": "0",
            "KSHARE_INSECURE_HTTP": "1",
            "KSHARE_API_RATE": "1000000/second",
        }
    )
    os.environ.pop("KSHARE_TESTING", None)
    try:
        return _profile(args)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _profile(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.db import connection
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    from kshare.wsgi import application

    manifest = staticfiles_storage.manifest_storage  # type: ignore[attr-defined]
    if not manifest.exists(staticfiles_storage.manifest_name):  # type: ignore[attr-defined]
        call_command("collectstatic", interactive=False, verbosity=0)
    prepared = bench_http.prepare()
    page = bench_http.pages_for(prepared)[args.page]
    headers = dict(bench_http.BROWSER_HEADERS)
    if page.who in ("member", "organiser"):
        headers["Cookie"] = sign_in(application, prepared[page.who]["email"], prepared["password"])
    elif page.who == "token":
        headers["Accept"] = "application/json"
        headers["Authorization"] = f"Bearer {prepared['api_token']}"

    status, _, body = call(application, "GET", page.path, headers)
    text = body.decode("utf-8", "replace")
    missing = [expected for expected in page.expect if expected not in text]
    if status != 200 or missing:
        print(f"GET {page.path} answered {status}, missing {missing!r}", file=sys.stderr)
        return 1
    call(application, "GET", page.path, headers)  # warm: template and statement caches

    # Counted by an execute wrapper: the request_started signal empties connection.queries.
    queries: list[float] = []
    statements: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(time.perf_counter() - started)
            statements.append((queries[-1], sql))

    with connection.execute_wrapper(timed):
        call(application, "GET", page.path, headers)
    sql_ms = sum(queries) * 1000

    wall = cpu = 0.0
    for _ in range(args.n):
        started, started_cpu = time.perf_counter(), time.process_time()
        call(application, "GET", page.path, headers)
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu

    profiler = Profiler(interval=args.interval)
    with profiler:
        for _ in range(args.n):
            call(application, "GET", page.path, headers)

    print(
        f"\n{args.page}: GET {page.path} ({len(body):,} bytes, {connection.vendor})\n"
        f"  {len(queries)} queries, {sql_ms:.1f} ms in them (one request)\n"
        f"  {wall / args.n * 1000:.1f} ms wall, {cpu / args.n * 1000:.1f} ms CPU per request "
        f"(mean of {args.n}, unprofiled; load average {os.getloadavg()[0]:.1f})\n"
    )
    if args.queries:
        print(f"The {args.queries} slowest queries of that request (ms, in the order they ran):")
        slowest = sorted(statements, key=lambda row: row[0], reverse=True)[: args.queries]
        for seconds, sql in statements:
            if (seconds, sql) in slowest:
                print(f"{seconds * 1000:8.1f}  {sql[:2000]}")
        print()
    print("Wall-clock samples: on a busy machine waiting for a core is spread over every frame.")
    print(profiler.output(ConsoleRenderer(unicode=True, color=False)))
    flat = profiler.output(ConsoleRenderer(unicode=True, color=False, flat=True))
    print(f"Top {args.top} frames by own time (s, all {args.n} requests):")
    shown = [line for line in flat.splitlines() if re.match(r"^\s*\d+\.\d+ ", line)]
    print("\n".join(shown[: args.top]))
    if args.html is not None:
        args.html.write_text(profiler.output_html())
        print(f"\nHTML report: {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
