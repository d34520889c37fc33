from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

USERNAME_MAX_LENGTH = 39
DISPLAY_NAME_MAX_LENGTH = 50
BIO_MAX_LENGTH = 300


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

    # The public profile on the user's page, changed by `accounts.services.profile_update`
    # (which cleans and checks it). Plain text: escaped wherever it is shown.
    # Empty in the database too (db_default), so rows written in SQL (bench/) need not name them.
    display_name = models.CharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, blank=True, default="", db_default=""
    )
    bio = models.CharField(max_length=BIO_MAX_LENGTH, blank=True, default="", db_default="")
    website_url = models.URLField("website", blank=True, default="", db_default="")
    github_url = models.URLField("GitHub", blank=True, default="", db_default="")
    x_url = models.URLField("X", blank=True, default="", db_default="")

    class Meta:
        permissions = [("ban_user", "Can ban and unban users")]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            # One account an address, whatever its case (sign-up and the e-mail change check
            # first, for a clear message; this holds under concurrency). Accounts made without
            # an address (createsuperuser) are not counted.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message="An account with this email address exists already.",
            ),
        ]

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    @property
    def profile_links(self) -> list[tuple[str, str, str]]:
        """(label, address, text shown) of the profile's links, in the page's order."""
        links = []
        for label, url in (("Website", self.website_url), ("GitHub", self.github_url)):
            if url:
                parts = urlsplit(url)
                text = (parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")
                links.append((label, url, text))
        if self.x_url:
            links.append(("X", self.x_url, "@" + urlsplit(self.x_url).path.strip("/")))
        return links

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("user_detail", kwargs={"username": self.username})


class TokenScope(models.TextChoices):
    READ = "read", "Read: your private repositories too"
    WRITE = "write", "Write: also create and change repositories, releases and files"


class AccessToken(models.Model):
    """A personal access token for scripts, the CLI and API clients (`Authorization: Bearer`).

    Only a hash of the token is stored; the token itself is shown once, when it is made.
    It acts as its user (the same access policy as their pages), limited to reads by the
    `read` scope, and stops working when revoked, when it expires, or when the user is banned
    or deactivated.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    prefix = models.CharField(max_length=12, help_text="the token's first characters, to tell it")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=TokenScope.values),
                name="accounts_token_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE


class PendingSignup(models.Model):
    """A sign-up waiting for its address to be confirmed. The account is made only when the
    link mailed to the address is followed (`accounts.services.signup_confirm`); until then
    nothing holds the name or the address, so signing up with someone else's address gives
    the signer nothing and keeps its owner from nothing. Rows older than the link's lifetime
    are deleted at the next sign-up."""

    username = models.CharField(max_length=USERNAME_MAX_LENGTH)
    email = models.EmailField(max_length=254)
    password = models.CharField(max_length=128)  # hashed, like User.password
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} (waiting since {self.created_at:%Y-%m-%d %H:%M})"
