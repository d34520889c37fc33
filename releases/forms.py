from django import forms
from markdownx.fields import MarkdownxFormField

from releases.services.releases import next_version


class ReleaseCreateForm(forms.Form):
    bump = forms.ChoiceField(widget=forms.RadioSelect, label="Kind of release")
    notes = MarkdownxFormField(
        required=False,
        label="Release notes",
        help_text="Markdown: what changed since the previous release.",
    )

    def __init__(self, *args, current: tuple[int, int] | None, **kwargs):
        super().__init__(*args, **kwargs)
        minor = next_version(current, "minor")
        major = next_version(current, "major")
        self.fields["bump"].choices = [
            ("minor", f"Minor — v{minor[0]}.{minor[1]:02d}: improvements, same interface"),
            ("major", f"Major — v{major[0]}.{major[1]:02d}: changes that break users"),
        ]
        self.fields["bump"].initial = "minor"
