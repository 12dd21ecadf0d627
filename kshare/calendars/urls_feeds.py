from django.urls import path

from kshare.calendars import views_feeds

# Feeds and stars (included by kshare/calendars/urls.py under the "calendars" namespace).
urlpatterns = [
    # The token alphabet is that of secrets.token_urlsafe, which the slug converter matches.
    path("feed/<slug:token>.ics", views_feeds.person_feed, name="person_feed"),
    path("programme/<slug:slug>.ics", views_feeds.programme_feed, name="programme_feed"),
    path("session/<int:pk>.ics", views_feeds.session_ics, name="session_ics"),
    path("subscribe/", views_feeds.subscribe, name="subscribe"),
    path("agenda/", views_feeds.agenda, name="agenda"),
    path("star/<int:pk>/", views_feeds.star, name="star"),
]
