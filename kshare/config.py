"""Strict readers for settings that come from environment variables.

Every reader raises ``ConfigError`` with one readable sentence, so that a broken
configuration stops start-up with a message instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from email.utils import parseaddr
from importlib.util import find_spec
from pathlib import Path
from typing import Any
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


def env_addresses(name: str) -> list[str]:
    """Comma-separated mail addresses (``Name <a@b.example>`` or ``a@b.example``); empty: none."""
    addresses = env_list(name, [])
    for entry in addresses:
        _display, address = parseaddr(entry)
        local, _at, domain = address.rpartition("@")
        if not local or "." not in domain:
            raise ConfigError(
                f"{name}: {entry!r} is not a mail address such as Team <team@acme.example>."
            )
    return addresses


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


def env_choice(
    name: str, default: str, *, choices: list[str], normalise: Callable[[str], str] = str.upper
) -> str:
    """One of ``choices``; the value is stripped and ``normalise``d (upper-case by default,
    ``str.lower`` for language codes) first."""
    raw = os.environ.get(name, default)
    value = normalise(raw.strip())
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

        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
        config["ENGINE"] = "django.db.backends.postgresql"
        # Statements a kept connection runs again and again are prepared on the server (psycopg
        # prepares one after its 5th run on a connection; that needs server-side parameters):
        # PostgreSQL then no longer parses them, and plans them once for all parameters when
        # that plan costs no more than the plans made for the parameters so far (its
        # plan_cache_mode "auto"). Parsing and planning were most of the server's work on a page:
        # a session's page, 19 statements of 0.01-0.17 ms execution each, took 5.2 ms of server
        # CPU per request and 1.9 ms prepared, 36 -> 30 ms wall (profile_page.py, 5,000-person
        # demo). A pooler in transaction mode (PgBouncer before 1.21) cannot keep prepared
        # statements: KSHARE_PG_PREPARE=0 turns them off.
        if env_bool("KSHARE_PG_PREPARE", default=True):
            options = config.setdefault("OPTIONS", {})
            options["server_side_binding"] = True
            options["prepare_threshold"] = PG_PREPARE_THRESHOLD
        return config
    raise ConfigError(
        "DATABASE_URL must start with sqlite:// or postgres://; "
        f"got a {scheme or 'schemeless'} URL."
    )


# Runs of one statement on one connection before psycopg prepares it (psycopg's own default).
PG_PREPARE_THRESHOLD = 5

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


def imap(url: str) -> dict | None:
    """The mailbox ``kshare mail-in`` reads calendar replies from, from ``KSHARE_IMAP_URL``.

    ``imaps://user:password@host:993/INBOX`` (implicit TLS), ``imap://user:password@host:143/INBOX
    ?tls=1`` (STARTTLS) or plain ``imap://`` (only sensible on this machine). The path is the folder
    to read (default ``INBOX``); user and password are percent-encoded. Empty: no mailbox.
    """
    if not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ConfigError(
            "KSHARE_IMAP_URL must start with imaps:// or imap://, e.g. "
            "imaps://kshare%40example.com:password@mail.example.com/INBOX; "
            f"got {parts.scheme or 'no scheme'}."
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"KSHARE_IMAP_URL has a port that is not a number ({exc}).") from exc
    if not parts.hostname or not parts.username:
        raise ConfigError(
            "KSHARE_IMAP_URL needs a user and a host, e.g. "
            "imaps://kshare%40example.com:password@mail.example.com/INBOX."
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    tls = parts.scheme == "imaps"
    return {
        "host": parts.hostname,
        "port": port or (993 if tls else 143),
        "ssl": tls,
        "starttls": not tls and query.get("tls", "").lower() in TRUE,
        "username": unquote(parts.username),
        "password": unquote(parts.password or ""),
        "folder": unquote(parts.path.strip("/")) or "INBOX",
    }


def _file_mailer(path: Path) -> dict:
    return {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(path)},
    }


# -- scale-out: the shared cache and media on object storage -------------------------------------

CACHE_SCHEMES = ("redis", "rediss", "unix")


def cache(url: str, *, variable: str = "CACHE_URL") -> dict:
    """``CACHES['default']`` from ``CACHE_URL`` (or ``REDIS_URL``).

    ``redis://[:password@]host:6379/0``, ``rediss://`` (TLS) or ``unix:///path/redis.sock``:
    Django's built-in Redis backend, shared by every process on every machine. Empty: the
    database cache (the table ``kshare_cache``, created by ``kshare migrate``), shared by every
    process that uses the same database. ``locmem://``: one cache per process (only for a single
    process, e.g. tests); the API's rate limit then counts per process.
    """
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kshare_cache",
            "KEY_PREFIX": "kshare",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    scheme = urlsplit(url).scheme
    if scheme in CACHE_SCHEMES:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            # Several applications may share one Redis: every key starts with "kshare:".
            "KEY_PREFIX": "kshare",
            # A Redis that does not answer fails the request in 2 s instead of hanging it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ConfigError(
        f"{variable} must start with redis://, rediss://, unix:// or locmem://; "
        f"got {scheme or 'no scheme'}."
    )


def cache_description(config: dict) -> str:
    """One sentence for ``kshare check``: which cache the processes share."""
    backend = config["BACKEND"]
    if backend.endswith("RedisCache"):
        parts = urlsplit(config["LOCATION"])
        where = parts.hostname or parts.path
        port = f":{parts.port}" if parts.port else ""
        database = parts.path if parts.scheme != "unix" else ""
        return f"Redis at {parts.scheme}://{where}{port}{database}, shared by every process."
    if backend.endswith("DatabaseCache"):
        return (
            f"the database table {config['LOCATION']}, shared by every process "
            "using this database (set CACHE_URL=redis://… for a faster one)."
        )
    return "in the memory of each process, not shared (the API's rate limit counts per process)."


MEDIA_DELIVERIES = ("redirect", "stream")
ADDRESSING_STYLES = ("path", "virtual", "auto")


def media_storage() -> dict:
    """``STORAGES['default']``: the local disk at ``MEDIA_ROOT``, or an S3-compatible bucket.

    ``KSHARE_MEDIA_S3_BUCKET`` switches to the bucket (django-storages, the ``s3`` extra); the
    other ``KSHARE_MEDIA_S3_*`` variables and the usual ``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY`` (or their ``_FILE`` forms, or an instance role) say where and how.
    """
    bucket = env_str("KSHARE_MEDIA_S3_BUCKET").strip()
    if not bucket:
        # No options: the storage follows MEDIA_ROOT (also when a test overrides it).
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if find_spec("storages") is None or find_spec("boto3") is None:
        raise ConfigError(
            "KSHARE_MEDIA_S3_BUCKET is set, but the S3 libraries are not installed; "
            'install them with pip install "kshare[s3]" (django-storages and boto3).'
        )
    endpoint = env_str("KSHARE_MEDIA_S3_ENDPOINT_URL").strip()
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigError(
            "KSHARE_MEDIA_S3_ENDPOINT_URL must be an http:// or https:// address such as "
            f"https://s3.example.com; got {endpoint!r}."
        )
    # MinIO, Ceph and most S3-compatible servers answer at one host name: path-style addresses.
    style = env_str("KSHARE_MEDIA_S3_ADDRESSING_STYLE", "path" if endpoint else "virtual")
    style = style.strip().lower()
    if style not in ADDRESSING_STYLES:
        raise ConfigError(
            f"KSHARE_MEDIA_S3_ADDRESSING_STYLE must be path, virtual or auto; got {style!r}."
        )
    options: dict = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": env_str("KSHARE_MEDIA_S3_REGION").strip() or None,
        "addressing_style": style,
        "location": env_str("KSHARE_MEDIA_S3_PREFIX").strip().strip("/"),
        "signature_version": "s3v4",
        # Private objects: kshare checks every access and hands out short-lived signed URLs.
        "querystring_auth": True,
        "querystring_expire": env_int("KSHARE_MEDIA_S3_URL_SECONDS", 7200, minimum=60),
        "file_overwrite": False,
    }
    if options["querystring_expire"] > 604_800:
        raise ConfigError(
            "KSHARE_MEDIA_S3_URL_SECONDS must be at most 604800 (7 days, the longest a signed "
            f"URL can live); got {options['querystring_expire']}."
        )
    # boto3 reads these variables (and instance roles) itself; read here for their _FILE forms.
    for option, variable in (
        ("access_key", "AWS_ACCESS_KEY_ID"),
        ("secret_key", "AWS_SECRET_ACCESS_KEY"),
        ("security_token", "AWS_SESSION_TOKEN"),
    ):
        value = env_str(variable).strip()
        if value:
            options[option] = value
    return {"BACKEND": "kshare.library.object_storage.MediaS3Storage", "OPTIONS": options}


def media_delivery(storage: dict) -> str:
    """How a stored file reaches a viewer (see ``kshare.library.delivery``).

    ``stream``: kshare reads it and sends it (the local disk always; a bucket when
    ``KSHARE_MEDIA_S3_DELIVERY=stream``); ``redirect``: kshare checks the permission, then
    redirects to a signed URL of the bucket, which answers the ranges itself.
    """
    if not storage["BACKEND"].endswith("MediaS3Storage"):
        return "stream"
    value = env_str("KSHARE_MEDIA_S3_DELIVERY", "redirect").strip().lower()
    if value not in MEDIA_DELIVERIES:
        raise ConfigError(f"KSHARE_MEDIA_S3_DELIVERY must be redirect or stream; got {value!r}.")
    return value


def media_origins(storage: dict) -> list[str]:
    """The origins a browser is redirected to for media (for the Content-Security-Policy).

    The host of a signed URL: the endpoint's (path-style), ``bucket.`` + the endpoint's
    (virtual-hosted), or AWS's global and regional names for the bucket.
    """
    options = storage.get("OPTIONS", {})
    bucket = options.get("bucket_name")
    if not bucket:
        return []
    endpoint = options.get("endpoint_url")
    style = options.get("addressing_style")
    if endpoint:
        parts = urlsplit(endpoint)
        if style == "path":
            return [f"{parts.scheme}://{parts.netloc}"]
        origins = [f"{parts.scheme}://{bucket}.{parts.netloc}"]
        return origins if style == "virtual" else [*origins, f"{parts.scheme}://{parts.netloc}"]
    region = options.get("region_name")
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        # A bucket outside us-east-1 may answer the global name with a redirect to this one.
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    if style != "virtual":
        origins.append("https://s3.amazonaws.com")
        if region:
            origins.append(f"https://s3.{region}.amazonaws.com")
    return origins


def csp_with_media(csp: dict, *, storage: dict, delivery: str) -> dict:
    """``SECURE_CSP`` with the bucket's origins allowed for players and the slides frame when
    media is delivered by redirect (the browser follows the redirect to the signed URL)."""
    if delivery != "redirect":
        return csp
    origins = media_origins(storage)
    return {
        **csp,
        "media-src": [*csp.get("media-src", []), *origins],
        "frame-src": [*csp.get("frame-src", csp.get("default-src", [])), *origins],
    }


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def oidc() -> dict | None:
    """Single sign-on through the company's OpenID Connect provider, from ``KSHARE_OIDC_*``.

    ``None`` when ``KSHARE_OIDC_DISCOVERY_URL`` is unset (password sign-in only). The discovery
    document must be served over https, except from a loopback address (a provider on the same
    machine, as in the tests). Client id and secret are required with it; the secret may come
    from ``KSHARE_OIDC_CLIENT_SECRET_FILE``.
    """
    url = env_str("KSHARE_OIDC_DISCOVERY_URL").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            "KSHARE_OIDC_DISCOVERY_URL must be the provider's address, such as "
            f"https://login.acme.example/.well-known/openid-configuration; got {url!r}."
        )
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(
            "KSHARE_OIDC_DISCOVERY_URL must use https:// (plain http is allowed only for a "
            f"provider on this machine); got {url!r}."
        )
    if "/.well-known/" not in parts.path:
        url = url.rstrip("/") + "/.well-known/openid-configuration"
    client_id = env_str("KSHARE_OIDC_CLIENT_ID").strip()
    secret = env_str("KSHARE_OIDC_CLIENT_SECRET").strip()
    if not client_id or not secret:
        raise ConfigError(
            "KSHARE_OIDC_DISCOVERY_URL is set, so KSHARE_OIDC_CLIENT_ID and "
            "KSHARE_OIDC_CLIENT_SECRET (or KSHARE_OIDC_CLIENT_SECRET_FILE) are needed too."
        )
    return {
        "discovery_url": url,
        "client_id": client_id,
        "client_secret": secret,
        "name": env_str("KSHARE_OIDC_NAME", "your company account").strip()
        or "your company account",
        "scopes": env_str("KSHARE_OIDC_SCOPES", "openid email profile").strip(),
        "name_claim": env_str("KSHARE_OIDC_NAME_CLAIM", "name").strip(),
        "team_claim": env_str("KSHARE_OIDC_TEAM_CLAIM", "").strip(),
        "groups_claim": env_str("KSHARE_OIDC_GROUPS_CLAIM", "groups").strip(),
        "admin_groups": env_list("KSHARE_OIDC_ADMIN_GROUPS", []),
        "organiser_groups": env_list("KSHARE_OIDC_ORGANISER_GROUPS", []),
    }


def signin_domains() -> list[str]:
    """``KSHARE_SIGNIN_DOMAINS``: the e-mail domains that may sign in (empty: any)."""
    domains = [d.lower().lstrip("@") for d in env_list("KSHARE_SIGNIN_DOMAINS", [])]
    for domain in domains:
        if "." not in domain or "@" in domain or any(c.isspace() for c in domain):
            raise ConfigError(
                f"KSHARE_SIGNIN_DOMAINS must list e-mail domains such as acme.example; "
                f"{domain!r} is not one."
            )
    return domains
