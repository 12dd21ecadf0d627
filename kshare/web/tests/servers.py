"""`kshare serve` as a real server for tests: a subprocess on a free loopback port.

The subprocess gets its own KSHARE_HOME (a fresh SQLite database, migrated, static files
collected) and none of the test run's settings; ``extra`` environment variables are added.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[3]
# Settings read from the environment: the subprocess must not inherit the test run's values.
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_URL",
    "MEDIA_ROOT",
    "TIME_ZONE",
    "SITE_URL",
    "KSHARE_DEFAULT_SITE_URL",
    "KSHARE_TESTING",
    "KSHARE_INSECURE_HTTP",
    "KSHARE_ADMIN_PASSWORD",
    "KSHARE_PROXY_ADDRESSES",
    "KSHARE_MEDIA_ACCEL_REDIRECT",
    "USE_X_FORWARDED_PROTO",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
SERVING = re.compile(r"kshare is serving on http://127\.0\.0\.1:(\d+) ")


def kshare_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["KSHARE_HOME"] = str(home)
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
        timeout=120,
    )


def prepare(home: Path, **env: str) -> None:
    """A migrated database and collected static files in ``home``."""
    for args in (("migrate",), ("manage", "collectstatic", "--noinput", "--verbosity", "0")):
        result = kshare(home, *args, **env)
        assert result.returncode == 0, result.stderr


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, *, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def serve(home: Path, *args: str, **env: str) -> Served:
    """Start `kshare serve --port 0 ARGS` and wait until /healthz answers (60 s at most)."""
    stderr_path = home / f"serve-{time.monotonic_ns()}.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "kshare.cli", "serve", "--port", "0", *args],
            cwd=PROJECT_DIR,
            env=kshare_env(home, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = SERVING.match(first)
    if match is None:
        process.kill()
        process.wait()
        raise AssertionError(f"kshare serve did not start: {first!r} {stderr_path.read_text()}")
    served = Served(process, int(match[1]), stderr_path)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{served.url}/healthz", timeout=5).close()  # noqa: S310
            return served
        except urllib.error.HTTPError:
            return served  # it answers (a redirect to https, for example)
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                served.stop()
                raise AssertionError(f"kshare serve never answered: {served.log()}") from None
            time.sleep(0.2)
