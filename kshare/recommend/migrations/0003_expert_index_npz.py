"""The host finder index is stored as an npz of numpy arrays now, no longer pickled.

A pickled row cannot be converted without unpickling it, which is what the new format exists to
avoid, so such rows are dropped: until the next training run refits the finder, "who could host
this" is answered by the database scorer (``selectors.hosts_for``), as on a site never trained.
The training state is marked stale so that the clock's next tick retrains (and refits) instead of
waiting for the nightly run. Rows already in the npz format are kept. Not reversible in content:
going back leaves the table as it is (an older version then finds no index it can read and also
falls back to the database scorer).
"""

from django.db import migrations
from django.utils import timezone

NPZ = b"PK\x03\x04"  # an npz file is a zip archive


def drop_pickled_indexes(apps, schema_editor):
    ExpertIndex = apps.get_model("recommend", "ExpertIndex")
    TrainingState = apps.get_model("recommend", "TrainingState")
    pickled = [
        pk
        for pk, data in ExpertIndex.objects.values_list("pk", "data")
        if bytes(data[: len(NPZ)]) != NPZ
    ]
    if not pickled:
        return
    ExpertIndex.objects.filter(pk__in=pickled).delete()
    reason = "host finder index stored as arrays"
    updated = TrainingState.objects.filter(stale_since__isnull=True).update(
        stale_since=timezone.now(), stale_reason=reason
    )
    if not updated and not TrainingState.objects.exists():
        TrainingState.objects.create(stale_since=timezone.now(), stale_reason=reason)


class Migration(migrations.Migration):
    dependencies = [
        ("recommend", "0002_expert_index"),
    ]

    operations = [
        migrations.RunPython(drop_pickled_indexes, migrations.RunPython.noop, elidable=True),
    ]
