from django.http import HttpRequest
from django.urls import reverse


def site(request: HttpRequest) -> dict:
    # Reversed once a request: list pages link to it from every card and facet.
    return {"models_url": reverse("model_list")}
