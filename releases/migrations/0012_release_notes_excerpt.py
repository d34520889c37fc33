"""Lists of releases show a short excerpt of the notes' text instead of their HTML (a page of
releases showed up to 1 MiB of HTML each): the excerpt is made when notes are written, and
here for the notes written before."""

from django.db import migrations, models

from hub.markdown import html_text_excerpt

LIMIT = 200  # releases.models.NOTES_EXCERPT_CHARS when this was written
BATCH = 50  # notes' HTML can be up to 1 MiB each


def fill_excerpts(apps, schema_editor):
    Release = apps.get_model("releases", "Release")
    changed = []
    rows = Release.objects.exclude(notes_html="").only("pk", "notes_html").order_by("pk")
    for release in rows.iterator(chunk_size=BATCH):
        release.notes_excerpt = html_text_excerpt(release.notes_html, LIMIT)
        del release.notes_html  # not kept in memory for the whole batch of updates
        changed.append(release)
        if len(changed) == BATCH:
            Release.objects.bulk_update(changed, ["notes_excerpt"])
            changed = []
    Release.objects.bulk_update(changed, ["notes_excerpt"])


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0011_oversized_markdown"),
    ]

    operations = [
        migrations.AddField(
            model_name="release",
            name="notes_excerpt",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(fill_excerpts, migrations.RunPython.noop),
    ]
