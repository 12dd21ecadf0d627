from django.urls import include, path

from kshare.library import views

app_name = "library"

urlpatterns = [
    path("sessions/<int:pk>/add/<str:kind>/", views.material_add, name="add"),
    path("materials/<int:pk>/edit/", views.material_edit, name="edit"),
    path("materials/<int:pk>/delete/", views.material_delete, name="delete"),
    path("media/<int:pk>/", views.material_media, name="media"),
    # The file name at the end is only for people saving the link; the pk decides.
    path("media/<int:pk>/<str:name>", views.material_media, name="media_named"),
    path("", include("kshare.library.urls_transcripts")),
    path("", include("kshare.library.urls_transcription")),
    path("", include("kshare.library.urls_catchup")),
]
