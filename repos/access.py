"""The access policy: who may read, change and run what, and whether content may be used.

Every front door (pages, downloads, the JSON API, duplicate answers, the inference panel and
worker, the admin's links) asks these functions; no other module decides visibility.

- Everyone reads what is *listed*: public and not hidden by the moderators.
- An owner reads and manages their own repositories, hidden ones included (with the reason).
- Staff holding `repos.moderate_repository` (moderators) also read hidden *public*
  repositories, to judge them.
- Staff holding `repos.view_private_repository` (superusers hold every permission) read
  everything, private repositories included.
- Staff holding `inference.run_inference` run test inferences on files they may read, as long
  as the content is not blocked.

Permissions count for staff accounts only, so an ordinary visitor's page costs no permission
queries. The functions take anything with the attributes they read (duck typing), so this
module needs nothing from the apps above it.
"""

from django.db.models import Q

from repos.models import Visibility

VIEW_PRIVATE = "repos.view_private_repository"
MODERATE = "repos.moderate_repository"
RUN_INFERENCE = "inference.run_inference"

BLOCKED_MESSAGE = "The moderators removed this content from the hub as unsafe."


def _staff_may(user, permission: str) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.has_perm(permission)
    )


def reads_everything(user) -> bool:
    """Private repositories included: superusers and staff granted the permission."""
    return _staff_may(user, VIEW_PRIVATE)


def reads_hidden_public(user) -> bool:
    """Moderators see the public repositories they hid, to judge and restore them."""
    return _staff_may(user, MODERATE) or reads_everything(user)


def listed_q(prefix: str = "") -> Q:
    """Condition for what everyone may read: public and not hidden by the moderators."""
    return Q(**{f"{prefix}visibility": Visibility.PUBLIC, f"{prefix}hidden_at__isnull": True})


# What everyone of a role reads alike, apart from their own repositories (counts shared by a
# role are cached under these names).
LISTED, PUBLIC, EVERYTHING = "listed", "public", "everything"


def role_scope(user) -> str:
    """LISTED for everyone, PUBLIC for moderators (hidden public repositories too),
    EVERYTHING for who reads private repositories."""
    if reads_everything(user):
        return EVERYTHING
    if reads_hidden_public(user):
        return PUBLIC
    return LISTED


def scope_q(scope: str, prefix: str = "") -> Q:
    """Condition for the repositories of a role's scope."""
    if scope == EVERYTHING:
        # Written as a condition that stays true when combined with `|` (an empty Q() would
        # vanish from `other | Q()`).
        return Q(**{f"{prefix}pk__isnull": False})
    if scope == PUBLIC:
        return Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    return listed_q(prefix)


def readable_q(user, prefix: str = "") -> Q:
    """Condition on Repository (or on a relation through `prefix`) for what `user` may read:
    their role's scope and their own repositories."""
    scope = role_scope(user)
    if scope == EVERYTHING or not user.is_authenticated:
        return scope_q(scope, prefix)
    condition = listed_q(prefix) | Q(**{f"{prefix}owner": user})
    if scope == PUBLIC:
        condition |= scope_q(PUBLIC, prefix)
    return condition


def may_read(user, repository) -> bool:
    """The same rule as `readable_q`, for a repository already loaded."""
    if repository.visibility == Visibility.PUBLIC and repository.hidden_at is None:
        return True
    if user.is_authenticated and repository.owner_id == user.pk:
        return True
    if repository.visibility == Visibility.PUBLIC:
        return reads_hidden_public(user)
    return reads_everything(user)


def may_manage(user, repository) -> bool:
    """Change metadata, releases and files: the owner alone (staff act through the admin)."""
    return bool(user.is_authenticated and user.is_active and repository.owner_id == user.pk)


def may_read_moderation_reasons(user, repository) -> bool:
    """Why the moderators hid the repository or removed content from it: its owner and the
    moderators (who read it) are told; other readers learn only that it happened."""
    if user.is_authenticated and repository.owner_id == user.pk:
        return True
    return may_read(user, repository) and reads_hidden_public(user)


def may_run_inference(user) -> bool:
    """Staff holding the permission run test inferences (on files they may read)."""
    return _staff_may(user, RUN_INFERENCE)


def content_usable(blob) -> bool:
    """False once the moderators deleted the content as unsafe: it is then never served,
    added, linked, copied or run again, wherever it is."""
    return blob.blocked_at is None
