from django.urls import path

from kshare.calendars import views_slots

urlpatterns = [
    path("slots/<int:session_pk>/", views_slots.session_slots, name="slots"),
]
