from django.urls import path

from kshare.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.outbox_list, name="list"),
    path("retry-failed/", views.outbox_retry_failed_view, name="retry_failed"),
    path("<int:pk>/", views.outbox_detail, name="detail"),
    path("<int:pk>/retry/", views.outbox_retry_view, name="retry"),
]
