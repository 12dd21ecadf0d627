"""Admins delete the account of someone who has left: the admin action and `kshare
delete-person`."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from kshare.audit.models import AuditEntry
from kshare.cli import main
from kshare.people.erasure import PLACEHOLDER_EMAIL, PLACEHOLDER_NAME
from kshare.people.models import Person
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.models import SessionHost
from kshare.sessions.tests.factories import PastSessionFactory


@pytest.fixture
def admin_client(client, db):
    admin = AdminFactory(email="ada@example.com", display_name="Ada Admin")
    client.force_login(admin)
    client.admin = admin
    return client


def test_the_admin_action_asks_first_then_erases_and_logs_it_as_the_admins(admin_client):
    leaver = PersonFactory(email="leaver@example.com", display_name="Lee Leaver")
    session = PastSessionFactory(host=leaver, title="Lee's talk")
    url = reverse("admin:people_person_changelist")
    data = {"action": "erase_accounts", ACTION_CHECKBOX_NAME: [str(leaver.pk)]}
    page = admin_client.post(url, data)
    assert page.status_code == 200
    assert "Lee Leaver &lt;leaver@example.com&gt;" in page.content.decode()
    assert Person.objects.filter(pk=leaver.pk).exists()

    done = admin_client.post(url, {**data, "confirmed": "yes"})
    assert done.status_code == 302
    assert not Person.objects.filter(email="leaver@example.com").exists()
    assert [link.person.email for link in SessionHost.objects.filter(session=session)] == [
        PLACEHOLDER_EMAIL
    ]
    entry = AuditEntry.objects.get(changes__has_key="personal data")
    assert (entry.actor, entry.target_id, entry.target_label, entry.source) == (
        admin_client.admin,
        str(leaver.pk),
        PLACEHOLDER_NAME,
        AuditEntry.Source.ADMIN,
    )
    assert entry.changes == {"personal data": "erased", "requested by": "an admin"}


def test_the_admin_site_has_no_plain_delete_for_people(admin_client):
    leaver = PersonFactory()
    response = admin_client.get(reverse("admin:people_person_delete", args=[leaver.pk]))
    assert response.status_code == 403
    changelist = admin_client.get(reverse("admin:people_person_changelist"))
    assert 'value="delete_selected"' not in changelist.content.decode()
    assert 'value="erase_accounts"' in changelist.content.decode()


def test_the_admin_action_refuses_the_last_admin_and_says_why(admin_client):
    url = reverse("admin:people_person_changelist")
    data = {
        "action": "erase_accounts",
        ACTION_CHECKBOX_NAME: [str(admin_client.admin.pk)],
        "confirmed": "yes",
    }
    response = admin_client.post(url, data, follow=True)
    assert (
        "The account ada@example.com is the only active admin: make someone else an admin first."
        in response.content.decode()
    )
    assert Person.objects.filter(pk=admin_client.admin.pk).exists()


def test_cli_delete_person(db, capsys):
    leaver = PersonFactory(email="leaver@example.com")
    assert main(["delete-person", "LEAVER@example.com"]) == 0
    out = capsys.readouterr().out
    assert out == (
        f"Deleted the account LEAVER@example.com and its personal data (account id {leaver.pk}).\n"
    )
    assert not Person.objects.filter(email="leaver@example.com").exists()
    entry = AuditEntry.objects.get(changes__has_key="personal data")
    assert (entry.actor, entry.source) == (None, AuditEntry.Source.SYSTEM)
    assert entry.changes["requested by"] == "the command line"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("nobody@example.com", "kshare: no account has the e-mail address 'nobody@example.com'.\n"),
        ("", "kshare: no account has the e-mail address '(empty)'.\n"),
        (
            PLACEHOLDER_EMAIL,
            "kshare: The former-member placeholder cannot be deleted.\n",
        ),
        (
            "only-admin@example.com",
            "kshare: The account only-admin@example.com is the only active admin: make someone "
            "else an admin first.\n",
        ),
    ],
)
def test_cli_delete_person_bad_input_is_one_sentence_and_exit_2(db, capsys, argument, message):
    from kshare.people.erasure import placeholder_get

    placeholder_get()
    AdminFactory(email="only-admin@example.com")
    assert main(["delete-person", argument]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)
    assert Person.objects.count() == 2
