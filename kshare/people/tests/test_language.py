"""Which language a page speaks: the browser's Accept-Language, the language cookie set by the
switcher, and a signed-in person's own choice, which wins over both and follows them to mail."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from kshare.core.language import keeps_language, language_or_default, speak_to, when
from kshare.people.tests.factories import PersonFactory


@pytest.fixture
def login_url():
    return reverse("login")


def test_the_browser_language_picks_the_page_language(client, login_url, db):
    german = client.get(login_url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    english = client.get(login_url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    french = client.get(login_url, HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9")
    unknown = client.get(login_url, HTTP_ACCEPT_LANGUAGE="ja")

    assert [r["Content-Language"] for r in (german, english, french, unknown)] == [
        "de",
        "en-gb",
        "fr",
        "en-gb",
    ]
    assert "Accept-Language" in german["Vary"]


def test_the_switcher_sets_the_cookie_and_goes_back_to_the_page(client, login_url, db):
    response = client.post(reverse("set_language"), {"language": "fr", "next": login_url})

    assert (response.status_code, response["Location"]) == (302, login_url)
    cookie = response.cookies["kshare_language"]
    assert (cookie.value, cookie["httponly"], cookie["samesite"]) == ("fr", True, "Lax")
    # The cookie now wins over the browser's language.
    page = client.get(login_url, HTTP_ACCEPT_LANGUAGE="de")
    assert page["Content-Language"] == "fr"


def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next(client, db):
    refused = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    foreign = client.post(
        reverse("set_language"), {"language": "de", "next": "https://evil.example/steal"}
    )
    fetched = client.get(reverse("set_language"))

    assert (refused.status_code, refused.content.decode()) == (
        400,
        "Choose one of the languages offered.",
    )
    assert "kshare_language" not in refused.cookies
    assert (foreign.status_code, foreign["Location"]) == (302, "/")
    assert fetched.status_code == 405


def test_a_signed_in_persons_choice_is_saved_and_wins_over_browser_and_cookie(client, db):
    person = PersonFactory()
    client.force_login(person)

    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    person.refresh_from_db()
    assert person.language == "de"

    client.cookies["kshare_language"] = "fr"
    page = client.get(reverse("people:edit_profile"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "de"


def test_the_profile_form_saves_the_language_and_refuses_an_unknown_one(member_client, person):
    data = {
        "display_name": "Mia Member",
        "team": "",
        "timezone": "Europe/Berlin",
        "language": "fr",
        "bio": "",
        "interests_text": "",
        "skills_text": "",
    }
    saved = member_client.post(reverse("people:edit_profile"), data)
    person.refresh_from_db()
    assert (saved.status_code, person.language) == (302, "fr")

    refused = member_client.post(reverse("people:edit_profile"), {**data, "language": "xx"})
    person.refresh_from_db()
    assert refused.status_code == 200
    assert "language" in refused.context["form"].errors
    assert person.language == "fr"

    # Back to "the browser's language".
    member_client.post(reverse("people:edit_profile"), {**data, "language": ""})
    person.refresh_from_db()
    assert person.language == ""


def test_mail_language_falls_back_to_the_installation_language(db):
    assert PersonFactory(language="de").mail_language == "de"
    assert PersonFactory(language="").mail_language == "en-gb"
    assert PersonFactory(language="xx").mail_language == "en-gb"
    assert language_or_default(None) == "en-gb"


def test_speak_to_switches_inside_keeps_language_and_the_caller_language_comes_back(db):
    people = [PersonFactory(language="de"), PersonFactory(language="fr"), PersonFactory()]

    @keeps_language
    def languages(people):
        spoken = []
        for person in people:
            speak_to(person)
            spoken.append(translation.get_language())
        return spoken

    @keeps_language
    def fails(person):
        speak_to(person)
        raise RuntimeError

    with translation.override("fr"):
        assert languages(people) == ["de", "fr", "en-gb"]
        assert translation.get_language() == "fr"
        with pytest.raises(RuntimeError):
            fails(people[0])
        assert translation.get_language() == "fr"


def test_when_writes_the_day_the_language_s_way():
    moment = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    written = {}
    for language in ("en-gb", "de", "fr"):
        with translation.override(language):
            written[language] = (when(moment, berlin), when(moment, berlin, time=False))
    assert written == {
        "en-gb": ("Monday 7 December 2026, 14:00", "Monday 7 December 2026"),
        "de": ("Montag, 7. Dezember 2026, 14:00", "Montag, 7. Dezember 2026"),
        "fr": ("lundi 7 décembre 2026, 14:00", "lundi 7 décembre 2026"),
    }
