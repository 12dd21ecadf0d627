from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "kshare.sessions"
    # "sessions" is taken by django.contrib.sessions (HTTP sessions): app labels must be unique,
    # so the knowledge-sharing sessions app is labelled "talks" (tables talks_*, /admin/talks/).
    label = "talks"
    verbose_name = "Knowledge-sharing sessions"

    def ready(self) -> None:
        from kshare.sessions import parts

        parts.declare()  # the page regions other apps fill (sessions/parts.py)
        parts.register()  # its parts of lower apps' pages (a person's profile)
