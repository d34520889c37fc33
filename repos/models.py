from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from markdownx.models import MarkdownxField

NAME_MAX_LENGTH = 96
TAG_MAX_LENGTH = 40
MAX_TAGS = 20


class Task(models.Model):
    """What a model does (DeFi Forecasting, LLM, …). Edited by staff in the admin."""

    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    position = models.PositiveSmallIntegerField(default=100, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class License(models.Model):
    """A licence a repository can be published under, by SPDX identifier where one exists."""

    spdx_id = models.CharField("SPDX identifier", max_length=64, unique=True)
    name = models.CharField(max_length=128)
    url = models.URLField(blank=True)
    position = models.PositiveSmallIntegerField(default=100, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "spdx_id"]

    def __str__(self) -> str:
        return self.spdx_id


class Tag(models.Model):
    """A free-form lowercase label such as `ethereum` or `time-series`."""

    name = models.CharField(max_length=TAG_MAX_LENGTH, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(name=Lower("name")), name="repos_tag_name_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"


class Repository(models.Model):
    """A model repository: `/<owner>/<name>/`, holding releases of files."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="repositories"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = MarkdownxField(blank=True)
    description_html = models.TextField(blank=True, editable=False)
    summary = models.CharField(max_length=200, blank=True, editable=False)
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="repositories")
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="repositories")
    tags = models.ManyToManyField(Tag, blank=True, related_name="repositories")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    latest_release = models.ForeignKey(
        "releases.Release",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    downloads = models.PositiveBigIntegerField(default=0, editable=False)
    # Kept by `repos.services.star_add`/`star_remove` in the transaction of the Star row, so
    # that cards and sorts read it without counting.
    stars = models.PositiveIntegerField(default=0, editable=False)
    # Moderation (moderation.services): a hidden repository exists only for its owner, who
    # sees the reason, and staff. `hidden_by_ban`: hidden because its owner was banned, so
    # that an unban restores it (and nothing hidden for another reason).
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    hidden_reason = models.TextField(blank=True, editable=False)
    hidden_by_ban = models.BooleanField(default=False, editable=False)
    featured_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Reports on it still open, kept by `moderation.services` in the transaction of each
    # report's change, so that the moderators' queue sorts by it on an index.
    open_reports = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # "Trending": the downloads of the last TRENDING_DAYS days plus TRENDING_STAR_WEIGHT a
    # star (`DailyActivity`), 0 without activity. Raised with each download and star in its
    # transaction and recomputed periodically as days leave the window
    # (`repos.services.trending_refresh`), so that the trending list walks an index.
    trend = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Filled on PostgreSQL only (name, tags and description, weighted in that order).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "repositories"
        permissions = [
            ("moderate_repository", "Can hide, restore and feature repositories"),
            ("view_private_repository", "Can read every private repository"),
        ]
        constraints = [
            models.UniqueConstraint(
                "owner", Lower("name"), name="repos_repository_owner_name_ci_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values),
                name="repos_repository_visibility_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(name__regex=r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"),
                name="repos_repository_name_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["visibility", "-updated_at"], name="repos_visible_updated"),
            models.Index(fields=["visibility", "-created_at"], name="repos_visible_created"),
            # Newest first for a signed-in user, whose own private ones join the listed ones.
            models.Index(fields=["-created_at", "-id"], name="repos_created"),
            models.Index(Lower("name"), "id", name="repos_name_lower"),
            # A user's page: their newest first, with what `listed_q` reads, without the rows
            # (key columns, not INCLUDE: SQLite, the run command's database, has no INCLUDE).
            models.Index(
                fields=["owner", "-updated_at", "-id", "visibility", "hidden_at"],
                name="repos_owner_updated",
            ),
            # /models by stars and by downloads (ties: newest id first).
            models.Index(fields=["-stars", "-id"], name="repos_stars"),
            models.Index(fields=["-downloads", "-id"], name="repos_downloads"),
            # /models by trending: every repository, the most active first, then (most of
            # them: no activity this week) the most recently updated.
            models.Index(fields=["-trend", "-updated_at", "-id"], name="repos_trending"),
            # The reports queue: open reports walked from the most reported repository down.
            # Every repository, not only the reported ones: the planner then sees that the
            # queue's reports all join it, and walks it instead of sorting the reports.
            models.Index(fields=["-open_reports", "id"], name="repos_open_reports"),
            models.Index(
                fields=["-featured_at"],
                condition=models.Q(featured_at__isnull=False),
                name="repos_featured",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("repo_detail", kwargs={"owner": self.owner.username, "name": self.name})

    @property
    def full_name(self) -> str:
        return f"{self.owner.username}/{self.name}"

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def url(self, view: str, **kwargs) -> str:
        """URL of one of the repository's pages, e.g. `repo.url("repo_settings")`."""
        return reverse(view, kwargs={"owner": self.owner.username, "name": self.name, **kwargs})


class RepositoryRedirect(models.Model):
    """An old name of a renamed repository; its URLs redirect permanently to the new name."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    old_name = models.CharField(max_length=NAME_MAX_LENGTH)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "owner", Lower("old_name"), name="repos_redirect_owner_name_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_name} → {self.repository}"


class Star(models.Model):
    """A signed-in user's star on a repository they may read (`repos.services.star_add`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "repository"], name="repos_star_once"),
        ]
        indexes = [
            # A user's page: what they starred, latest first.
            models.Index(fields=["user", "-created_at", "-id"], name="repos_star_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.repository_id}"


# "Trending" ranks the downloads and stars of the last TRENDING_DAYS days (today included); a
# star says more than a download (a script may download a file a thousand times).
TRENDING_DAYS = 7
TRENDING_STAR_WEIGHT = 10


class DailyActivity(models.Model):
    """Downloads and stars of one repository on one day (UTC), for "trending".

    A row exists only for a day with activity, and is incremented with an UPSERT
    (`repos.services.activity_record`); `Repository.trend` is the sum of the last days' rows,
    recomputed from them by reading only the repositories that had activity.
    """

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="daily_activity"
    )
    day = models.DateField()
    downloads = models.PositiveIntegerField(default=0)
    stars = models.IntegerField(default=0)  # stars given minus stars taken back that day

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [
            models.UniqueConstraint(fields=["repository", "day"], name="repos_activity_once"),
        ]
        indexes = [models.Index(fields=["day", "repository"], name="repos_activity_day")]

    def __str__(self) -> str:
        return f"{self.repository_id} {self.day}: {self.downloads} ↓ {self.stars} ★"
