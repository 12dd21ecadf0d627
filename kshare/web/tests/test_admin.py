import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
)

pytestmark = pytest.mark.django_db

KSHARE_MODELS = [model for model in apps.get_models() if model.__module__.startswith("kshare.")]


def test_every_kshare_model_is_in_the_admin():
    missing = [m._meta.label for m in KSHARE_MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", KSHARE_MODELS, ids=lambda m: m._meta.label)
def test_admin_list_and_add_pages_render(client, admin_person, model):
    session = PastSessionFactory()
    InvitationFactory(session=session)
    AttendanceFactory(session=session)
    client.force_login(admin_person)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist + "?q=a").status_code == 200
    add_status = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code
    # History, feedback answers, the e-mail outbox and webhook deliveries are written only by
    # the services.
    read_only = {
        "talks.sessionchange",
        "feedback.response",
        "feedback.answer",
        "outbox.outboxmessage",
        "webhooks.webhookdelivery",
        "search.searchdocument",
        "recommend.expertindex",
        "people.authattempt",
        "core.clockclaim",
        "core.workerlease",
        "feedback.feedbackrelease",
        "feedback.hostanswerheld",
        "audit.auditentry",
        "talks.cohostinvitation",
        "chat.chatchannel",
        "chat.chatpost",
        "library.transcription",
        "library.transcriptionchunk",
    }
    assert add_status == (403 if opts.label_lower in read_only else 200)
