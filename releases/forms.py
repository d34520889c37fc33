from django import forms
from markdownx.fields import MarkdownxFormField

from releases.services.releases import next_version


class ReleaseCreateForm(forms.Form):
    bump = forms.ChoiceField(widget=forms.RadioSelect, label="Kind of release")
    source = forms.ChoiceField(
        required=False,
        label="Files",
        help_text="A copy takes the files by reference: nothing is transferred again. "
        "A path in a release never changes its content, so new versions of files go into "
        "an empty release.",
    )
    notes = MarkdownxFormField(
        required=False,
        label="Release notes",
        help_text="Markdown: what changed since the previous release.",
    )
    accept_breaking = forms.BooleanField(
        required=False, label="Create it as a minor release anyway", widget=forms.HiddenInput
    )
    # The copy the warning was about: accepting it does not accept a copy chosen afterwards.
    warned_source = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, current: tuple[int, int] | None, versions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        minor = next_version(current, "minor")
        major = next_version(current, "major")
        self.fields["bump"].choices = [
            ("minor", f"Minor — v{minor[0]}.{minor[1]:02d}: improvements, same interface"),
            ("major", f"Major — v{major[0]}.{major[1]:02d}: changes that break users"),
        ]
        self.fields["bump"].initial = "minor"
        self.fields["source"].choices = [("", "Start empty: upload the files after creating it")]
        self.fields["source"].choices += [(v, f"Copy the files of {v}") for v in versions]
        self.fields["source"].error_messages["invalid_choice"] = (
            "This repository has no release %(value)s: choose one of the list."
        )

    def ask_to_accept_breaking(self) -> None:
        """Show the box that confirms a minor release the hub warned about."""
        self.fields["accept_breaking"].widget = forms.CheckboxInput()

    @property
    def breaking_accepted(self) -> bool:
        """Whether the user accepted the warning about the copy they still ask for."""
        data = self.cleaned_data
        return data["accept_breaking"] and data["warned_source"] == data["source"]


class CompareForm(forms.Form):
    """Two releases to compare. Left out, the head is the latest release and the base the
    release just before the head."""

    base = forms.ChoiceField(label="Base", required=False)
    head = forms.ChoiceField(label="Compare", required=False)

    def __init__(self, *args, versions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = versions  # newest first
        for name in ("base", "head"):
            self.fields[name].choices = [(v, v) for v in versions]
            self.fields[name].error_messages["invalid_choice"] = (
                "This repository has no release %(value)s: choose one of the list."
            )

    def clean(self):
        data = super().clean()
        head = data.get("head") or (self.versions[0] if self.versions else "")
        base = data.get("base")
        if not base and head in self.versions:
            older = self.versions[self.versions.index(head) + 1 :]
            base = older[0] if older else ""
        if not base or not head:
            raise forms.ValidationError("This repository has a single release: nothing to compare.")
        data["base"], data["head"] = base, head
        return data
