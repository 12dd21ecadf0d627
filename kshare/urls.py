from django.contrib import admin
from django.urls import include, path

from kshare.api.api import urls as api_urls
from kshare.people.views_language import language_set

urlpatterns = [
    path("", include("kshare.web.urls")),
    path("", include("kshare.people.auth_urls")),
    # The expertise directory sits among the people pages but ranks by feedback (feedback app).
    path("people/experts/", include("kshare.feedback.urls_experts")),
    path("people/", include("kshare.people.urls")),
    path("programmes/", include("kshare.programmes.urls")),
    path("sessions/", include("kshare.sessions.urls")),
    path("", include("kshare.attendance.urls")),
    path("", include("kshare.questions.urls")),
    path("ideas/", include("kshare.ideas.urls")),
    path("topics/", include("kshare.topics.urls")),
    path("feedback/", include("kshare.feedback.urls")),
    path("calendar/", include("kshare.calendars.urls")),
    path("rhythm/", include("kshare.scheduling.rhythm.urls")),
    path("outbox/", include("kshare.outbox.urls")),
    path("mail/", include("kshare.outbox.urls_unsubscribe")),
    path("search/", include("kshare.search.urls")),
    path("library/", include("kshare.library.urls")),
    path("dashboard/", include("kshare.dashboard.urls")),
    path("api/v1/", api_urls()),
    path("api/tokens/", include("kshare.api.urls")),
    path("webhooks/", include("kshare.webhooks.urls")),
    path("chat/", include("kshare.chat.urls")),
    path("audit/", include("kshare.audit.urls")),
    path("language/", language_set, name="set_language"),
    path("admin/", admin.site.urls),
]

handler400 = "kshare.web.views.bad_request"
handler403 = "kshare.web.views.permission_denied"
handler404 = "kshare.web.views.page_not_found"
handler500 = "kshare.web.views.server_error"
