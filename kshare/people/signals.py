"""What the people app announces; apps above it react in their own ``receivers.py``.

People sits below the apps that care about its bulk changes (the recommender), so it sends a
signal rather than calling them.
"""

from django.dispatch import Signal

# Sent (sender=Person) after a CSV import created people in bulk, which sends no post_save.
# Keyword: report (the ImportReport).
people_imported = Signal()
