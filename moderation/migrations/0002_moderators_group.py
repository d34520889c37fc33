"""The Moderators group: works reports and hides, restores, features and bans, but cannot
change site settings (tasks, licences) or grant permissions (no change rights on users or
groups)."""

from django.db import migrations

MODERATOR_PERMISSIONS = [
    ("repos", "repository", "view_repository"),
    ("repos", "repository", "moderate_repository"),
    ("releases", "release", "view_release"),
    ("releases", "releasefile", "view_releasefile"),
    ("releases", "releasefile", "remove_unsafe_file"),
    ("releases", "blob", "view_blob"),
    ("accounts", "user", "view_user"),
    ("accounts", "user", "ban_user"),
    ("moderation", "report", "view_report"),
    ("moderation", "report", "change_report"),
    ("moderation", "moderationaction", "view_moderationaction"),
    ("inference", "inferencejob", "view_inferencejob"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    for app_label, model, codename in MODERATOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("accounts", "0002_alter_user_options_user_ban_reason_user_banned_at"),
        ("repos", "0005_alter_repository_options_repository_featured_at_and_more"),
        ("releases", "0005_alter_releasefile_options"),
        ("inference", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
