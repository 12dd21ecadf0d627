"""kshare.config: every environment reader accepts the documented forms and refuses the rest
with one readable sentence."""

import stat
from pathlib import Path

import pytest

from kshare import config
from kshare.config import ConfigError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_documented_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("KSHARE_FLAG", raw)
    assert config.env_bool("KSHARE_FLAG") is expected


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("KSHARE_FLAG", raising=False)
    assert config.env_bool("KSHARE_FLAG", default=True) is True


def test_env_bool_refuses_other_words(monkeypatch):
    monkeypatch.setenv("KSHARE_FLAG", "maybe")
    with pytest.raises(ConfigError) as excinfo:
        config.env_bool("KSHARE_FLAG")
    assert str(excinfo.value) == (
        "KSHARE_FLAG must be one of 1/0, true/false, yes/no, on/off; got 'maybe'."
    )


def test_env_int_reads_a_number_and_defaults_when_empty(monkeypatch):
    monkeypatch.setenv("KSHARE_N", "42")
    assert config.env_int("KSHARE_N", 7) == 42
    monkeypatch.setenv("KSHARE_N", "")
    assert config.env_int("KSHARE_N", 7) == 7


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("KSHARE_N", "ten")
    with pytest.raises(ConfigError) as excinfo:
        config.env_int("KSHARE_N", 7)
    assert str(excinfo.value) == "KSHARE_N must be a whole number; got 'ten'."


def test_env_int_refuses_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("KSHARE_N", "-1")
    with pytest.raises(ConfigError) as excinfo:
        config.env_int("KSHARE_N", 7, minimum=0)
    assert str(excinfo.value) == "KSHARE_N must be at least 0; got -1."


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("KSHARE_HOSTS", " a.example.com, ,b.example.com ")
    assert config.env_list("KSHARE_HOSTS", []) == ["a.example.com", "b.example.com"]


def test_env_timezone_accepts_iana_names(monkeypatch):
    monkeypatch.setenv("KSHARE_TZ", "Europe/Berlin")
    assert config.env_timezone("KSHARE_TZ", "UTC") == "Europe/Berlin"


def test_env_choice_of_a_language_accepts_a_listed_code_in_any_case_and_refuses_others(
    monkeypatch,
):
    LANGS = ["en-gb", "de", "fr"]
    monkeypatch.setenv("KSHARE_LANG", " DE ")
    assert config.env_choice("KSHARE_LANG", "en-gb", choices=LANGS, normalise=str.lower) == "de"
    monkeypatch.delenv("KSHARE_LANG")
    assert config.env_choice("KSHARE_LANG", "en-gb", choices=LANGS, normalise=str.lower) == "en-gb"
    monkeypatch.setenv("KSHARE_LANG", "es")
    with pytest.raises(ConfigError) as excinfo:
        config.env_choice("KSHARE_LANG", "en-gb", choices=LANGS, normalise=str.lower)
    assert str(excinfo.value) == "KSHARE_LANG must be one of en-gb, de or fr; got 'es'."


def test_env_timezone_refuses_unknown_names(monkeypatch):
    monkeypatch.setenv("KSHARE_TZ", "Mars/Olympus")
    with pytest.raises(ConfigError) as excinfo:
        config.env_timezone("KSHARE_TZ", "UTC")
    assert str(excinfo.value) == (
        "KSHARE_TZ must be an IANA time zone such as Europe/Berlin; got 'Mars/Olympus'."
    )


def test_env_str_reads_the_file_named_by_the_file_variable(monkeypatch, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("KSHARE_PASSWORD_FILE", str(secret))
    assert config.env_str("KSHARE_PASSWORD") == "s3cret"


def test_env_str_explains_an_unreadable_file(monkeypatch, tmp_path):
    missing = tmp_path / "nope"
    monkeypatch.setenv("KSHARE_PASSWORD_FILE", str(missing))
    with pytest.raises(ConfigError) as excinfo:
        config.env_str("KSHARE_PASSWORD")
    assert str(excinfo.value) == (
        f"KSHARE_PASSWORD_FILE points to {str(missing)!r}, which cannot be read "
        "(No such file or directory)."
    )


# --- DATABASE_URL -------------------------------------------------------------------------


def test_database_is_sqlite_in_var_when_the_url_is_empty(tmp_path):
    db = config.database("", var_dir=tmp_path / "var")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var" / "kshare.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert (tmp_path / "var").is_dir() is True


def test_database_reads_an_absolute_sqlite_path(tmp_path):
    path = tmp_path / "data" / "k.db"
    db = config.database(f"sqlite:///{path}", var_dir=tmp_path / "var")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(path)
    assert path.parent.is_dir() is True


def test_database_reads_sqlite_in_memory(tmp_path):
    assert config.database("sqlite://:memory:", var_dir=tmp_path)["NAME"] == ":memory:"


def test_database_reads_a_postgres_url(tmp_path):
    db = config.database(
        "postgres://kshare:p%40ss@db.example.com:5433/kshare", var_dir=tmp_path / "var"
    )
    assert {key: db[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")} == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "kshare",
        "USER": "kshare",
        "PASSWORD": "p@ss",
        "HOST": "db.example.com",
        "PORT": 5433,
    }
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_postgres_statements_are_prepared_on_the_server(tmp_path, monkeypatch):
    monkeypatch.delenv("KSHARE_PG_PREPARE", raising=False)
    db = config.database("postgres://kshare@db.example.com/kshare", var_dir=tmp_path)
    assert db["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_postgres_prepared_statements_can_be_turned_off_for_a_pooler(tmp_path, monkeypatch):
    monkeypatch.setenv("KSHARE_PG_PREPARE", "0")
    db = config.database(
        "postgres://kshare@db.example.com/kshare?sslmode=require", var_dir=tmp_path
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_database_refuses_other_schemes(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        config.database("mysql://root@localhost/kshare", var_dir=tmp_path)
    assert str(excinfo.value) == (
        "DATABASE_URL must start with sqlite:// or postgres://; got a mysql URL."
    )


def test_database_refuses_a_url_without_scheme(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        config.database("localhost/kshare", var_dir=tmp_path)
    assert str(excinfo.value) == (
        "DATABASE_URL must start with sqlite:// or postgres://; got a schemeless URL."
    )


# --- EMAIL_URL ----------------------------------------------------------------------------


def test_mailers_write_files_to_var_mail_when_the_url_is_empty(tmp_path):
    assert config.mailers("", var_dir=tmp_path) == {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "mail")},
        }
    }


def test_mailers_smtp_with_starttls_and_credentials(tmp_path):
    mailers = config.mailers(
        "smtp://ada%40x.com:p%2Fw@mail.example.com:587?tls=1", var_dir=tmp_path
    )
    assert mailers == {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "mail.example.com",
                "port": 587,
                "timeout": 10,
                "username": "ada@x.com",
                "password": "p/w",
                "use_tls": True,
            },
        }
    }


def test_mailers_smtp_without_credentials_uses_port_25(tmp_path):
    options = config.mailers("smtp://mail.example.com", var_dir=tmp_path)["default"]["OPTIONS"]
    assert options == {"host": "mail.example.com", "port": 25, "timeout": 10}


def test_mailers_smtps_uses_implicit_tls_on_port_465(tmp_path):
    options = config.mailers("smtps://mail.example.com", var_dir=tmp_path)["default"]["OPTIONS"]
    assert options == {"host": "mail.example.com", "port": 465, "timeout": 10, "use_ssl": True}


def test_mailers_smtp_needs_a_host(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        config.mailers("smtp://", var_dir=tmp_path)
    assert str(excinfo.value) == (
        "EMAIL_URL needs a host, e.g. smtp://user:password@mail.example.com:587."
    )


def test_mailers_console(tmp_path):
    assert config.mailers("console://", var_dir=tmp_path) == {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    }


def test_mailers_file_writes_to_the_given_folder(tmp_path):
    assert config.mailers(f"file://{tmp_path}/out", var_dir=tmp_path / "var") == {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": f"{tmp_path}/out"},
        }
    }


def test_mailers_memory(tmp_path):
    assert config.mailers("memory://", var_dir=tmp_path) == {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }


def test_mailers_refuse_other_schemes(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        config.mailers("sendmail://localhost", var_dir=tmp_path)
    assert str(excinfo.value) == (
        "EMAIL_URL must start with smtp://, smtps://, console://, file:// or memory://; "
        "got sendmail."
    )


# --- SECRET_KEY ---------------------------------------------------------------------------


def test_secret_key_comes_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    assert config.secret_key(tmp_path) == "from-the-environment"
    assert (tmp_path / "secret_key").exists() is False


def test_secret_key_file_variable_is_read(monkeypatch, tmp_path):
    key_file = tmp_path / "mounted-secret"
    key_file.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(key_file))
    assert config.secret_key(tmp_path / "var") == "from-a-file"


def test_secret_key_is_generated_once_then_reused_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    var_dir = tmp_path / "var"
    first = config.secret_key(var_dir)
    second = config.secret_key(var_dir)
    key_file = var_dir / "secret_key"
    assert len(first) >= 50
    assert second == first
    assert key_file.read_text(encoding="utf-8") == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_explains_an_unwritable_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", encoding="utf-8")
    var_dir: Path = blocker / "var"
    with pytest.raises(ConfigError) as excinfo:
        config.secret_key(var_dir)
    assert str(excinfo.value) == (
        f"SECRET_KEY is unset and {var_dir / 'secret_key'} cannot be written (Not a directory); "
        "set SECRET_KEY."
    )


def test_env_choice_accepts_any_case_and_names_the_choices(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert config.env_choice("LOG_LEVEL", "INFO", choices=["DEBUG", "INFO"]) == "DEBUG"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(config.ConfigError) as exc:
        config.env_choice("LOG_LEVEL", "INFO", choices=["DEBUG", "INFO", "ERROR"])
    assert str(exc.value) == "LOG_LEVEL must be one of DEBUG, INFO or ERROR; got 'loud'."
