"""Strict readers for settings that come from environment variables.

Every reader raises ``ConfigError`` with one readable sentence, so that a broken
configuration stops start-up with a message instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import available_timezones

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A setting from the environment cannot be used."""


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or the content of the file named by ``NAME_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{name}_FILE points to {file_name!r}, which cannot be read ({exc.strerror})."
            ) from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number; got {raw!r}.") from exc
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_RATE_PERIODS = {"second", "minute", "hour", "day", "s", "sec", "m", "min", "h", "d"}


def env_rate(name: str, default: str) -> str:
    """A rate such as ``600/minute`` (``<count>/<second|minute|hour|day>``); empty = no limit."""
    raw = os.environ.get(name, default).strip()
    if raw == "":
        return ""
    count, _, period = raw.partition("/")
    if not count.strip().isdigit() or int(count) < 1 or period.strip().lower() not in _RATE_PERIODS:
        raise ConfigError(
            f"{name} must look like 600/minute (<count>/<second|minute|hour|day>); got {raw!r}."
        )
    return raw


def env_networks(name: str, default: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of IP addresses and networks (``10.0.0.0/8``); ``*`` is refused."""
    raw = os.environ.get(name, default)
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
        except ValueError:
            raise ConfigError(
                f"{name} must list IP addresses or networks such as 127.0.0.1 or 10.0.0.0/8, "
                f"separated by commas; {item!r} is not one."
            ) from None
    return networks


def env_choice(name: str, default: str, *, choices: list[str]) -> str:
    raw = os.environ.get(name, default)
    value = raw.strip().upper()
    if value not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        raise ConfigError(f"{name} must be one of {listed}; got {raw!r}.")
    return value


def env_timezone(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    if value not in available_timezones() and value != "UTC":
        raise ConfigError(f"{name} must be an IANA time zone such as Europe/Berlin; got {value!r}.")
    return value


def secret_key(var_dir: Path) -> str:
    """``SECRET_KEY`` from the environment, else one generated once and kept in ``var_dir``."""
    value = env_str("SECRET_KEY")
    if value:
        return value
    key_file = var_dir / "secret_key"
    try:
        if key_file.exists():
            stored = key_file.read_text(encoding="utf-8").strip()
            if stored:
                return stored
        var_dir.mkdir(parents=True, exist_ok=True)
        generated = secrets.token_urlsafe(50)
        # Create with 0600 so that other local users cannot read the key.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(generated)
        return generated
    except OSError as exc:
        raise ConfigError(
            f"SECRET_KEY is unset and {key_file} cannot be written ({exc.strerror}); "
            "set SECRET_KEY."
        ) from exc


def database(url: str, *, var_dir: Path) -> dict:
    """``DATABASES['default']`` from ``DATABASE_URL``; SQLite in ``var_dir`` when it is empty."""
    if not url:
        var_dir.mkdir(parents=True, exist_ok=True)
        return sqlite_database(var_dir / "kshare.sqlite3")
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        # sqlite:///relative.db and sqlite:////absolute.db, as dj-database-url spells them.
        path = path[1:] if path.startswith("/") else path
        if path in ("", ":memory:"):
            return sqlite_database(":memory:")
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        return sqlite_database(Path(path).expanduser())
    if scheme in ("postgres", "postgresql", "pgsql"):
        import dj_database_url

        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        config["ENGINE"] = "django.db.backends.postgresql"
        return config
    raise ConfigError(
        "DATABASE_URL must start with sqlite:// or postgres://; "
        f"got a {scheme or 'schemeless'} URL."
    )


# Bytes of the database file each SQLite connection may map into memory (see sqlite_database).
SQLITE_MMAP_BYTES = 64 * 1024 * 1024


def sqlite_database(path: Path | str) -> dict:
    in_memory = str(path) == ":memory:"
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Connections are kept by each server thread and reused (checked before reuse after an
        # error): opening one and running the PRAGMAs below cost ~1.1 ms of CPU per request.
        # An in-memory database lives only as long as its connection, so it is never kept.
        "CONN_MAX_AGE": 0 if in_memory else 600,
        "CONN_HEALTH_CHECKS": not in_memory,
        "OPTIONS": {
            # WAL lets readers work while a writer writes; IMMEDIATE takes the write lock at BEGIN,
            # so concurrent writers wait for the busy timeout instead of failing with
            # "database is locked" half-way through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
                # Reads map the file instead of copying pages through a 2 MB cache: a search
                # with a date range reads a row per match (4 ms instead of 10 at 100,000 rows).
                # Every kept connection maps its own window, and each window counts in the
                # process's RSS: 64 MB each keeps the hot part of the file mapped while
                # processes x threads connections stay within a bounded size.
                f"PRAGMA mmap_size={SQLITE_MMAP_BYTES};"
            ),
        },
        "TEST": {"NAME": None},
    }


def mailers(url: str, *, var_dir: Path) -> dict:
    """Django 6.1 ``MAILERS`` from ``EMAIL_URL``.

    ``smtp://user:password@host:587?tls=1`` (``smtps://`` for implicit TLS), ``console://``,
    ``file:///path/to/dir``, ``memory://``. Empty: mail is written to ``var/mail`` as files, so that
    a fresh installation never loses mail and never needs a mail server.
    """
    if not url:
        return {"default": _file_mailer(var_dir / "mail")}
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ConfigError(
                "EMAIL_URL needs a host, e.g. smtp://user:password@mail.example.com:587."
            )
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        options: dict = {
            "host": parts.hostname,
            "port": parts.port or (465 if scheme == "smtps" else 25),
            "timeout": 10,
        }
        if parts.username:
            options["username"] = unquote(parts.username)
            options["password"] = unquote(parts.password or "")
        if scheme == "smtps":
            options["use_ssl"] = True
        elif query.get("tls", "").lower() in TRUE:
            options["use_tls"] = True
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": options,
            }
        }
    if scheme == "console":
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    if scheme == "file":
        return {"default": _file_mailer(Path(unquote(parts.path)))}
    if scheme == "memory":
        return {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    raise ConfigError(
        "EMAIL_URL must start with smtp://, smtps://, console://, file:// or memory://; "
        f"got {scheme or 'no scheme'}."
    )


def _file_mailer(path: Path) -> dict:
    return {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(path)},
    }
