from django.urls import include, path

app_name = "library"

urlpatterns = [
    path("", include("kshare.library.urls_transcripts")),
    path("", include("kshare.library.urls_catchup")),
]
