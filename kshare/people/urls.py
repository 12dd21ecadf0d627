from django.urls import path

from kshare.people import views, views_experts

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("experts/", views_experts.experts, name="experts"),
    path("<int:pk>/", views.person_detail, name="profile"),
    path("me/edit/", views.profile_edit, name="edit_profile"),
    path("invite/", views.invite, name="invite"),
    path("import/", views.people_import, name="import"),
]
