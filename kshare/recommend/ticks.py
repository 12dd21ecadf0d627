"""The recommender's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "recommend",
    "kshare.recommend.tasks.recommend_tick_task",
    help="the recommender retrained when enough has changed",
)
