"""Count the open reports of each repository into `Repository.open_reports`, which the
moderation services keep from now on."""

from django.db import migrations

COUNT = """
UPDATE repos_repository SET open_reports = (
    SELECT count(*) FROM moderation_report
    WHERE moderation_report.repository_id = repos_repository.id
      AND moderation_report.status = 'open')
WHERE id IN (SELECT repository_id FROM moderation_report WHERE status = 'open')
"""


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_moderators_group"),
        ("repos", "0009_repository_open_reports"),
    ]

    operations = [migrations.RunSQL(COUNT, migrations.RunSQL.noop)]
