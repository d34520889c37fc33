"""The repositories of a tag, read from an index alone: /models?tag=… counts its matches by
walking them (Django's index on tag_id alone sent each one to the table's pages)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS repos_tags_by_tag ON repos_repository_tags (tag_id, repository_id)"
)
DROP = "DROP INDEX IF EXISTS repos_tags_by_tag"


class Migration(migrations.Migration):
    dependencies = [("repos", "0009_repository_open_reports")]

    operations = [migrations.RunSQL(CREATE, DROP)]
