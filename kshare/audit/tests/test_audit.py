"""The audit log: organiser and admin actions recorded with who, what, when, before and after;
read, filtered and exported by admins; never changed or deleted."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.audit.context import AuditMiddleware
from kshare.audit.models import AuditEntry
from kshare.people.services import people_import_csv
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.forms import ProgrammeForm
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.invitations import invitations_create
from kshare.sessions.tests.factories import ScheduledSessionFactory

pytestmark = pytest.mark.django_db


def _post_data(form) -> dict:
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
        else:
            data[name] = str(value)
    return data


def test_a_programme_change_records_who_when_and_the_values_before_and_after():
    organiser = OrganiserFactory(display_name="Olga Organiser", email="olga@example.com")
    programme = ProgrammeFactory(name="Tech Talks", lead_time_days=14)
    programme.organisers.add(organiser)
    AuditEntry.objects.all().delete()
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(organiser)
    data = _post_data(ProgrammeForm(instance=programme))
    data.update(name="Tech Talks (Berlin)", lead_time_days="21")

    before = timezone.now()
    response = client.post(reverse("programmes:edit", args=[programme.slug]), data)

    assert response.status_code == 302
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.actor_label, entry.action, entry.source, entry.address) == (
        organiser,
        "Olga Organiser <olga@example.com>",
        "update",
        "web",
        "203.0.113.9",
    )
    assert (entry.target_type, entry.target_id) == ("programmes.programme", str(programme.pk))
    assert entry.changes == {
        "name": ["Tech Talks", "Tech Talks (Berlin)"],
        "lead_time_days": [14, 21],
    }
    assert before <= entry.at <= timezone.now()


def test_a_role_change_by_a_command_is_recorded_as_the_systems():
    person = PersonFactory()
    AuditEntry.objects.all().delete()

    person.role = "organiser"
    person.save()

    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.actor_label, entry.source, entry.action) == (
        None,
        "",
        "system",
        "update",
    )
    assert entry.changes == {"role": ["member", "organiser"]}


def test_saving_only_untracked_fields_records_nothing_and_costs_no_query(
    django_assert_num_queries,
):
    person = PersonFactory()
    AuditEntry.objects.all().delete()
    person.last_login = timezone.now()
    with django_assert_num_queries(1):  # the UPDATE itself
        person.save(update_fields=["last_login"])
    assert AuditEntry.objects.count() == 0


def test_admin_actions_in_a_request_name_the_admin_and_the_source():
    admin_ = AdminFactory(display_name="Ada Admin", email="ada@example.com")
    member = PersonFactory(email="m@example.com")
    AuditEntry.objects.all().delete()
    request = RequestFactory().post("/admin/people/person/1/change/", REMOTE_ADDR="198.51.100.7")
    request.user = admin_

    def change(_request):
        member.role = "admin"
        member.is_staff = True
        member.save()
        return None

    AuditMiddleware(change)(request)

    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.source, entry.address) == (admin_, "admin", "198.51.100.7")
    assert entry.changes == {"role": ["member", "admin"], "is_staff": [False, True]}


def test_secrets_never_reach_the_log():
    from kshare.api.services import token_create, token_revoke
    from kshare.webhooks.services import webhook_subscribe

    admin_ = AdminFactory()
    token, secret = token_create(person=admin_, name="CI", scope="read")
    token_revoke(token=token)
    hook = webhook_subscribe(
        by=admin_, url="https://chat.example.com/hook", events=["session.held"]
    )

    entries = list(AuditEntry.objects.filter(target_type__in=["api.apitoken", "webhooks.webhook"]))
    assert [(e.target_type, e.action) for e in entries] == [
        ("webhooks.webhook", "create"),
        ("api.apitoken", "update"),
        ("api.apitoken", "create"),
    ]
    text = repr([e.changes for e in entries])
    assert secret not in text
    assert hook.secret not in text
    assert token.token_hash not in text
    assert sorted(entries[2].changes) == ["name", "person", "prefix", "revoked_at", "scope"]
    assert entries[1].changes["revoked_at"][0] is None
    assert entries[1].changes["revoked_at"][1] is not None


def test_a_rolled_back_change_leaves_no_entry():
    programme = ProgrammeFactory(name="Before")
    AuditEntry.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        programme.name = "After"
        programme.save()
        raise RuntimeError("rolled back")
    assert AuditEntry.objects.count() == 0


def test_organisers_m2m_changes_are_recorded():
    programme = ProgrammeFactory()
    olga, omar = OrganiserFactory(), OrganiserFactory()
    AuditEntry.objects.all().delete()
    programme.organisers.add(olga, omar)
    programme.organisers.remove(olga)

    assert [e.changes for e in AuditEntry.objects.order_by("id")] == [
        {"organisers": {"added": sorted([olga.pk, omar.pk])}},
        {"organisers": {"removed": [olga.pk]}},
    ]


def test_invitations_imports_and_exports_are_recorded():
    organiser = OrganiserFactory(email="olga@example.com")
    session = ScheduledSessionFactory(start=timezone.now() + timedelta(days=20))
    session.programme.organisers.add(organiser)
    ann, bob = PersonFactory(email="ann@example.com"), PersonFactory(email="bob@example.com")
    AuditEntry.objects.all().delete()

    invitations_create(session=session, by=organiser, people=[ann, bob])
    people_import_csv(
        file=io.StringIO("email,display_name\ncara@example.com,Cara\ndan@example.com,Dan\n")
    )
    client = Client()
    client.force_login(organiser)
    assert client.get(reverse("feedback:session_export", args=[session.pk])).status_code == 200

    entries = list(
        AuditEntry.objects.order_by("id").values_list("action", "target_type", "changes")
    )
    invite, imported, exported = (
        entries[0],
        next(e for e in entries if e[0] == "import"),
        entries[-1],
    )
    assert invite == (
        "invite",
        "talks.session",
        {
            "invited": 2,
            "people": ["ann@example.com", "bob@example.com"],
            "teams": [],
            "everyone": False,
        },
    )
    assert imported == (
        "import",
        "people.person",
        {"people": 2, "teams_created": 0, "emails": ["cara@example.com", "dan@example.com"]},
    )
    assert exported == ("export", "talks.session", {"export": "feedback"})


# -- reading the log ----------------------------------------------------------------------------


def test_only_admins_read_the_log():
    for who, status in ((PersonFactory(), 403), (OrganiserFactory(), 403), (AdminFactory(), 200)):
        client = Client()
        client.force_login(who)
        assert client.get(reverse("audit:list")).status_code == status
        assert client.get(reverse("audit:export")).status_code == status


def test_nothing_in_kshare_changes_or_deletes_an_entry():
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    request.user = AdminFactory()
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    client = Client()
    client.force_login(request.user)
    _entries(1)
    count = AuditEntry.objects.count()
    assert client.post(reverse("audit:list")).status_code == 405
    assert AuditEntry.objects.count() == count


def _entries(n: int) -> None:
    for i in range(n):
        AuditEntry.objects.create(
            actor_label=f"Person {i} <p{i}@example.com>",
            action="update" if i % 2 else "delete",
            target_type="programmes.programme",
            target_id=str(i),
            target_label=f"Programme {i}",
            changes={"name": [f"old {i}", f"new {i}"]} if i % 2 else {"name": [f"gone {i}", None]},
        )


def test_the_list_filters_and_costs_the_same_queries_for_many_entries():
    admin_ = AdminFactory()
    client = Client()
    client.force_login(admin_)
    AuditEntry.objects.all().delete()
    _entries(2)
    client.get(reverse("audit:list"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit:list"))
    _entries(60)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("audit:list"))
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 50
    assert len(many.captured_queries) == len(few.captured_queries)

    filtered = client.get(reverse("audit:list"), {"who": "p1@", "action": "update"})
    listed = [e.target_label for e in filtered.context["page"].object_list]
    assert listed == ["Programme 1", "Programme 1"]
    assert "old 1 → new 1" in filtered.content.decode()


def test_the_csv_export_has_the_filtered_entries_and_is_itself_recorded():
    admin_ = AdminFactory(display_name="Ada", email="ada@example.com")
    AuditEntry.objects.all().delete()
    _entries(3)
    client = Client()
    client.force_login(admin_)

    response = client.get(reverse("audit:export"), {"action": "delete"})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "when",
        "who",
        "action",
        "what",
        "id",
        "name",
        "changes",
        "source",
        "address",
    ]
    assert [r[1:7] for r in rows[1:]] == [
        [
            "Person 2 <p2@example.com>",
            "delete",
            "programmes.programme",
            "2",
            "Programme 2",
            "name: gone 2",
        ],
        [
            "Person 0 <p0@example.com>",
            "delete",
            "programmes.programme",
            "0",
            "Programme 0",
            "name: gone 0",
        ],
    ]
    export = AuditEntry.objects.get(action="export")
    assert (export.actor, export.target_type, export.changes) == (
        admin_,
        "audit.auditentry",
        {"action": "delete"},
    )


def test_a_formula_typed_into_a_name_is_exported_as_text():
    admin_ = AdminFactory()
    AuditEntry.objects.all().delete()
    AuditEntry.objects.create(
        actor_label="=cmd|' /C calc'!A0", action="delete", target_type="ideas.idea"
    )
    client = Client()
    client.force_login(admin_)
    rows = list(csv.reader(io.StringIO(client.get(reverse("audit:export")).content.decode())))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
