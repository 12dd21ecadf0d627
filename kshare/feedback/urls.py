from django.urls import path

from kshare.feedback import views_builder, views_hosts, views_respond, views_results

app_name = "feedback"
urlpatterns: list = [
    # results and exports (part C)
    path("sessions/<int:pk>/", views_results.session_results_view, name="session_results"),
    path("sessions/<int:pk>/export.csv", views_results.session_export, name="session_export"),
    path("programmes/<slug:slug>/", views_results.programme_results_view, name="programme_results"),
    path(
        "programmes/<slug:slug>/export.csv",
        views_results.programme_export,
        name="programme_export",
    ),
    # form builder (part C)
    path("programmes/<slug:slug>/form/", views_builder.builder_view, name="builder"),
    path(
        "programmes/<slug:slug>/form/<int:pk>/edit/",
        views_builder.builder_question_edit,
        name="builder_question_edit",
    ),
    path(
        "programmes/<slug:slug>/form/<int:pk>/delete/",
        views_builder.builder_question_delete,
        name="builder_question_delete",
    ),
    path(
        "programmes/<slug:slug>/form/<int:pk>/move/",
        views_builder.builder_question_move,
        name="builder_question_move",
    ),
    # answering forms (part A)
    path("", views_respond.inbox, name="inbox"),
    path("r/<int:pk>/", views_respond.respond, name="respond"),
    path("r/<int:pk>/thanks/", views_respond.respond_thanks, name="respond_thanks"),
    # prospective-host pipeline (part B)
    path("hosts/", views_hosts.hosts_list, name="hosts"),
    path("hosts/<int:pk>/status/", views_hosts.host_status, name="host_status"),
    path("hosts/<int:pk>/propose/", views_hosts.host_propose, name="host_propose"),
]
