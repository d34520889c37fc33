from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.services import profile_update
from demo.content import REPOSITORIES
from hub import demo_models
from moderation.models import ReportReason
from moderation.services import report_create, repository_feature
from releases.services.files import file_add_content
from releases.services.releases import release_create, repository_create
from releases.tasks import read_onnx_signature
from repos.models import License, Repository, Task

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password-123"
ADMIN_USER = "staff"
ADMIN_PASSWORD = "staff-password-123"
MODERATOR_USER = "moderator"
MODERATOR_PASSWORD = "moderator-password-123"
VISITOR_USER = "visitor"
VISITOR_PASSWORD = "visitor-password-123"


class Command(BaseCommand):
    help = (
        "Fill an empty hub with a demo account, a staff account, a moderator, a visitor, a "
        "handful of public model repositories and one report. Does nothing if the hub already "
        "has repositories."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow seeding outside development (the demo passwords are public).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not (settings.DEBUG or settings.DEVELOPMENT) and not force:
            raise CommandError(
                "Refusing to create accounts with public passwords outside development "
                "(DEBUG or DEVELOPMENT); --force does it anyway."
            )
        if Repository.objects.exists():
            self.stdout.write("The hub already has repositories; demo data not loaded.")
            return
        with transaction.atomic():
            demo = self._user(DEMO_USER, DEMO_PASSWORD, staff=False)
            profile_update(
                user=demo,
                display_name="Demo Models",
                bio="Small ONNX models for crypto market signals, published to show the hub.",
                github_url="OpenGradient",
            )
            self._user(ADMIN_USER, ADMIN_PASSWORD, staff=True)
            moderator = self._user(MODERATOR_USER, MODERATOR_PASSWORD, staff=True, superuser=False)
            moderator.groups.add(Group.objects.get(name="Moderators"))
            visitor = self._user(VISITOR_USER, VISITOR_PASSWORD, staff=False)
            tasks = {t.slug: t for t in Task.objects.all()}
            licenses = {lic.spdx_id: lic for lic in License.objects.all()}
            for spec in REPOSITORIES:
                repo = repository_create(
                    owner=demo,
                    name=spec["name"],
                    description=spec["description"],
                    task=tasks[spec["task"]],
                    license=licenses[spec["license"]],
                    tags=spec["tags"],
                )
                for bump, notes in spec["releases"]:
                    release_create(repository=repo, bump=bump, notes=notes, user=demo)
                for path, maker in spec.get("files", {}).items():
                    latest = repo.releases.order_by("-major", "-minor").first()
                    rf = file_add_content(
                        release=latest, path=path, data=getattr(demo_models, maker)(), user=demo
                    )
                    read_onnx_signature(rf.blob_id)  # in-process: the page shows it at once
            # A featured model for the home page, and something in the moderators' queue.
            repository_feature(
                repository=Repository.objects.get(owner=demo, name=REPOSITORIES[0]["name"]),
                moderator=moderator,
            )
            report_create(
                repository=Repository.objects.get(owner=demo, name="pixel-sprite-diffusion"),
                reporter=visitor,
                reason=ReportReason.COPYRIGHT,
                text="The sample sprites look like they come from a commercial game.",
            )
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {len(REPOSITORIES)} demo repositories for {DEMO_USER}.")
        )

    def _user(
        self, username: str, password: str, *, staff: bool, superuser: bool | None = None
    ) -> User:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@example.com")
            user.set_password(password)
            user.is_staff = staff
            user.is_superuser = staff if superuser is None else superuser
            user.save()
        return user
