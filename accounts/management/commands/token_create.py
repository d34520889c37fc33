from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import tokens
from accounts.models import TokenScope, User
from hub.errors import HubError


class Command(BaseCommand):
    help = "Make a personal access token for USERNAME; the token is the last line printed."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument("--name", default="made with manage.py token_create")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, username: str, scope: str, name: str, expires_days, **options):
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user “{username}”.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, raw = tokens.token_create(
                user=user, name=name, scope=scope, expires_at=expires_at
            )
        except HubError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(f"Token “{token.name}” for {user.username}, scope {token.scope}:")
        self.stdout.write(raw)
