from django.urls import path

from kshare.scheduling.rhythm import views, views_closures

app_name = "rhythm"
urlpatterns = [
    path("", views.rhythm_list, name="list"),
    path("new/", views.rhythm_create, name="create"),
    path("closures/", views_closures.closure_list, name="closures"),
    path("closures/<int:pk>/delete/", views_closures.closure_delete, name="closure_delete"),
    path("<int:pk>/", views.rhythm_detail, name="detail"),
    path("<int:pk>/edit/", views.rhythm_edit, name="edit"),
    path("<int:pk>/delete/", views.rhythm_delete, name="delete"),
    path("<int:pk>/<str:stamp>/cancel/", views.occurrence_cancel, name="occurrence_cancel"),
    path("<int:pk>/<str:stamp>/move/", views.occurrence_move, name="occurrence_move"),
    path("<int:pk>/<str:stamp>/restore/", views.occurrence_restore, name="occurrence_restore"),
]
