from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

USERNAME_MAX_LENGTH = 39


class HubUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Log-in is case-insensitive, like the uniqueness of the name.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person on the hub. The user name is the first segment of their repositories' URLs."""

    objects = HubUserManager()

    # A ban (moderation.services.user_ban) also clears is_active, so Django's authentication
    # refuses the account everywhere: log-in, sessions already open, the API.
    banned_at = models.DateTimeField(null=True, blank=True, editable=False)
    ban_reason = models.TextField(blank=True, editable=False)

    class Meta:
        permissions = [("ban_user", "Can ban and unban users")]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("user_detail", kwargs={"username": self.username})
