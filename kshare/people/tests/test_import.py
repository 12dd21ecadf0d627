import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.people.models import Person, Role, Skill, Team
from kshare.people.services import ImportProblem, PeopleImportError, people_import_csv
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.tags.models import Tag

GOOD = (
    "email,display_name,team,timezone,role,skills,interests\n"
    "Ann@Example.com,Ann Archer,Data,Europe/Berlin,organiser,python:3; sql:2,ml; data\n"
    "bob@example.com,Bob Baker,data,,,Python:1,\n"
    "cat@example.com,Cat Cole,,America/New_York,admin,,Data\n"
)


def _import(text: str, **kwargs):
    return people_import_csv(file=io.StringIO(text, newline=""), **kwargs)


def _errors(text: str) -> list[str]:
    with pytest.raises(PeopleImportError) as exc:
        _import(text)
    return [str(e) for e in exc.value.errors]


def test_good_file_imports_people_with_teams_skills_and_interests(db):
    TeamFactory(name="Data", slug="data")
    calls = []

    report = _import(GOOD, progress=lambda done, total: calls.append((done, total)))

    assert (report.people, report.teams_created) == (3, 0)
    people = {p.email: p for p in Person.objects.select_related("team")}
    assert sorted(people) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    ann, bob, cat = people["ann@example.com"], people["bob@example.com"], people["cat@example.com"]
    assert (ann.display_name, ann.team.name, ann.timezone, ann.role) == (
        "Ann Archer",
        "Data",
        "Europe/Berlin",
        Role.ORGANISER,
    )
    assert (bob.team.name, bob.timezone, bob.role) == ("Data", "UTC", Role.MEMBER)
    assert (cat.team, cat.role) == (None, Role.ADMIN)
    assert sorted(Skill.objects.values_list("person__email", "tag__slug", "level")) == [
        ("ann@example.com", "python", 3),
        ("ann@example.com", "sql", 2),
        ("bob@example.com", "python", 1),
    ]
    assert sorted(ann.interests.values_list("slug", flat=True)) == ["data", "ml"]
    assert list(cat.interests.values_list("slug", flat=True)) == ["data"]
    assert Tag.objects.count() == 4
    assert ann.has_usable_password() is False
    assert calls[-1] == (3, 3)


def test_new_teams_are_created_once(db):
    report = _import(
        "display_name,email,team\nA,a@example.com,Research\nB,b@example.com,research\n"
    )

    assert report.teams_created == 1
    assert list(Team.objects.values_list("name", "slug")) == [("Research", "research")]
    assert Person.objects.filter(team__slug="research").count() == 2


def test_one_bad_row_imports_nothing_and_lists_every_problem(db):
    text = (
        "email,display_name,timezone,role,skills\n"
        "ok@example.com,Ok,UTC,member,python:2\n"
        "\n"
        "broken,Bad Row,Mars/Olympus,boss,python:5\n"
        "ok2@example.com,,UTC,,\n"
    )

    assert _errors(text) == [
        "row 4, email: 'broken' is not a valid e-mail address",
        "row 4, timezone: unknown timezone 'Mars/Olympus'",
        "row 4, role: unknown role 'boss'; use member, organiser or admin",
        "row 4, skills: the level of “python” must be 1, 2 or 3 (1 basic, 2 working, 3 expert); "
        "got “5”.",
        "row 5, display_name: is required",
    ]
    assert Person.objects.count() == 0
    assert Tag.objects.count() == 0


def test_duplicate_emails_in_file_and_in_database_are_errors(db):
    PersonFactory(email="taken@example.com")
    text = "email,display_name\na@example.com,A\nTAKEN@example.com,T\nA@example.com,A again\n"

    assert _errors(text) == [
        "row 3, email: 'taken@example.com' already has an account",
        "row 4, email: 'a@example.com' is also on row 2",
    ]
    assert Person.objects.count() == 1


def test_header_problems_are_reported_on_row_1(db):
    assert _errors("mail,display_name,team,team\nx@example.com,X,,\n") == [
        "row 1, mail: unknown column; the columns are email, display_name, team, timezone, "
        "role, skills, interests",
        "row 1, team: this column appears twice",
        "row 1, email: required column is missing",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["file: the file is empty"]),
        ("email,display_name\n", ["file: the file has a header but no people"]),
        (
            "email,display_name\nn@example.com,Nul\x00Name\n",
            ["row 2, display_name: contains a NUL character"],
        ),
        (
            "email,display_name,team\nlong@example.com," + "x" * 121 + ",T\n",
            ["row 2, display_name: is longer than 120 characters"],
        ),
        (
            "email,display_name,team\nt@example.com,T," + "y" * 101 + "\n",
            ["row 2, team: is longer than 100 characters"],
        ),
        (
            "email,display_name\n" + "a" * 250 + "@example.com,Long\n",
            ["row 2, email: is longer than 254 characters"],
        ),
        (
            "email,display_name\nx@example.com,X,extra\n",
            ["row 2: the row has 3 values but the header names 2 columns"],
        ),
        (
            "email,display_name,interests\ni@example.com,I,!!!\n",
            ["row 2, interests: the tag “!!!” needs at least one letter or digit."],
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(db, text, expected):
    assert _errors(text) == expected
    assert Person.objects.count() == 0


def test_non_utf8_file_is_refused(db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,display_name\nj@example.com,Jürgen\n".encode("latin-1"))

    with path.open(encoding="utf-8", newline="") as handle, pytest.raises(PeopleImportError) as exc:
        people_import_csv(file=handle)

    assert exc.value.errors[0].row is None
    assert exc.value.summary == "Nothing was imported: the file cannot be read."
    assert Person.objects.count() == 0


def _rows(count: int) -> str:
    lines = ["email,display_name,team,timezone,skills,interests"]
    lines += [
        f"p{i}@example.com,Person {i},Team {i % 40},Europe/Berlin,"
        f"python:{i % 3 + 1}; skill{i % 200}:2,topic{i % 50}"
        for i in range(count)
    ]
    return "\n".join(lines) + "\n"


def test_five_thousand_rows_import_in_bulk_with_the_queries_of_a_small_file(
    db, django_assert_max_num_queries
):
    """The import writes in bulk: 5,000 rows take no more queries than 400 do (batches of
    bulk_create grow with the rows, but slowly). Its speed is a benchmark's business."""
    with CaptureQueriesContext(connection) as small:
        _import(_rows(400))
    Person.objects.all().delete()
    Team.objects.all().delete()
    Tag.objects.all().delete()

    with django_assert_max_num_queries(len(small) + 40):
        report = _import(_rows(5000))

    assert report.people == 5000
    assert Person.objects.count() == 5000
    assert Skill.objects.count() == 10000
    assert Person.interests.through.objects.count() == 5000


# --- the management command ---------------------------------------------------------------


def test_command_imports_and_reports_count(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_people", str(path), stdout=out, stderr=err)

    assert out.getvalue() == "Imported 3 people.\n"
    assert err.getvalue().splitlines()[-1] == "Checked 3 of 3 rows (100%)."
    assert Person.objects.count() == 3


def test_command_prints_row_errors_and_raises(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "email,display_name,timezone\n"
        "a@example.com,A,UTC\n"
        "b@example.com,B,UTC\n"
        "c@example.com,C,UTC\n"
        "d@example.com,D,UTC\n"
        "e@example.com,E,UTC\n"
        "f@example.com,F,Mars/Olympus\n"
        "g@example.com,,UTC\n",
        encoding="utf-8",
    )
    err = io.StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(path), stdout=io.StringIO(), stderr=err, verbosity=0)

    assert str(exc.value) == "Nothing was imported: 2 rows have errors."
    assert err.getvalue().splitlines() == [
        "row 7, timezone: unknown timezone 'Mars/Olympus'",
        "row 8, display_name: is required",
    ]
    assert Person.objects.count() == 0


def test_command_with_missing_file_says_so(db, tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(tmp_path / "nope.csv"))

    assert str(exc.value) == f"{tmp_path / 'nope.csv'} does not exist; give the path of a CSV file."


def test_import_problem_reads_like_a_sentence():
    assert str(ImportProblem(7, "timezone", "unknown timezone 'Mars/Olympus'")) == (
        "row 7, timezone: unknown timezone 'Mars/Olympus'"
    )
    assert str(ImportProblem(None, "", "the file is empty")) == "file: the file is empty"


# --- the web page -------------------------------------------------------------------------


def _upload(content: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_import_page_is_for_admins_only(member_client, client, organiser):
    assert member_client.get(reverse("people:import")).status_code == 403
    assert (
        member_client.post(reverse("people:import"), {"file": _upload(GOOD.encode())}).status_code
        == 403
    )
    client.force_login(organiser)
    assert client.get(reverse("people:import")).status_code == 403
    assert Person.objects.filter(email="ann@example.com").exists() is False


def test_admin_imports_a_file_on_the_web(client, admin_person):
    client.force_login(admin_person)

    response = client.post(reverse("people:import"), {"file": _upload(GOOD.encode())}, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Imported 3 people (1 new team). They can set a password with “Forgot your password?”, "
        "or you can invite them."
    ]
    assert Person.objects.count() == 4


def test_admin_sees_the_error_table(client, admin_person):
    client.force_login(admin_person)
    content = b"email,display_name,timezone\nx@example.com,X,Mars/Olympus\n"

    response = client.post(reverse("people:import"), {"file": _upload(content)})

    assert response.status_code == 200
    assert response.context["summary"] == "Nothing was imported: 1 row has errors."
    assert [str(e) for e in response.context["errors"]] == [
        "row 2, timezone: unknown timezone 'Mars/Olympus'"
    ]
    assert "unknown timezone &#x27;Mars/Olympus&#x27;" in response.text
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            ("people.csv", "email,display_name\nj@example.com,Jürgen\n".encode("latin-1")),
            "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” and upload "
            "it again.",
        ),
        (
            ("people.xlsx", b"PK\x03\x04"),
            "Choose a .csv file (save the spreadsheet as “CSV UTF-8”).",
        ),
        (
            ("big.csv", b"email,display_name\n" + b"x" * (5 * 1024 * 1024)),
            "The file is 5.0\xa0MB; the limit is 5 MB. Split it, or run “kshare import-people "
            "FILE.csv” on the server, which has no limit.",
        ),
    ],
)
def test_import_page_refuses_bad_uploads(client, admin_person, upload, message):
    client.force_login(admin_person)
    name, content = upload

    response = client.post(reverse("people:import"), {"file": _upload(content, name)})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert Person.objects.count() == 1


def test_import_page_shows_the_upload_form_to_admins(client, admin_person):
    client.force_login(admin_person)

    response = client.get(reverse("people:import"))

    assert response.status_code == 200
    assert '<input type="file" name="file" accept=".csv,text/csv"' in response.text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_command_draws_a_progress_bar_on_a_terminal(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    err = _Terminal()

    call_command("import_people", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().endswith("\rChecking [" + "#" * 30 + "] 3/3 rows\n")
