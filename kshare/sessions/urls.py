from django.urls import path

from kshare.sessions import views, views_cohosting, views_invitations

app_name = "sessions"
urlpatterns = [
    path("", views.session_list, {"tab": "upcoming"}, name="list"),
    path("upcoming/", views.session_list, {"tab": "upcoming"}, name="upcoming"),
    path("past/", views.session_list, {"tab": "past"}, name="past"),
    path("proposals/", views.session_list, {"tab": "proposed"}, name="proposed"),
    path("mine/", views.session_mine, {"tab": "hosting"}, name="mine"),
    path("mine/hosting/", views.session_mine, {"tab": "hosting"}, name="mine_hosting"),
    path("mine/attending/", views.session_mine, {"tab": "attending"}, name="mine_attending"),
    path("tag/<slug:slug>/", views.session_tag, name="tag"),
    path("propose/", views.session_propose, name="propose"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/edit/", views.session_edit, name="edit"),
    path("<int:pk>/schedule/", views.session_schedule, name="schedule"),
    path("<int:pk>/held/", views.session_mark_held, name="held"),
    path("<int:pk>/cancel/", views.session_cancel, name="cancel"),
    path("<int:pk>/rsvp/", views.session_rsvp, name="rsvp"),
    path("<int:pk>/hosting/", views_cohosting.draft_hosting, name="hosting"),
    path("<int:pk>/invite/", views_invitations.invite, name="invite"),
    path("<int:pk>/invite/people/", views_invitations.invite_people, name="invite_people"),
    path("rsvp/<str:token>/", views_invitations.rsvp_link, name="rsvp_link"),
    path("co-hosting/<int:pk>/", views_cohosting.cohosting_answer, name="cohosting"),
]
