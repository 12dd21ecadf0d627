from django.urls import path

from kshare.people import views, views_data, views_notifications

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("<int:pk>/", views.person_detail, name="profile"),
    path("me/edit/", views.profile_edit, name="edit_profile"),
    path("me/notifications/", views_notifications.notifications, name="notifications"),
    path("me/data/", views_data.your_data, name="your_data"),
    path("me/data/download/", views_data.your_data_download, name="your_data_download"),
    path("me/delete/", views_data.account_delete, name="account_delete"),
    path("invite/", views.invite, name="invite"),
    path("import/", views.people_import, name="import"),
]
