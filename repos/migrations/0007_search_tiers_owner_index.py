from django.conf import settings
from django.db import migrations, models

# A search by relevance (repos.search) puts first the repositories with every word in their
# name or tags: the lexemes of weights A and B of the search vector, indexed apart so that
# rare words are looked up there.
TIER_INDEXES = {"repos_search_title": "{a,b}"}


def create_tier_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, weights in TIER_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON repos_repository "
            f"USING gin (ts_filter(search_vector, '{weights}'))"
        )


def drop_tier_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TIER_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: writes go on while a big table is indexed

    dependencies = [
        ("repos", "0006_view_private_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="repository",
            index=models.Index(
                fields=["owner", "-updated_at", "-id", "visibility", "hidden_at"],
                name="repos_owner_updated",
            ),
        ),
        migrations.AddIndex(
            model_name="repository",
            index=models.Index(fields=["-created_at", "-id"], name="repos_created"),
        ),
        migrations.RunPython(create_tier_indexes, drop_tier_indexes),
    ]
