from django.urls import path

from kshare.ideas import views

app_name = "ideas"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.idea_new, name="new"),
    path("areas/", views.area_list, name="areas"),
    path("areas/<slug:slug>/", views.area_detail, name="area"),
    path("<int:pk>/", views.idea_detail, name="detail"),
    path("<int:pk>/vote/", views.idea_vote, name="vote"),
    path("<int:pk>/comment/", views.idea_comment, name="comment"),
    path("<int:pk>/status/", views.idea_status, name="status"),
    path("<int:pk>/promote/", views.idea_promote, name="promote"),
]
