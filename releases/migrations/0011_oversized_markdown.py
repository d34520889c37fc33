"""Model cards and release notes rendered before hub.markdown bounded its output could hold
hundreds of MB of HTML, served on every view of their page. Those past the bound (1 MiB of
HTML) show why instead; their Markdown is kept, for the owner to shorten."""

from django.db import migrations
from django.db.models.functions import Length

LIMIT = 1024 * 1024  # hub.markdown.MAX_HTML_CHARS when this was written
NOTICE = (
    '<p class="markdown-unrendered">This Markdown is too large to render: its HTML would pass '
    "1.0 MiB (reference links repeat their address at every use).</p>"
)


def replace_oversized(apps, schema_editor):
    Repository = apps.get_model("repos", "Repository")
    Release = apps.get_model("releases", "Release")
    Repository.objects.annotate(size=Length("description_html")).filter(size__gt=LIMIT).update(
        description_html=NOTICE, summary=""
    )
    Release.objects.annotate(size=Length("notes_html")).filter(size__gt=LIMIT).update(
        notes_html=NOTICE
    )


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0010_upload_direct"),
        ("repos", "0010_repository_tags_by_tag"),
    ]

    operations = [migrations.RunPython(replace_oversized, migrations.RunPython.noop)]
