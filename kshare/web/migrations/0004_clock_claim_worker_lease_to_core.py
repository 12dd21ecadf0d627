"""ClockClaim and WorkerLease now belong to ``core`` (``core.0001``): removed from this app's
state only; the tables stay, under their old names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0003_worker_lease"),
        ("core", "0001_clock_claim_worker_lease"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ClockClaim"),
                migrations.DeleteModel(name="WorkerLease"),
            ],
            database_operations=[],
        ),
    ]
