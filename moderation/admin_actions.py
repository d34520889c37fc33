"""Admin actions that ask for a reason on a page of their own before they act, and report
what they did (and what they refused) back on the list."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from hub.errors import HubError


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        help_text="Recorded in the moderation log; shown to the owner where it concerns them.",
    )


Done = tuple[str, str]  # what was done, for one object and for several: "{count}" is filled


def _apply_all(modeladmin, request, queryset, apply: Callable, done: Done) -> None:
    """`apply(obj)` on each object; then one message with the count of changes, and one for
    each refusal."""
    changed, refused = 0, []
    for obj in queryset:
        try:
            if apply(obj):
                changed += 1
        except HubError as exc:
            refused.append(str(exc))
    said = ngettext(done[0], done[1], changed).format(count=changed)
    modeladmin.message_user(request, said, messages.SUCCESS)
    for problem in refused:
        modeladmin.message_user(request, problem, messages.WARNING)


def reason_action(
    *,
    name: str,
    description: str,
    permission: str,
    apply: Callable,
    done: Done,
    explanation: str = "",
    mails: bool = False,
    label: Callable = str,
    related: tuple[str, ...] = (),
):
    """An admin action that asks for a reason, then calls `apply(obj, moderator, reason)` on
    each selected object (truthy when it changed something); with `mails`,
    `apply(obj, moderator, reason, base_url)`, the site's address for the links of mails.
    The reason's page lists the objects as `label` writes them (with `related` loaded), so a
    moderator sees what they are about to act on."""

    @admin.action(description=description, permissions=[permission])
    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            extra = (request.build_absolute_uri("/"),) if mails else ()
            _apply_all(
                modeladmin,
                request,
                queryset,
                lambda obj: apply(obj, request.user, reason, *extra),
                done,
            )
            return None
        opts = modeladmin.model._meta
        return TemplateResponse(
            request,
            "admin/moderation/reason_form.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "explanation": explanation,
                "objects": [label(obj) for obj in queryset.select_related(*related)[:51]],
                "count": queryset.count(),
                "form": form,
                "action": name,
                "opts": opts,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    action.__name__ = name
    return action


def simple_action(*, name: str, description: str, permission: str, apply: Callable, done: Done):
    """An admin action that applies at once: `apply(obj, moderator)` on each selected object."""

    @admin.action(description=description, permissions=[permission])
    def action(modeladmin, request, queryset):
        _apply_all(modeladmin, request, queryset, lambda obj: apply(obj, request.user), done)

    action.__name__ = name
    return action
