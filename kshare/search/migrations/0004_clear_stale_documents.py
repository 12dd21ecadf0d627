"""Empty the search index once: documents written before the permission tokens of the ``meta``
column existed in their current form would lack them (on SQLite a document without "restr" is
open to everyone). Run ``kshare reindex`` after migrating to fill the index again."""

from django.db import migrations


def clear(apps, schema_editor) -> None:
    apps.get_model("search", "SearchDocument").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0003_meta_tokens")]

    operations = [migrations.RunPython(clear, migrations.RunPython.noop)]
