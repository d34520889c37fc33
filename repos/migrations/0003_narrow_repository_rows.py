from django.db import migrations


def narrow_rows(apps, schema_editor):
    """Keep repository rows narrow on PostgreSQL.

    Lists and searches read a few small columns of many rows, while the Markdown source and
    its HTML are read one row at a time. Moving those texts out of line (toast_tuple_target)
    keeps the heap four times smaller; the search vector stays in line (STORAGE MAIN)
    because every search re-checks it.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE repos_repository SET (toast_tuple_target = 256)")
    schema_editor.execute(
        "ALTER TABLE repos_repository ALTER COLUMN search_vector SET STORAGE MAIN"
    )


def widen_rows(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE repos_repository RESET (toast_tuple_target)")
    schema_editor.execute(
        "ALTER TABLE repos_repository ALTER COLUMN search_vector SET STORAGE EXTENDED"
    )


class Migration(migrations.Migration):
    dependencies = [("repos", "0002_seed_tasks_licenses_search_index")]

    operations = [migrations.RunPython(narrow_rows, widen_rows)]
