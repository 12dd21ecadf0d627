from django.urls import URLPattern, path  # noqa: F401

# Check-in: host page with QR, signed link, "I'm here". Owned by the check-in work.
urlpatterns: list[URLPattern] = []
