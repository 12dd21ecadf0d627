from django.urls import path

from kshare.topics import views

app_name = "topics"
urlpatterns = [
    path("", views.topic_list, {"tab": "open"}, name="list"),
    path("scheduled/", views.topic_list, {"tab": "scheduled"}, name="scheduled"),
    path("new/", views.topic_create, name="new"),
    path("<int:pk>/", views.topic_detail, name="detail"),
    path("<int:pk>/vote/", views.topic_vote, name="vote"),
    path("<int:pk>/volunteer/", views.topic_volunteer, name="volunteer"),
    path("<int:pk>/propose/", views.topic_propose, name="propose"),
]
