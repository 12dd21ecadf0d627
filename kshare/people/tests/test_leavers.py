"""People who left: `kshare import-people --leavers FILE.csv` disables them, all or nothing."""

import io

import pytest
from django.contrib.auth import get_user
from django.core.management import CommandError, call_command
from django.urls import reverse

from kshare.audit.models import AuditEntry
from kshare.people.models import Person
from kshare.people.services import (
    PeopleImportError,
    SsoRefused,
    people_leave_csv,
    person_sso_sign_in,
)
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.people.tests.test_sso import SSO, claims


def csv(text: str) -> io.StringIO:
    return io.StringIO(text)


@pytest.mark.django_db
def test_leavers_file_disables_the_people_listed_and_their_session_ends(client, admin_person):
    lea = PersonFactory(email="lea@acme.example")
    stays = PersonFactory(email="stays@acme.example")
    client.force_login(lea)

    report = people_leave_csv(file=csv("display_name,Email\nLea,LEA@acme.example\n,\n"))

    assert (report.disabled, report.already_disabled) == (["lea@acme.example"], [])
    assert list(Person.objects.filter(is_active=False).values_list("email", flat=True)) == [
        "lea@acme.example"
    ]
    stays.refresh_from_db()
    assert stays.is_active is True
    response = client.get(reverse("people:list"))
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/people/"
    assert get_user(client).is_authenticated is False
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.UPDATE, target_type="people.person", target_id=str(lea.pk)
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_a_leaver_cannot_sign_in_with_a_password_or_through_the_provider(client, admin_person):
    PersonFactory(email="noor@acme.example")
    people_leave_csv(file=csv("email\nnoor@acme.example\n"))

    client.post(
        reverse("login"), {"username": "noor@acme.example", "password": "correct horse battery"}
    )
    assert get_user(client).is_authenticated is False
    with pytest.raises(SsoRefused) as exc:
        person_sso_sign_in(claims=claims(), config=SSO, domains=[])
    assert exc.value.reason == "disabled"


@pytest.mark.django_db
def test_leavers_file_with_an_unknown_or_invalid_address_disables_nobody(admin_person):
    lea = PersonFactory(email="lea@acme.example")

    with pytest.raises(PeopleImportError) as exc:
        people_leave_csv(file=csv("email\nlea@acme.example\nnobody@acme.example\nnot-mail\n"))

    assert [str(p) for p in exc.value.errors] == [
        "row 3, email: no account uses 'nobody@acme.example'",
        "row 4, email: 'not-mail' is not a valid e-mail address",
    ]
    lea.refresh_from_db()
    assert lea.is_active is True


@pytest.mark.django_db
def test_leavers_file_cannot_disable_every_admin(admin_person):
    with pytest.raises(PeopleImportError) as exc:
        people_leave_csv(file=csv(f"email\n{admin_person.email}\n"))

    assert [str(p) for p in exc.value.errors] == [
        "file: this would disable every admin; keep at least one"
    ]
    AdminFactory(email="second@acme.example")
    assert people_leave_csv(file=csv(f"email\n{admin_person.email}\n")).disabled == [
        admin_person.email
    ]


@pytest.mark.django_db
def test_leavers_file_needs_an_email_column():
    with pytest.raises(PeopleImportError) as exc:
        people_leave_csv(file=csv("name\nLea\n"))

    assert [str(p) for p in exc.value.errors] == ["row 1, email: required column is missing"]


@pytest.mark.django_db
def test_import_people_command_with_leavers_reports_what_it_did(tmp_path, admin_person):
    PersonFactory(email="lea@acme.example")
    PersonFactory(email="gone@acme.example", is_active=False)
    path = tmp_path / "leavers.csv"
    path.write_text("email\nlea@acme.example\ngone@acme.example\n", encoding="utf-8")
    out = io.StringIO()

    call_command("import_people", str(path), leavers=True, stdout=out)

    assert out.getvalue() == "Disabled 1 person (1 already disabled).\n"


@pytest.mark.django_db
def test_import_people_command_with_leavers_names_the_bad_rows(tmp_path, admin_person):
    path = tmp_path / "leavers.csv"
    path.write_text("email\nnobody@acme.example\n", encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(path), leavers=True, stderr=err)

    assert str(exc.value) == "Nothing was changed: 1 row has errors."
    assert err.getvalue() == "row 2, email: no account uses 'nobody@acme.example'\n"
