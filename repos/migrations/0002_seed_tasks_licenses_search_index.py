from django.db import migrations
from django.utils.text import slugify

TASKS = [
    "DeFi Forecasting",
    "Risk Model",
    "LLM",
    "Image Generation",
    "Classification",
    "Regression",
    "Time-Series Forecasting",
    "Other",
]
LICENSES = [
    ("MIT", "MIT License", "https://spdx.org/licenses/MIT.html"),
    ("Apache-2.0", "Apache License 2.0", "https://spdx.org/licenses/Apache-2.0.html"),
    ("BSD-3-Clause", 'BSD 3-Clause "New" or "Revised" License',
     "https://spdx.org/licenses/BSD-3-Clause.html"),
    ("GPL-3.0-only", "GNU General Public License v3.0 only",
     "https://spdx.org/licenses/GPL-3.0-only.html"),
    ("CC-BY-4.0", "Creative Commons Attribution 4.0 International",
     "https://spdx.org/licenses/CC-BY-4.0.html"),
    ("CC-BY-NC-4.0", "Creative Commons Attribution Non Commercial 4.0 International",
     "https://spdx.org/licenses/CC-BY-NC-4.0.html"),
    ("OpenRAIL-M", "Open Responsible AI License (model)", ""),
    ("other", "Other (see the description)", ""),
]  # fmt: skip


def seed(apps, schema_editor):
    Task = apps.get_model("repos", "Task")
    License = apps.get_model("repos", "License")
    for position, name in enumerate(TASKS, start=1):
        Task.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "position": position * 10}
        )
    for position, (spdx_id, name, url) in enumerate(LICENSES, start=1):
        License.objects.get_or_create(
            spdx_id=spdx_id, defaults={"name": name, "url": url, "position": position * 10}
        )


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS repos_repository_search_gin "
            "ON repos_repository USING gin (search_vector)"
        )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS repos_repository_search_gin")


class Migration(migrations.Migration):
    dependencies = [("repos", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
