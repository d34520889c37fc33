from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the run command (`manage.py seed_demo`). The top layer: it uses every
    app's services, and no app uses it."""

    name = "demo"
