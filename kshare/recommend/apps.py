from django.apps import AppConfig


class RecommendConfig(AppConfig):
    """The recommender's Django side: signals in, cached recommendations out (the maths is in
    ``kshare.recommend.engine``, which has no Django in it)."""

    name = "kshare.recommend"
    label = "recommend"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        # A finished training run queues the host finder's refit (experts_adapter).
        from kshare.recommend import experts_adapter, parts, receivers  # noqa: F401

        receivers.connect()  # lower apps' announcements (recommend/receivers.py)
        parts.register()  # its parts of other apps' pages (recommend/parts.py)
