"""`manage.py check --deploy` under a production-like environment, in a subprocess so that the
settings' test mode (switched on when pytest is imported) is off.

The only issues allowed are the ones docs/configuration.md explains under "check --deploy".
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[3]
PRODUCTION_UNSET = {
    "DEBUG",
    "KSHARE_TESTING",
    "KSHARE_INSECURE_HTTP",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DATABASE_URL",
    "EMAIL_URL",
    "SECRET_KEY_FILE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "KSHARE_DEFAULT_SITE_URL",
    "DEFAULT_FROM_EMAIL",
    "KSHARE_PROXY_ADDRESSES",
    "KSHARE_MEDIA_ACCEL_REDIRECT",
    "MEDIA_ROOT",
    # Set for the browser tests (async.E001 in production); no deployment sets it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CACHE_URL",
    "REDIS_URL",
    "KSHARE_MEDIA_S3_BUCKET",
}


def deploy_check(home: Path, **extra: str | None) -> tuple[int, list[str], str]:
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_UNSET}
    env.update(
        DJANGO_SETTINGS_MODULE="kshare.settings",
        KSHARE_HOME=str(home),
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="kshare.example.com",
        CSRF_TRUSTED_ORIGINS="https://kshare.example.com",
        SITE_URL="https://kshare.example.com",
        USE_X_FORWARDED_PROTO="1",
        DEFAULT_FROM_EMAIL="Acme Knowledge <kshare@acme.test>",
    )
    env.update(extra)
    for name in [name for name, value in env.items() if value is None]:
        del env[name]
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    return result.returncode, sorted(set(re.findall(r"\(([a-z_]+\.[EW]\d{3})\)", output))), output


# Proves in the same process that test mode is off, then runs the check as `manage.py` would.
PROBE = """
import sys
from django.core.management import execute_from_command_line
import os
import kshare.settings as s
assert not s.TESTING and not s.DEBUG, "production mode expected"
if os.environ.get("PROBE_PRINT"):
    print(getattr(s, os.environ["PROBE_PRINT"]))
execute_from_command_line(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
"""


def test_production_settings_pass_the_deploy_check_but_for_hsts_preload(tmp_path):
    code, issues, output = deploy_check(
        tmp_path, EMAIL_URL="smtp://kshare:secret@mail.example.com:587?tls=1"
    )
    # HSTS preload commits the whole domain to HTTPS for good: an operator's decision, not ours.
    assert (issues, code) == (["security.W021"], 1), output


def test_without_a_sender_production_mail_is_from_the_site_host_never_localhost(tmp_path):
    code, issues, output = deploy_check(
        tmp_path,
        EMAIL_URL="smtp://kshare:secret@mail.example.com:587?tls=1",
        DEFAULT_FROM_EMAIL=None,
        KSHARE_ORGANISATION_NAME="Acme, Inc.",
        PROBE_PRINT="DEFAULT_FROM_EMAIL",
    )
    assert (issues, code) == (["security.W021"], 1), output
    assert '"Acme, Inc." <kshare@kshare.example.com>' in output


def test_without_email_url_the_deploy_check_asks_for_smtp(tmp_path):
    code, issues, output = deploy_check(tmp_path)
    assert (issues, code) == (["mail.E001", "security.W021"], 1), output


def test_kshares_own_production_rules_are_reported_with_djangos(tmp_path):
    code, issues, output = deploy_check(
        tmp_path,
        EMAIL_URL="smtp://kshare:secret@mail.example.com:587?tls=1",
        SITE_URL=None,  # links would point to http://127.0.0.1:8000
        DEFAULT_FROM_EMAIL=None,  # kshare@localhost
        SECRET_KEY=None,  # generated into var/
        KSHARE_PROXY_ADDRESSES="",  # USE_X_FORWARDED_PROTO=1 with no proxy to believe
    )
    assert (issues, code) == (
        ["kshare.E010", "kshare.E013", "kshare.E015", "kshare.W014", "security.W021"],
        1,
    ), output
    assert "(kshare.E010) SITE_URL is not set, so links in mail, calendar feeds and QR " in output
