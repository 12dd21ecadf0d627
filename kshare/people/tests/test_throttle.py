"""Sign-in and password-reset limits (people/throttle.py), through the real pages.

Each case posts to /signin/, /admin/login/ or /password/reset/ as a browser would; the count is
the database table every process shares. Where a case needs many earlier attempts they are
written as rows (what earlier requests would have left), so the case stays fast.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.people import throttle
from kshare.people.models import AuthAttempt
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.people.throttle import Action, Scope
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
INVALID = (
    "That e-mail address and password do not match an account. "
    "Passwords are case-sensitive; e-mail addresses are not."
)
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def alice(db):
    return PersonFactory(email="alice@example.com", display_name="Alice")


def client_from(address: str = "192.0.2.10") -> Client:
    return Client(REMOTE_ADDR=address)


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def earlier_attempts(
    action: str, scope: str, value: str, *, count: int, ago: timedelta = timedelta(minutes=1)
) -> None:
    """Rows as ``count`` earlier attempts ``ago`` would have left them."""
    request = RequestFactory().get("/", REMOTE_ADDR=value)
    key = throttle.throttle_keys(account=value, request=request)[scope]
    AuthAttempt.objects.bulk_create(
        [
            AuthAttempt(action=action, scope=scope, key=key, created_at=timezone.now() - ago)
            for _ in range(count)
        ]
    )


# --- sign-in, per account ---------------------------------------------------------------------


def test_five_failures_lock_the_account_with_the_reason_and_the_wait(alice):
    client = client_from()
    for _ in range(5):
        response = sign_in(client, "alice@example.com", "wrong")
        assert (response.status_code, errors(response)) == (200, [INVALID])

    # Locked: even the right password is not checked, and the page says how long to wait.
    response = sign_in(client, "Alice@Example.com", PASSWORD)
    assert response.status_code == 429
    assert 898 <= int(response["Retry-After"]) <= 900
    assert errors(response) == [
        "Too many failed sign-ins for this account. Try again in 15 minutes."
    ]
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in response.text
    assert get_user(client).is_authenticated is False
    # Another client address is refused too: the account is what is counted.
    assert sign_in(client_from("198.51.100.7"), "alice@example.com", PASSWORD).status_code == 429


def test_the_wait_counts_down_from_the_oldest_failure(alice):
    earlier_attempts(
        Action.SIGN_IN,
        Scope.ACCOUNT,
        "alice@example.com",
        count=5,
        ago=timedelta(minutes=1, seconds=30),
    )
    response = sign_in(client_from(), "alice@example.com", PASSWORD)
    assert response.status_code == 429
    assert errors(response) == [
        "Too many failed sign-ins for this account. Try again in 14 minutes."
    ]
    assert 808 <= int(response["Retry-After"]) <= 810


def test_failures_older_than_the_window_count_for_nothing(alice):
    earlier_attempts(
        Action.SIGN_IN,
        Scope.ACCOUNT,
        "alice@example.com",
        count=5,
        ago=timedelta(minutes=15, seconds=1),
    )
    earlier_attempts(Action.SIGN_IN, Scope.ACCOUNT, "alice@example.com", count=4)
    client = client_from()
    response = sign_in(client, "alice@example.com", PASSWORD)
    assert response.status_code == 302
    assert get_user(client).pk == alice.pk


def test_a_successful_sign_in_resets_the_account_count(alice):
    client = client_from()
    for _ in range(4):
        sign_in(client, "alice@example.com", "wrong")
    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert AuthAttempt.objects.filter(scope=Scope.ACCOUNT).count() == 0
    statuses = [sign_in(client, "alice@example.com", "wrong").status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 429]


def test_an_unknown_address_is_limited_exactly_like_a_known_one(alice):
    def run(email: str) -> list[tuple[int, list[str]]]:
        client = client_from()
        AuthAttempt.objects.all().delete()
        return [
            (r.status_code, errors(r)) for r in (sign_in(client, email, "wrong") for _ in range(6))
        ]

    assert run("alice@example.com") == run("nobody@example.com")


def test_a_new_password_through_the_reset_link_ends_the_lock_out(alice):
    client = client_from()
    for _ in range(5):
        sign_in(client, "alice@example.com", "wrong")
    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 429

    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    body = mail.outbox[0].body
    path = body[body.index("/password/reset/") :].split()[0]
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "blue tangerine 42", "new_password2": "blue tangerine 42"}
    )

    assert sign_in(client, "alice@example.com", "blue tangerine 42").status_code == 302


def test_the_admin_login_is_limited_too(db):
    AdminFactory(email="root@example.com")
    client = client_from()
    url = reverse("admin:login")
    for _ in range(5):
        response = client.post(url, {"username": "root@example.com", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(url, {"username": "root@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == [
        "Too many failed sign-ins for this account. Try again in 15 minutes."
    ]
    assert get_user(client).is_authenticated is False


# --- sign-in, per client address ----------------------------------------------------------------


def test_thirty_failures_from_one_address_lock_that_address_for_every_account(alice):
    earlier_attempts(Action.SIGN_IN, Scope.CLIENT, "192.0.2.10", count=29)
    client = client_from("192.0.2.10")
    response = sign_in(client, "someone@example.com", "wrong")
    assert (response.status_code, errors(response)) == (200, [INVALID])

    response = sign_in(client, "alice@example.com", PASSWORD)
    assert response.status_code == 429
    assert errors(response) == [
        # The 29 earlier failures are a minute old: the first of them leaves the window first.
        "Too many failed sign-ins from your network address. Try again in 14 minutes."
    ]
    # Another address signs in; the account itself is not locked.
    assert sign_in(client_from("192.0.2.11"), "alice@example.com", PASSWORD).status_code == 302


def test_an_ipv6_client_is_counted_by_its_64_network(alice):
    earlier_attempts(Action.SIGN_IN, Scope.CLIENT, "2001:db8:1:2::1", count=30)
    # Same /64 (another interface id): refused. Another /64, and the IPv4-mapped form of an
    # IPv4 address, are other clients.
    assert (
        sign_in(client_from("2001:db8:1:2:ffff::9"), "alice@example.com", PASSWORD).status_code
        == 429
    )
    assert sign_in(client_from("2001:db8:1:3::1"), "alice@example.com", PASSWORD).status_code == 302
    earlier_attempts(Action.SIGN_IN, Scope.CLIENT, "192.0.2.99", count=30)
    assert (
        sign_in(client_from("::ffff:192.0.2.99"), "alice@example.com", PASSWORD).status_code == 429
    )


@pytest.mark.django_db(transaction=True)
def test_twelve_simultaneous_guesses_check_exactly_five_passwords():
    PersonFactory(email="carol@example.com")
    statuses: list[int] = []

    def guess(i: int) -> None:
        statuses.append(
            sign_in(client_from(f"192.0.2.{i + 1}"), "carol@example.com", "wrong").status_code
        )

    assert race(guess, threads=12) == []
    assert sorted(statuses) == [200] * 5 + [429] * 7


@pytest.mark.django_db(transaction=True)
def test_an_attempt_waits_for_an_earlier_one_that_has_not_committed_yet(monkeypatch):
    """PostgreSQL gives a row its id when it is inserted, not when it commits: an attempt must
    not count "the attempts up to mine" while an earlier one is still uncommitted."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one transaction at a time: no attempt is ever uncommitted")
    import threading

    from django.db import connections

    earlier_attempts(Action.SIGN_IN, Scope.ACCOUNT, "dave@example.com", count=4)
    keys = {
        scope: throttle.throttle_keys(
            account="dave@example.com", request=RequestFactory().get("/", REMOTE_ADDR=address)
        )[scope]
        for scope, address in ((Scope.ACCOUNT, "192.0.2.1"), (Scope.CLIENT, "192.0.2.1"))
    }
    other_keys = {
        **keys,
        Scope.CLIENT: throttle.throttle_keys(
            account="dave@example.com", request=RequestFactory().get("/", REMOTE_ADDR="192.0.2.2")
        )[Scope.CLIENT],
    }
    inserted, go = threading.Event(), threading.Event()
    create = AuthAttempt.objects.create

    def paused_create(**fields):
        row = create(**fields)
        if threading.current_thread() is fifth and fields["scope"] == Scope.CLIENT:
            inserted.set()  # the fifth attempt is in, not yet committed
            go.wait(10)
        return row

    monkeypatch.setattr(AuthAttempt.objects, "create", paused_create)
    results: dict[str, object] = {}

    def attempt(name: str, attempt_keys: dict) -> None:
        try:
            results[name] = throttle.throttle_hit(
                limits=throttle.SIGN_IN_LIMITS, keys=attempt_keys
            )[1]
        finally:
            connections.close_all()

    fifth = threading.Thread(target=attempt, args=("fifth", keys))
    sixth = threading.Thread(target=attempt, args=("sixth", other_keys))
    fifth.start()
    assert inserted.wait(10)
    sixth.start()
    sixth.join(2)  # without the lock it would finish here, counting five
    go.set()
    fifth.join(10)
    sixth.join(10)

    assert results["fifth"] is None  # the fifth failed sign-in is still checked
    assert results["sixth"] is not None  # the sixth is refused
    assert results["sixth"].limit.scope == Scope.ACCOUNT


# --- equal work for known and unknown accounts ---------------------------------------------------


class CountingHasher(MD5PasswordHasher):
    """The test hasher (MD5), counting how often a password is hashed (``verify`` hashes too)."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def _hashes_and_queries(email: str, password: str) -> tuple[int, int]:
    client = client_from()
    CountingHasher.calls = 0
    with CaptureQueriesContext(connection) as queries:
        response = sign_in(client, email, password)
    assert response.status_code in (200, 429)
    return CountingHasher.calls, len(queries)


@override_settings(PASSWORD_HASHERS=["kshare.people.tests.test_throttle.CountingHasher"])
def test_known_unknown_inactive_and_passwordless_accounts_cost_the_same(db):
    PersonFactory(email="known@example.com")
    PersonFactory(email="inactive@example.com", is_active=False)
    passwordless = PersonFactory(email="imported@example.com")
    passwordless.set_unusable_password()
    passwordless.save()

    work = {
        email: _hashes_and_queries(email, "wrong")
        for email in (
            "known@example.com",
            "nobody@example.com",
            "inactive@example.com",
            "imported@example.com",
        )
    }
    # One hash each (Django's ModelBackend hashes a dummy password for an unknown account, and
    # for an unusable password), and the same queries: the throttle keys on the address typed.
    assert set(work.values()) == {(1, work["nobody@example.com"][1])}
    # A locked-out attempt checks no password at all.
    AuthAttempt.objects.all().delete()
    earlier_attempts(Action.SIGN_IN, Scope.ACCOUNT, "known@example.com", count=5)
    assert _hashes_and_queries("known@example.com", PASSWORD)[0] == 0


# --- password reset -----------------------------------------------------------------------------


@override_settings(TASKS=DUMMY_TASKS)
def test_reset_for_known_and_unknown_addresses_is_the_same_answer_after_the_same_work(alice):
    from django.tasks import default_task_backend

    answers = {}
    for email in ("alice@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            response = client_from().post(reverse("password_reset"), {"email": email})
        answers[email] = (response.status_code, response["Location"], len(queries))
    assert answers["alice@example.com"] == answers["nobody@example.com"]
    assert answers["alice@example.com"][:2] == (302, reverse("password_reset_done"))
    # The request only queued the look-up; the task mails the one address with an account.
    queued = default_task_backend.results
    assert [r.args for r in queued] == [["alice@example.com"], ["nobody@example.com"]]
    assert mail.outbox == []


def test_reset_mails_at_most_three_per_hour_per_address(alice):
    client = client_from()
    for _ in range(3):
        assert (
            client.post(reverse("password_reset"), {"email": "alice@example.com"}).status_code
            == 302
        )
    response = client.post(reverse("password_reset"), {"email": "ALICE@example.com"})
    assert response.status_code == 429
    assert 3598 <= int(response["Retry-After"]) <= 3600
    assert list(response.context["form"].non_field_errors()) == [
        "Too many password reset requests for this address. Try again in 60 minutes."
    ]
    assert len(mail.outbox) == 3
    # An address without an account meets the same limit (the limit tells nothing).
    for _ in range(3):
        client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert (
        client.post(reverse("password_reset"), {"email": "nobody@example.com"}).status_code == 429
    )


def test_reset_requests_from_one_client_address_are_limited(alice):
    earlier_attempts(
        Action.PASSWORD_RESET, Scope.CLIENT, "192.0.2.10", count=10, ago=timedelta(minutes=20)
    )
    response = client_from("192.0.2.10").post(
        reverse("password_reset"), {"email": "alice@example.com"}
    )
    assert response.status_code == 429
    assert list(response.context["form"].non_field_errors()) == [
        "Too many password reset requests from your network address. Try again in 40 minutes."
    ]
    assert mail.outbox == []
    assert (
        client_from("192.0.2.11")
        .post(reverse("password_reset"), {"email": "alice@example.com"})
        .status_code
        == 302
    )
    assert len(mail.outbox) == 1


# --- the table ------------------------------------------------------------------------------------


def test_rows_hold_no_address_and_old_ones_are_pruned(alice):
    sign_in(client_from("192.0.2.10"), "alice@example.com", "wrong")
    rows = list(AuthAttempt.objects.values_list("action", "scope", "key"))
    assert sorted((a, s) for a, s, _ in rows) == [
        (Action.SIGN_IN, Scope.ACCOUNT),
        (Action.SIGN_IN, Scope.CLIENT),
    ]
    # Keys are SHA-256 hex digests: no address or e-mail can be in them ("192" could be, by chance
    # in one run of about sixteen, inside a digest: the old check failed then).
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for _, _, key in rows)
    earlier_attempts(
        Action.PASSWORD_RESET,
        Scope.ACCOUNT,
        "x@example.com",
        count=2,
        ago=timedelta(hours=1, seconds=1),
    )
    assert throttle.auth_attempts_prune() == 2
    assert AuthAttempt.objects.count() == 2


def test_admins_find_an_address_rows_and_delete_them_to_end_a_lock_out(alice, admin_person):
    earlier_attempts(Action.SIGN_IN, Scope.ACCOUNT, "alice@example.com", count=5)
    earlier_attempts(Action.SIGN_IN, Scope.CLIENT, "192.0.2.10", count=2)
    earlier_attempts(Action.SIGN_IN, Scope.CLIENT, "unknown", count=1)
    client = Client()
    client.force_login(admin_person)
    url = reverse("admin:people_authattempt_changelist")
    assert client.get(url, {"q": "Alice@example.com"}).context["cl"].result_count == 5
    assert client.get(url, {"q": "192.0.2.10"}).context["cl"].result_count == 2
    AuthAttempt.objects.filter(scope=Scope.ACCOUNT).delete()
    assert sign_in(client_from(), "alice@example.com", PASSWORD).status_code == 302
