"""The trending score as a column with an index: the trending list sorts every repository on
it instead of summing the daily counters of the active ones (which listed only those)."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

# As repos.models holds them when this was written (a migration keeps its own copy).
TRENDING_DAYS = 7
TRENDING_STAR_WEIGHT = 10


def scores_from_daily_activity(apps, schema_editor):
    """The score of each repository with activity in the last days, as
    `repos.services.trending_refresh` computes it (the others keep 0)."""
    Repository = apps.get_model("repos", "Repository")
    DailyActivity = apps.get_model("repos", "DailyActivity")
    since = timezone.now().date() - timedelta(days=TRENDING_DAYS - 1)
    window = DailyActivity.objects.filter(day__gte=since)
    total = (
        window.filter(repository=OuterRef("pk"))
        .values("repository")
        .annotate(score=Sum(F("downloads") + F("stars") * TRENDING_STAR_WEIGHT))
        .values("score")
    )
    Repository.objects.filter(pk__in=window.values("repository_id")).update(
        trend=Greatest(Coalesce(Subquery(total), 0), 0)
    )


class Migration(migrations.Migration):
    dependencies = [("repos", "0010_repository_tags_by_tag")]

    operations = [
        migrations.AddField(
            model_name="repository",
            name="trend",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="repository",
            index=models.Index(fields=["-trend", "-updated_at", "-id"], name="repos_trending"),
        ),
        migrations.RunPython(scores_from_daily_activity, migrations.RunPython.noop),
    ]
