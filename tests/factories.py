"""factory_boy factories. Repositories are made through the service, as users make them."""

import factory

from accounts.models import User
from releases.services.releases import release_create, repository_create
from repos.models import License, Task

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class RepositoryFactory(factory.Factory):
    """Builds a repository (with v1.00) through `repository_create`."""

    class Meta:
        model = dict

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"model-{n}")
    description = "# A model\n\nIt predicts things."
    task = factory.LazyFunction(lambda: Task.objects.get(slug="defi-forecasting"))
    license = factory.LazyFunction(lambda: License.objects.get(spdx_id="MIT"))
    tags = factory.LazyFunction(list)
    visibility = "public"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return repository_create(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        return repository_create(**kwargs)


def add_releases(repo, *bumps: str):
    """Create releases on `repo` in order, e.g. add_releases(repo, "minor", "major")."""
    return [release_create(repository=repo, bump=bump, notes=f"{bump} release") for bump in bumps]
