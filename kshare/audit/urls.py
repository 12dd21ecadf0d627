from django.urls import path

from kshare.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("audit.csv", views.audit_export, name="export"),
]
