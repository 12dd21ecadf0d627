from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Full-text search: SQLite FTS5 or PostgreSQL full-text behind one function."""

    name = "kshare.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from kshare.search import receivers

        receivers.connect()  # model signals of the apps below (search/receivers.py)
