from django.conf import settings
from django.db import models
from markdownx.models import MarkdownxField


def format_version(major: int, minor: int) -> str:
    return f"v{major}.{minor:02d}"


class Release(models.Model):
    """A numbered release of a repository: v1.00, v1.01, v2.00. Numbers come from the server."""

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="releases"
    )
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    notes = MarkdownxField(blank=True)
    notes_html = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-major", "-minor"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "major", "minor"], name="releases_release_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(major__gte=1), name="releases_major_gte_1"),
        ]

    def __str__(self) -> str:
        return self.version

    def get_absolute_url(self) -> str:
        return self.repository.url("release_detail", version=self.version)

    @property
    def version(self) -> str:
        return format_version(self.major, self.minor)

    def url(self, view: str) -> str:
        return self.repository.url(view, version=self.version)
