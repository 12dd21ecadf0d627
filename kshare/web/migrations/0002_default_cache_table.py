"""The table of the default cache when no Redis is configured (a DatabaseCache, see
``kshare.config.cache``). Created always, so that switching CACHE_URL off needs no step."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command(
        "createcachetable", "kshare_cache", database=schema_editor.connection.alias, verbosity=0
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name('kshare_cache')}")


class Migration(migrations.Migration):
    dependencies = [("web", "0001_clock_claim")]

    operations = [migrations.RunPython(create, drop)]
