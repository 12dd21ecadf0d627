"""The notification settings page: which kinds of mail a person gets."""

import re

import pytest
from django.urls import reverse

from kshare.outbox.models import MailOptOut
from kshare.people.erasure import person_erase
from kshare.people.personal_data_registry import contributions
from kshare.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

URL = "/people/me/notifications/"
ALL = ["reminders", "nudges", "digests", "feedback", "summaries", "topics", "catchup", "other"]


def _checked(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="on" value="([a-z]+)"[^>]*checked', html)


def test_the_page_lists_every_kind_of_mail_on_by_default(member_client):
    response = member_client.get(URL)

    assert reverse("people:notifications") == URL
    assert response.status_code == 200
    assert _checked(response.text) == ALL
    assert "Nudges" in response.text
    assert "“Will you come?” to an invitation you have not answered yet" in response.text
    assert f'<a href="{URL}">Notification settings</a>' in response.text  # the account menu


def test_saving_turns_off_what_is_unticked_and_the_page_shows_it(member_client, person):
    response = member_client.post(URL, {"on": ["reminders", "feedback", "topics", "other"]})

    assert response.status_code == 302
    assert response["Location"] == URL
    assert sorted(MailOptOut.objects.filter(person=person).values_list("category", flat=True)) == [
        "catchup",
        "digests",
        "nudges",
        "summaries",
    ]
    page = member_client.get(URL)
    assert "Your notification settings are saved." in page.text
    assert _checked(page.text) == ["reminders", "feedback", "topics", "other"]

    member_client.post(URL, {"on": ALL})
    assert not MailOptOut.objects.filter(person=person).exists()


def test_an_unknown_kind_is_a_form_error_not_a_500(member_client, person):
    response = member_client.post(URL, {"on": ["reminders", "spam"]})

    assert response.status_code == 200
    assert "Unknown kind of mail “spam”." in response.text
    assert not MailOptOut.objects.exists()


def test_the_page_needs_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")


def test_one_persons_settings_are_theirs_alone(member_client, person):
    other = PersonFactory()
    MailOptOut.objects.create(person=other, category="nudges")

    assert _checked(member_client.get(URL).text) == ALL
    member_client.post(URL, {"on": ALL})
    assert MailOptOut.objects.filter(person=other).count() == 1


def test_the_page_costs_the_same_queries_whatever_is_turned_off(
    member_client, person, django_assert_num_queries
):
    # session + user, the person's opt-outs
    with django_assert_num_queries(3):
        member_client.get(URL)
    MailOptOut.objects.bulk_create(MailOptOut(person=person, category=category) for category in ALL)
    with django_assert_num_queries(3):
        assert _checked(member_client.get(URL).text) == []


def test_the_settings_are_in_the_persons_data_and_go_with_the_account(person):
    MailOptOut.objects.create(person=person, category="digests")
    outbox = next(c for c in contributions() if c.label == "outbox")

    exported = outbox.export(person)["notifications_turned_off"]
    assert [row["category"] for row in exported] == ["digests"]

    person_erase(person=person, by=None)
    assert not MailOptOut.objects.exists()
