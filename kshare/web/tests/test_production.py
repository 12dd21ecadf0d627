"""kshare's production rules (kshare/web/production.py, outbox/checks.py, library/checks.py):
system checks under `check --deploy`, each a sentence, and only in production (HTTPS on)."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from kshare.web.production import startup_refusal

pytestmark = pytest.mark.django_db  # Django's own checks look at the database

PRODUCTION = {
    "KSHARE_HTTPS": True,
    "DEBUG": False,
    "KSHARE_SITE_URL_SET": True,
    "SITE_URL": "https://kshare.example.com",
    "ALLOWED_HOSTS": ["kshare.example.com"],
    "DEFAULT_FROM_EMAIL": "Acme Knowledge <kshare@acme.test>",
    "KSHARE_SECRET_KEY_GENERATED": False,
}


def kshare_issues(**overrides) -> list[tuple[str, str]]:
    with override_settings(**{**PRODUCTION, **overrides}):
        issues = run_checks(include_deployment_checks=True)
    return [(i.id, i.msg) for i in issues if i.id.startswith("kshare.") and i.id[7] in "EW"]


def ids(**overrides) -> list[str]:
    return [issue_id for issue_id, _ in kshare_issues(**overrides) if issue_id >= "kshare.E010"]


def test_a_good_production_configuration_has_no_kshare_issue():
    assert ids() == []


def test_without_site_url_production_says_where_links_would_point():
    assert kshare_issues(KSHARE_SITE_URL_SET=False, SITE_URL="http://127.0.0.1:8000")[-1] == (
        "kshare.E010",
        "SITE_URL is not set, so links in mail, calendar feeds and QR codes would point to "
        "http://127.0.0.1:8000.",
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SITE_URL": "http://kshare.example.com"}, ["kshare.E011"]),
        ({"SITE_URL": "https://kshare.example.org"}, ["kshare.E012"]),
        ({"ALLOWED_HOSTS": [".example.com"]}, []),
        ({"ALLOWED_HOSTS": ["*"]}, []),
        ({"DEFAULT_FROM_EMAIL": "kshare <kshare@localhost>"}, ["kshare.E015"]),
        ({"DEFAULT_FROM_EMAIL": "no address"}, ["kshare.E015"]),
        ({"KSHARE_SECRET_KEY_GENERATED": True}, ["kshare.W014"]),
        ({"SITE_URL": "https://localhost", "ALLOWED_HOSTS": ["localhost"]}, ["kshare.W041"]),
        ({"SITE_URL": "https://10.0.0.5", "ALLOWED_HOSTS": ["10.0.0.5"]}, ["kshare.W041"]),
        ({"SITE_URL": "https://kshare", "ALLOWED_HOSTS": ["kshare"]}, ["kshare.W041"]),
        (
            {
                "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
                "KSHARE_PROXY_NETWORKS": [],
            },
            ["kshare.E013"],
        ),
    ],
)
def test_each_production_rule(overrides, expected):
    assert ids(**overrides) == expected


def test_a_media_root_that_cannot_be_a_folder_is_an_error(tmp_path):
    (tmp_path / "a-file").write_text("")
    assert ids(MEDIA_ROOT=str(tmp_path / "a-file" / "media")) == ["kshare.E016"]
    assert ids(MEDIA_ROOT=str(tmp_path / "not-yet" / "media")) == []  # created on first upload


def test_outside_production_the_site_url_and_mail_rules_are_quiet():
    assert (
        ids(KSHARE_HTTPS=False, KSHARE_SITE_URL_SET=False, DEFAULT_FROM_EMAIL="a@localhost") == []
    )


def test_a_mismatched_site_url_is_named_with_the_allowed_hosts():
    assert kshare_issues(SITE_URL="https://kshare.example.org")[-1][1] == (
        "SITE_URL's host kshare.example.org is not in ALLOWED_HOSTS (kshare.example.com), so "
        "every link kshare sends would be answered with 400 Bad Request."
    )


def test_the_startup_refusal_is_one_sentence_with_what_to_set():
    with override_settings(**{**PRODUCTION, "KSHARE_SITE_URL_SET": False}):
        refusal = startup_refusal()
    assert refusal == (
        "SITE_URL is not set, so links in mail, calendar feeds and QR codes would point to "
        "https://kshare.example.com. Set SITE_URL to the https address people use, e.g. "
        "https://kshare.example.com. kshare does not start in production without it."
    )
    with override_settings(**PRODUCTION):
        assert startup_refusal() is None
