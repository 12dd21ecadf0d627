"""The `kshare` command, run as a user runs it: in a subprocess, with its own KSHARE_HOME.

Each test uses a fresh SQLite database under tmp_path, whatever database the suite runs on.
"""

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
SUBCOMMANDS = [
    "up",
    "serve",
    "worker",
    "demo",
    "createadmin",
    "import-people",
    "reindex",
    "transcribe",
    "recommend",
    "backup",
    "restore",
    "delete-person",
    "mail-in",
    "tick",
    "migrate",
    "check",
    "manage",
]
# Settings read from the environment: the subprocess must not inherit the test run's values.
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "MEDIA_ROOT",
    "TIME_ZONE",
    "KSHARE_LANGUAGE",
    "KSHARE_TESTING",
    "KSHARE_INSECURE_HTTP",
    "KSHARE_ADMIN_PASSWORD",
    "SECURE_SSL_REDIRECT",
    "SITE_URL",
    "KSHARE_DEFAULT_SITE_URL",
    "KSHARE_PROXY_ADDRESSES",
    "KSHARE_MEDIA_ACCEL_REDIRECT",
    "USE_X_FORWARDED_PROTO",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CACHE_URL",
    "REDIS_URL",
    "KSHARE_MEDIA_S3_BUCKET",
    "KSHARE_MEDIA_S3_ENDPOINT_URL",
    "KSHARE_MEDIA_S3_REGION",
    "KSHARE_MEDIA_S3_PREFIX",
    "KSHARE_MEDIA_S3_DELIVERY",
    "KSHARE_MEDIA_S3_URL_SECONDS",
    "KSHARE_MEDIA_S3_ADDRESSING_STYLE",
    "KSHARE_CALENDAR_REPLY_ADDRESS",
    "KSHARE_IMAP_URL",
    "KSHARE_IMAP_DONE_FOLDER",
    "KSHARE_OIDC_DISCOVERY_URL",
    "KSHARE_OIDC_CLIENT_ID",
    "KSHARE_OIDC_CLIENT_SECRET",
    "KSHARE_SSO_REQUIRED",
    "KSHARE_SSO_BREAK_GLASS",
    "KSHARE_SIGNIN_DOMAINS",
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def kshare_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["KSHARE_HOME"] = str(home)
    # Production (no KSHARE_INSECURE_HTTP) refuses to start without a SITE_URL among the
    # ALLOWED_HOSTS; localhost is one by default. SITE_URL="" tests the refusal.
    env["SITE_URL"] = "https://localhost"
    env.update(extra)
    return env


def kshare(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", *args],
        cwd=PROJECT_DIR,
        env=kshare_env(home, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_explains_itself_with_help(home, command):
    result = kshare(home, command, "--help")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"usage: kshare {command}") is True


def test_help_lists_every_subcommand(home):
    result = kshare(home, "--help")
    assert result.returncode == 0
    listed = re.findall(r"^    ([a-z-]+)", result.stdout, flags=re.MULTILINE)
    assert listed == SUBCOMMANDS


def test_a_bad_option_value_is_one_line_and_exit_code_2(home):
    result = kshare(home, "serve", "--port", "eighty")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "kshare serve: argument --port: 'eighty' is not a whole number "
        "(see `kshare serve --help`).\n",
    )


def test_a_database_url_with_an_unknown_scheme_is_refused_in_one_line(home):
    result = kshare(home, "migrate", DATABASE_URL="mysql://root@localhost/kshare")
    assert (result.returncode, result.stderr) == (
        2,
        "kshare: DATABASE_URL must start with sqlite:// or postgres://; got a mysql URL.\n",
    )


def test_an_unreachable_database_is_one_line_and_exit_code_2(home):
    result = kshare(home, "migrate", DATABASE_URL="postgres://postgres@127.0.0.1:1/kshare")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "kshare: the database kshare on 127.0.0.1:1 cannot be used: connection failed:"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "TIME_ZONE",
            "Mars/Olympus_Mons",
            "TIME_ZONE must be an IANA time zone such as Europe/Berlin; got 'Mars/Olympus_Mons'.",
        ),
        (
            "KSHARE_LANGUAGE",
            "klingon",
            "KSHARE_LANGUAGE must be one of en-gb, de or fr; got 'klingon'.",
        ),
        (
            "LOG_LEVEL",
            "loud",
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL; got 'loud'.",
        ),
        (
            "KSHARE_PROXY_ADDRESSES",
            "127.0.0.1,*",
            "KSHARE_PROXY_ADDRESSES must list IP addresses or networks such as 127.0.0.1 or "
            "10.0.0.0/8, separated by commas; '*' is not one.",
        ),
        (
            "KSHARE_MEDIA_ACCEL_REDIRECT",
            "_protected_media",
            "KSHARE_MEDIA_ACCEL_REDIRECT must be a path that starts and ends with /, such as "
            "/_protected_media/; got '_protected_media'.",
        ),
        (
            "KSHARE_SSO_REQUIRED",
            "1",
            "KSHARE_SSO_REQUIRED is on, but no provider is configured: set "
            "KSHARE_OIDC_DISCOVERY_URL.",
        ),
        (
            "KSHARE_MAIL_REPLY_TO",
            "Team <team@acme.example>, nobody",
            "KSHARE_MAIL_REPLY_TO: 'nobody' is not a mail address such as "
            "Team <team@acme.example>.",
        ),
    ],
)
def test_a_bad_setting_stops_the_command_in_one_line(home, variable, value, message):
    result = kshare(home, "check", **{variable: value})
    assert (result.returncode, result.stderr) == (2, f"kshare: {message}\n")


def test_import_people_of_a_missing_file_is_one_line_and_exit_code_2(home):
    missing = home / "people.csv"
    result = kshare(home, "import-people", str(missing))
    assert (result.returncode, result.stderr) == (
        2,
        f"kshare: the file {missing} does not exist.\n",
    )


def test_createadmin_creates_an_administrator_once(home):
    assert kshare(home, "migrate").returncode == 0
    password = {"KSHARE_ADMIN_PASSWORD": "a-long-enough-passphrase"}

    created = kshare(home, "createadmin", "--email", "Ada.Lovelace@Example.com", **password)
    again = kshare(home, "createadmin", "--email", "ada.lovelace@example.com", **password)

    assert (created.returncode, created.stdout, created.stderr) == (
        0,
        "Created the administrator Ada Lovelace <ada.lovelace@example.com>.\n",
        "",
    )
    assert (again.returncode, again.stderr) == (
        2,
        "kshare: someone with the e-mail address ada.lovelace@example.com exists already.\n",
    )
    with sqlite3.connect(home / "var" / "kshare.sqlite3") as db:
        rows = db.execute(
            "SELECT email, display_name, role, is_staff, is_superuser, is_active FROM people_person"
        ).fetchall()
    assert rows == [("ada.lovelace@example.com", "Ada Lovelace", "admin", 1, 1, 1)]


def test_createadmin_refuses_an_invalid_email(home):
    result = kshare(home, "createadmin", "--email", "ada@", KSHARE_ADMIN_PASSWORD="x" * 20)
    assert (result.returncode, result.stderr) == (
        2,
        "kshare: 'ada@' is not a valid e-mail address.\n",
    )


def test_createadmin_without_a_terminal_needs_the_password_variable(home):
    result = kshare(home, "createadmin", "--email", "ada@example.com")
    assert (result.returncode, result.stderr) == (
        2,
        "kshare: no password: run in a terminal to type one, or set KSHARE_ADMIN_PASSWORD.\n",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_serve_refuses_to_start_before_static_files_are_collected(home):
    result = kshare(home, "serve", "--port", str(free_port()))
    manifest = home / "var" / "static" / "staticfiles.json"
    assert (result.returncode, result.stderr) == (
        2,
        f"kshare: the static files are not collected ({manifest} is missing); run "
        "`kshare manage collectstatic --noinput` after each upgrade, then start again.\n",
    )


def test_a_worker_refuses_to_start_on_a_database_that_was_never_migrated(home):
    result = kshare(home, "worker", "--batch")
    assert (result.returncode, result.stderr) == (
        2,
        "kshare: the worker cannot take its lease in the database (no such table: "
        "web_workerlease); run `kshare migrate` first, and check DATABASE_URL.\n",
    )


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(home):
    collected = kshare(home, "manage", "collectstatic", "--noinput", "--verbosity", "0")
    assert (collected.returncode, collected.stderr) == (0, "")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", "serve", "--port", str(port), "--threads", "2"],
        cwd=PROJECT_DIR,
        env=kshare_env(home, KSHARE_INSECURE_HTTP="1"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_for_health(port, server)
        css_status, css_type, _ = get(f"http://127.0.0.1:{port}/static/kshare/kshare.css")
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, _stderr = server.communicate(timeout=15)

    assert (health[0], health[1], json.loads(health[2])) == (
        200,
        "application/json",
        {"status": "ok"},
    )
    assert (css_status, css_type) == (200, 'text/css; charset="utf-8"')
    assert server.returncode == 0
    from kshare.cli import default_workers

    assert stdout == (
        f"kshare is serving on http://127.0.0.1:{port} with gunicorn: {default_workers()} "
        "processes with 2 threads each (Ctrl-C stops it).\n"
    )


def test_serve_without_site_url_puts_the_port_it_listens_on_in_links(home):
    env = {"KSHARE_INSECURE_HTTP": "1", "SITE_URL": ""}
    for command in (
        ["migrate"],
        ["manage", "collectstatic", "--noinput", "--verbosity", "0"],
        ["createadmin", "--email", "member@brightwater.example"],
    ):
        done = kshare(home, *command, KSHARE_ADMIN_PASSWORD="kshare-demo", **env)
        assert (done.returncode, done.stderr) == (0, "")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=PROJECT_DIR,
        env=kshare_env(home, **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_health(port, server)
        page = signed_in_page(
            port,
            "member@brightwater.example",
            "/calendar/subscribe/",
            post={"action": "create"},  # the person's secret feed address
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=15)

    assert re.search(rf'href="webcal://127\.0\.0\.1:{port}/calendar/feed/[\w-]+\.ics"', page)
    assert re.search(rf'value="http://127\.0\.0\.1:{port}/calendar/feed/[\w-]+\.ics"', page)
    assert "127.0.0.1:8000" not in page


def wait_for_health(port: int, process: subprocess.Popen, *, seconds: float = 60) -> tuple:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.2)


def signed_in_page(port: int, email: str, path: str, *, post: dict | None = None) -> str:
    """``path`` as the demo person ``email`` sees it (signed in through the sign-in form);
    with ``post``, the page after posting that form to ``path``."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    opener.open(f"{base}/signin/", timeout=30).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": email, "password": "kshare-demo"}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/signin/", data=form), timeout=30).read()  # noqa: S310
    request = urllib.request.Request(f"{base}{path}")  # noqa: S310 - our own server
    if post is not None:
        token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        request.data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **post}).encode()
    with opener.open(request, timeout=30) as response:
        return response.read().decode()


def password_reset_mail(port: int, home: Path, address: str, *, seconds: float = 60) -> str:
    """Ask for a password reset on the form, then wait for the worker to write the mail (no
    EMAIL_URL: mail goes to files under var/mail/); returns its text part."""
    import email.policy
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    opener.open(f"{base}/password/reset/", timeout=30).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": address}).encode()
    opener.open(urllib.request.Request(f"{base}/password/reset/", data=form), timeout=30).read()  # noqa: S310
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # A file holds every mail of one connection (the demo's own mail too), one after another.
        for path in sorted((home / "var" / "mail").glob("*")):
            for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
                message = email.message_from_string(raw, policy=email.policy.default)
                if address in str(message["To"]) and "password" in str(message["Subject"]):
                    return message.get_body(preferencelist=("plain",)).get_content()
        time.sleep(0.3)
    raise AssertionError("the worker wrote no password-reset mail")


def test_up_prepares_an_empty_database_serves_and_stops_with_its_worker(home):
    from kshare.demo import logins

    port = free_port()
    up = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", "up", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=kshare_env(home, KSHARE_INSECURE_HTTP="1", SITE_URL=""),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the worker must leave with it
    )
    try:
        health = wait_for_health(port, up)
        subscribe_page = signed_in_page(port, "member@brightwater.example", "/calendar/subscribe/")
        reset_mail = password_reset_mail(port, home, "member@brightwater.example")
    finally:
        up.send_signal(signal.SIGTERM)
        stdout, stderr = up.communicate(timeout=30)

    assert health[0] == 200
    # Without SITE_URL, links point where `kshare up` listens (issue: links on the wrong port):
    # in the pages, and in the mail its worker builds and sends (here: into var/mail/).
    assert f'href="http://127.0.0.1:{port}/calendar/programme/' in subscribe_page
    assert f"http://127.0.0.1:{port}/password/reset/" in reset_mail
    assert "127.0.0.1:8000" not in reset_mail
    assert up.returncode == 0, stderr
    with pytest.raises(ProcessLookupError):
        os.killpg(up.pid, 0)  # nothing of the group is left: the worker stopped too
    lines = stdout.splitlines()
    width = max(len(email) for email, _, _ in logins())
    assert lines[:2] == [
        "Preparing the database…",
        "The database is empty: creating the demo organisation…",
    ]
    assert lines[2].startswith("Created the demo organisation: ") is True
    assert lines[3:] == [
        "",
        f"kshare is running on http://127.0.0.1:{port}",
        "Demo logins:",
        *[f"  {email:<{width}}  {password}  ({role})" for email, password, role in logins()],
        "Press Ctrl-C to stop.",
        "",
        "",
        "Stopping kshare…",
    ]


PRODUCTION = {"ALLOWED_HOSTS": "kshare.example.com", "SECRET_KEY": "x" * 50}


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_production_refuses_to_start_without_a_site_url(home, command):
    port = free_port()
    arguments = ["serve", "--port", str(port)] if command == "serve" else ["worker", "--batch"]
    result = kshare(home, *arguments, SITE_URL="", **PRODUCTION)
    assert (result.returncode, result.stdout) == (2, "")
    # serve names where links would point: the address it listens on.
    fallback = f"http://127.0.0.1:{port}" if command == "serve" else "http://127.0.0.1:8000"
    assert result.stderr == (
        "kshare: SITE_URL is not set, so links in mail, calendar feeds and QR codes would point "
        f"to {fallback}. Set SITE_URL to the https address people use, e.g. "
        "https://kshare.example.com. kshare does not start in production without it.\n"
    )


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker", "--batch"]])
def test_production_refuses_to_start_when_site_url_is_not_an_allowed_host(home, command):
    result = kshare(home, *command, SITE_URL="https://kshare.example.org", **PRODUCTION)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        "kshare: SITE_URL's host kshare.example.org is not in ALLOWED_HOSTS (kshare.example.com)"
    )
    assert result.stderr.count("\n") == 1


def test_up_in_production_mode_without_site_url_says_what_to_set(home):
    result = kshare(home, "up", "--port", "0", SITE_URL="")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "kshare: SITE_URL is not set and kshare is in production mode (https): set SITE_URL to "
        "the https address people use, or KSHARE_INSECURE_HTTP=1 for plain http on this computer "
        "(make run does).\n"
    )
