"""The default cache is shared by every process: Redis when CACHE_URL (or REDIS_URL) names one,
else a database table; `kshare check` says which. Redis is the machine's own (127.0.0.1:6379);
its tests skip, saying why, when none answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from kshare import config
from kshare.config import ConfigError
from kshare.web.tests.test_cli import PROJECT_DIR, kshare, kshare_env

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> str | None:
    """None when Redis answers PING on 127.0.0.1:6379, else why not."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return f"no Redis answers on 127.0.0.1:6379 ({exc})"
    return None if answer.startswith(b"+PONG") else f"127.0.0.1:6379 answered {answer!r}"


needs_redis = pytest.mark.skipif(
    _redis_answers() is not None, reason=f"Redis tests skipped: {_redis_answers()}"
)


def test_an_empty_cache_url_is_the_database_cache():
    assert config.cache("") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kshare_cache",
        "KEY_PREFIX": "kshare",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/2", "unix:///r.sock"]
)
def test_a_redis_url_is_djangos_redis_backend(url):
    assert config.cache(url) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "kshare",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


def test_other_cache_urls_are_refused_in_one_sentence():
    with pytest.raises(ConfigError) as excinfo:
        config.cache("memcached://127.0.0.1:11211", variable="REDIS_URL")
    assert str(excinfo.value) == (
        "REDIS_URL must start with redis://, rediss://, unix:// or locmem://; got memcached."
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "the database table kshare_cache, shared by every process using this database"),
        ("redis://:secret@10.0.0.5:6379/1", "Redis at redis://10.0.0.5:6379/1, shared by every"),
        ("locmem://", "in the memory of each process, not shared"),
    ],
)
def test_the_description_names_the_cache_without_its_password(url, expected):
    description = config.cache_description(config.cache(url))
    assert description.startswith(expected)
    assert "secret" not in description


def _read_in_another_process(key: str, **env: str) -> str:
    """What a separate `kshare` process reads from its default cache under ``key``."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        env.setdefault("DATABASE_URL", f"sqlite:///{database['NAME']}")
    else:
        host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        env.setdefault(
            "DATABASE_URL",
            f"postgres://{database['USER']}{password}@{host}:{port}/{database['NAME']}",
        )
    code = f"from django.core.cache import cache; print(cache.get({key!r}))"
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", "manage", "shell", "-c", code],
        cwd=PROJECT_DIR,
        env=kshare_env(PROJECT_DIR, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's import notice


@pytest.mark.django_db(transaction=True)
def test_the_database_cache_is_shared_with_another_process():
    key = f"shared-{uuid.uuid4().hex}"
    with override_settings(CACHES={**settings.CACHES, "default": config.cache("")}):
        caches["default"].set(key, "written by the test process", timeout=60)

        assert _read_in_another_process(key) == "written by the test process"


@needs_redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("variable", ["CACHE_URL", "REDIS_URL"])
def test_the_redis_cache_is_shared_with_another_process(variable):
    key = f"shared-{uuid.uuid4().hex}"
    with override_settings(CACHES={**settings.CACHES, "default": config.cache(REDIS_URL)}):
        cache = caches["default"]
        cache.set(key, "in Redis", timeout=60)
        try:
            assert _read_in_another_process(key, **{variable: REDIS_URL}) == "in Redis"
            # The API's rate limit counts with incr: atomic in Redis, whoever increments.
            cache.set(f"{key}-n", 0, timeout=60)
            assert [cache.incr(f"{key}-n") for _ in range(3)] == [1, 2, 3]
        finally:
            cache.delete_many([key, f"{key}-n"])


@needs_redis
def test_kshare_check_says_which_cache_is_used(tmp_path):
    redis = kshare(tmp_path, "check", REDIS_URL=REDIS_URL)
    database = kshare(tmp_path, "check")

    assert redis.returncode == 0, redis.stderr
    assert redis.stdout.splitlines()[0] == (
        "Cache: Redis at redis://127.0.0.1:6379/0, shared by every process."
    )
    assert database.stdout.splitlines()[0] == (
        "Cache: the database table kshare_cache, shared by every process using this database "
        "(set CACHE_URL=redis://… for a faster one)."
    )
    assert database.stdout.splitlines()[1] == (
        f"Media: the disk at {tmp_path / 'var' / 'media'} (share it between machines, or use a "
        "bucket)."
    )


def test_kshare_check_deploy_fails_when_the_redis_cache_does_not_answer(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = kshare(tmp_path, "check", "--deploy", CACHE_URL=f"redis://127.0.0.1:{port}/0")

    assert result.returncode == 2
    assert "(kshare.E101) The cache at CACHE_URL does not answer (ConnectionError:" in (
        result.stderr
    )
