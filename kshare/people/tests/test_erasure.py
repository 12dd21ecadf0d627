"""Deleting an account: what goes, what stays as the former member's, and what anonymous
feedback keeps."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from kshare.api.models import ApiToken
from kshare.audit.models import AuditEntry
from kshare.calendars.models import CalendarFeed
from kshare.feedback.models import (
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Response,
)
from kshare.feedback.services import respondent_hash
from kshare.ideas.models import Idea, IdeaComment, IdeaStatusChange, IdeaVote
from kshare.library.models import CatchUpSignal, CatchUpSubscription, Material
from kshare.outbox.models import OutboxMessage
from kshare.people.erasure import (
    PLACEHOLDER_EMAIL,
    PLACEHOLDER_NAME,
    ErasureRefused,
    person_erase,
    placeholder_get,
)
from kshare.people.models import AccountInvite, AuthAttempt, Person, Skill
from kshare.people.personal_data_registry import handled_fields
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.people.tests.personal_data_world import world_build
from kshare.programmes.models import Programme
from kshare.questions.models import Question, QuestionVote
from kshare.recommend.models import Recommendation
from kshare.scheduling.reminders.models import OrganiserDigest
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.search.models import SearchDocument
from kshare.sessions.models import (
    Attendance,
    AttendanceChange,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    Star,
)
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.topics.models import TopicNotification, TopicRequest, TopicVolunteer, TopicVote
from kshare.webhooks.models import Webhook


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world_build()


@pytest.fixture
def erased(world):
    subject_pk = world.subject.pk
    person_erase(person=world.subject, by=world.subject)
    world.subject_pk = subject_pk
    return world


def test_the_person_row_is_gone_and_the_placeholder_is_inactive(erased):
    assert not Person.objects.filter(pk=erased.subject_pk).exists()
    assert not Person.objects.filter(email="subject@example.com").exists()
    placeholder = Person.objects.get(email=PLACEHOLDER_EMAIL)
    assert placeholder.display_name == PLACEHOLDER_NAME
    assert placeholder.is_active is False
    assert placeholder.has_usable_password() is False
    assert list(SearchDocument.objects.filter(kind="person", object_id=erased.subject_pk)) == []


def test_personal_rows_are_deleted(erased):
    pk = erased.subject_pk
    assert Skill.objects.filter(person_id=pk).count() == 0
    assert Invitation.objects.filter(person_id=pk).count() == 0
    assert Attendance.objects.filter(person_id=pk).count() == 0
    assert Star.objects.filter(person_id=pk).count() == 0
    assert IdeaVote.objects.filter(person_id=pk).count() == 0
    assert TopicVote.objects.filter(person_id=pk).count() == 0
    assert TopicVolunteer.objects.filter(person_id=pk).count() == 0
    assert TopicNotification.objects.filter(person_id=pk).count() == 0
    assert QuestionVote.objects.filter(person_id=pk).count() == 0
    assert ApiToken.objects.filter(person_id=pk).count() == 0
    assert CalendarFeed.objects.filter(person_id=pk).count() == 0
    assert Recommendation.objects.filter(person_id=pk).count() == 0
    assert OrganiserDigest.objects.filter(person_id=pk).count() == 0
    assert CatchUpSignal.objects.filter(person_id=pk).count() == 0
    assert CatchUpSubscription.objects.filter(person_id=pk).count() == 0
    assert Webhook.objects.filter(created_by_id=pk).count() == 0
    assert AttendanceChange.objects.filter(person_id=pk).count() == 0
    assert FeedbackRequest.objects.filter(person_id=pk).count() == 0
    assert ProspectiveHost.objects.filter(person_id=pk).count() == 0
    assert HostAnswerHeld.objects.count() == 0
    assert AccountInvite.objects.filter(email="subject@example.com").count() == 0
    assert AuthAttempt.objects.count() == 0
    assert [m.subject for m in OutboxMessage.objects.all()] == ["Mail for other"]
    assert Programme.objects.get(name="Named programme").organisers.count() == 0


def test_others_rows_are_untouched(erased):
    other = erased.other
    assert Skill.objects.filter(person=other).count() == 1
    assert ApiToken.objects.filter(person=other).count() == 1
    assert CalendarFeed.objects.filter(person=other).count() == 1
    assert Star.objects.filter(person=other).count() == 1
    assert ProspectiveHost.objects.filter(person=other).count() == 1
    assert QuestionVote.objects.filter(person=other).count() == 1
    assert other.idea_comments.get().body == "Comment by other"


def test_hosted_sessions_stay_with_the_former_member_and_cohost_links_go(erased):
    placeholder = placeholder_get()
    hosted = Session.objects.get(pk=erased.hosted.pk)
    assert [(link.person, link.role) for link in hosted.host_links.all()] == [
        (placeholder, "host"),
        (erased.other, "cohost"),
    ]
    assert hosted.created_by == placeholder
    assert [c.by for c in SessionChange.objects.filter(session=hosted)] == [placeholder]
    cohosted = Session.objects.get(pk=erased.cohosted.pk)
    assert [link.person for link in cohosted.host_links.all()] == [erased.other]
    assert SessionHost.objects.filter(person=placeholder).count() == 1


def test_a_held_seat_goes_to_the_first_on_the_waitlist(erased):
    invitation = Invitation.objects.get(session=erased.upcoming, person=erased.other)
    assert invitation.waitlisted_at is None
    assert invitation.invited_by == placeholder_get()
    assert list(Invitation.objects.filter(session=erased.upcoming)) == [invitation]


def test_named_contributions_become_the_former_members(erased):
    placeholder = placeholder_get()
    assert Idea.objects.get(title="Idea by subject").author == placeholder
    assert IdeaComment.objects.get(body="Comment by subject").author == placeholder
    assert IdeaStatusChange.objects.get().by == placeholder
    assert TopicRequest.objects.get(title="Topic by subject").requester == placeholder
    question = Question.objects.get(text="Question by subject")
    assert question.author == placeholder
    assert Question.objects.get(text="Question by other").vote_count == 0
    assert Material.objects.get(title="Recording by subject").added_by == placeholder
    assert RhythmEvent.objects.get(name="Rhythm by subject").created_by == placeholder
    named = Response.objects.get(pk=erased.named_response.pk)
    assert named.person == placeholder
    assert [a.number for a in named.answers.all()] == [4]
    assert AttendanceChange.objects.get(person=erased.other).by == placeholder
    assert LogEntry.objects.get().user == placeholder


def test_anonymous_feedback_stays_and_its_keyed_hash_no_longer_leads_to_the_person(erased):
    session = erased.anonymous_session
    responses = Response.objects.filter(session=session)
    assert responses.count() == 2
    assert list(responses.values_list("person", flat=True)) == [None, None]
    kept = Response.objects.get(pk=erased.anonymous_response.pk)
    old = respondent_hash(session_id=session.pk, person_id=erased.subject_pk)
    assert kept.respondent_hash != old
    assert len(kept.respondent_hash) == 64
    assert not Response.objects.filter(respondent_hash=old).exists()
    # The other respondent's hash is theirs still: one response per person holds.
    assert (
        responses.filter(
            respondent_hash=respondent_hash(session_id=session.pk, person_id=erased.other.pk)
        ).count()
        == 1
    )


def test_the_audit_log_keeps_the_actions_with_the_former_member_as_actor(erased):
    placeholder = placeholder_get()
    edited = AuditEntry.objects.get(target_label="Programme edited by subject")
    assert (edited.actor, edited.actor_label, edited.address) == (
        placeholder,
        PLACEHOLDER_NAME,
        None,
    )
    erasure = AuditEntry.objects.get(changes__has_key="personal data")
    assert erasure.target_type == "people.person"
    assert erasure.target_id == str(erased.subject_pk)
    assert erasure.target_label == PLACEHOLDER_NAME
    assert erasure.changes == {"personal data": "erased", "requested by": "the person"}
    assert erasure.actor == placeholder
    everything = " ".join(
        f"{e.actor_label} {e.target_label} {e.changes}" for e in AuditEntry.objects.all()
    )
    assert "subject@example.com" not in everything
    assert "Sam Subject" not in everything
    # The tokens and the webhook that went are in the log, done by the former member.
    deleted = AuditEntry.objects.filter(
        action=AuditEntry.Action.DELETE, target_type__in=["api.apitoken", "webhooks.webhook"]
    )
    assert sorted(e.target_type for e in deleted) == ["api.apitoken", "webhooks.webhook"]
    assert {e.actor for e in deleted} == {placeholder}


def test_nothing_points_at_the_person_any_more(erased):
    from django.apps import apps

    for key in handled_fields():
        if " " in key:
            continue
        label, name = key.rsplit(".", 1)
        model = apps.get_model(label)
        field = model._meta.get_field(name)
        if field.many_to_many:
            continue
        assert model._base_manager.filter(**{field.attname: erased.subject_pk}).count() == 0, key


def test_a_second_former_member_hosting_the_same_session_is_one_former_member(world):
    person_erase(person=world.other, by=None)
    person_erase(person=world.subject, by=None)
    hosted = Session.objects.get(pk=world.hosted.pk)
    assert [link.person.email for link in hosted.host_links.all()] == [PLACEHOLDER_EMAIL]
    entries = AuditEntry.objects.filter(changes__has_key="personal data")
    assert [e.changes["requested by"] for e in entries] == ["the command line"] * 2
    assert {e.actor for e in entries} == {None}


def test_the_last_admin_and_the_placeholder_cannot_be_erased(db):
    admin = AdminFactory(email="only-admin@example.com")
    with pytest.raises(ErasureRefused, match="only active admin"):
        person_erase(person=admin, by=admin)
    with pytest.raises(ErasureRefused, match="placeholder"):
        person_erase(person=placeholder_get(), by=admin)
    AdminFactory()
    person_erase(person=admin, by=admin)
    assert not Person.objects.filter(email="only-admin@example.com").exists()


# --- The page ---------------------------------------------------------------------------------


def test_deleting_your_account_needs_your_password_and_the_word(client, db):
    person = PersonFactory(email="leaver@example.com")
    client.force_login(person)
    url = reverse("people:account_delete")
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"password": "nope", "confirm": "DELETE"})
    assert wrong.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    unconfirmed = client.post(url, {"password": "correct horse battery", "confirm": "delete"})
    assert unconfirmed.status_code == 400
    assert "Type DELETE in capitals to confirm." in unconfirmed.content.decode()
    assert Person.objects.filter(email="leaver@example.com").exists()
    done = client.post(url, {"password": "correct horse battery", "confirm": "DELETE"})
    assert done.status_code == 302
    assert done["Location"] == reverse("login")
    assert not Person.objects.filter(email="leaver@example.com").exists()
    # Signed out: the next page asks to sign in.
    after = client.get(reverse("people:your_data"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("login"))


def test_deleting_your_account_is_a_post_with_a_csrf_token(db):
    from django.test import Client

    person = PersonFactory(email="leaver@example.com")
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    url = reverse("people:account_delete")
    assert (
        client.post(url, {"password": "correct horse battery", "confirm": "DELETE"}).status_code
        == 403
    )
    plain = Client()
    plain.force_login(person)
    assert plain.put(url).status_code == 405
    assert plain.delete(url).status_code == 405
    assert Person.objects.filter(email="leaver@example.com").exists()


def test_wrong_passwords_count_as_failed_sign_ins(client, db):
    person = PersonFactory(email="leaver@example.com")
    client.force_login(person)
    url = reverse("people:account_delete")
    for _ in range(5):
        client.post(url, {"password": "nope", "confirm": "DELETE"})
    locked = client.post(url, {"password": "correct horse battery", "confirm": "DELETE"})
    assert locked.status_code == 400
    assert "Too many failed sign-ins" in locked.content.decode()
    assert Person.objects.filter(email="leaver@example.com").exists()


def test_the_only_admin_is_told_why_they_cannot_delete_their_account(client, db):
    admin = AdminFactory(email="only-admin@example.com")
    client.force_login(admin)
    page = client.get(reverse("people:account_delete"))
    assert "The account only-admin@example.com is the only active admin" in page.content.decode()
    refused = client.post(
        reverse("people:account_delete"),
        {"password": "correct horse battery", "confirm": "DELETE"},
    )
    assert refused.status_code == 400
    assert Person.objects.filter(pk=admin.pk).exists()


def test_pages_show_the_former_member_without_a_link_to_a_profile(client, erased):
    placeholder = placeholder_get()
    client.force_login(erased.other)
    profile = reverse("people:profile", args=[placeholder.pk])
    for url in (
        reverse("sessions:detail", args=[erased.hosted.pk]),
        reverse("ideas:detail", args=[Idea.objects.get(title="Idea by subject").pk]),
        reverse("topics:detail", args=[TopicRequest.objects.get(title="Topic by subject").pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert PLACEHOLDER_NAME in text, url
        assert f'href="{profile}"' not in text, url
    assert client.get(profile).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_admins_deleting_each_other_at_once_leave_one_admin():
    from kshare.web.tests.race import race

    first = AdminFactory(email="first@example.com")
    second = AdminFactory(email="second@example.com")
    people = [first, second]
    errors = race(lambda i: person_erase(person=people[i], by=people[1 - i]), threads=2)
    assert [type(e) for e in errors] == [ErasureRefused]
    assert "is the only active admin" in errors[0].messages[0]
    admins = Person.objects.filter(email__in=["first@example.com", "second@example.com"])
    assert admins.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_erasures_at_once_make_one_placeholder():
    from kshare.web.tests.race import race

    leavers = [PersonFactory(), PersonFactory()]
    for leaver in leavers:
        PastSessionFactory(host=leaver)
    errors = race(lambda i: person_erase(person=leavers[i], by=None), threads=2)
    assert errors == []
    assert Person.objects.filter(email=PLACEHOLDER_EMAIL).count() == 1
    assert SessionHost.objects.filter(person__email=PLACEHOLDER_EMAIL).count() == 2
