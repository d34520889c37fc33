from django import forms
from django.core.exceptions import ValidationError

from repos.models import NAME_MAX_LENGTH, Repository, Visibility
from repos.selectors import SORTS, RepositoryFilters
from repos.services import normalize_tags, validate_repository_name


class TagsField(forms.CharField):
    """Comma-separated tags in, a normalized list out."""

    def to_python(self, value) -> list[str]:
        return normalize_tags(super().to_python(value) or "")

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


class RepositoryMetadataForm(forms.ModelForm):
    tags = TagsField(
        required=False,
        help_text="Comma-separated, e.g. ethereum, time-series, onnx. Up to 20.",
        widget=forms.TextInput(attrs={"placeholder": "ethereum, time-series, onnx"}),
    )

    class Meta:
        model = Repository
        fields = ["description", "task", "license", "tags"]
        help_texts = {
            "description": "Markdown: what the model does, its inputs and outputs, how to use it."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].empty_label = "Choose a task"
        self.fields["license"].empty_label = "Choose a license"
        if self.instance.pk and not self.is_bound:
            self.initial["tags"] = [t.name for t in self.instance.tags.all()]


class RepositoryCreateForm(RepositoryMetadataForm):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Letters, digits, '-', '_' and '.'; e.g. eth-1h-volatility.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )

    class Meta(RepositoryMetadataForm.Meta):
        fields = ["name", "description", "task", "license", "tags", "visibility"]

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.order_fields(["name", "task", "license", "tags", "visibility", "description"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        validate_repository_name(name)
        if Repository.objects.filter(owner=self.owner, name__iexact=name).exists():
            raise ValidationError("You already have a repository with this name.")
        return name

    def _post_clean(self):
        # Validation lives in clean_* and in the service; the instance is never saved here.
        pass


class RenameForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, label="New name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        validate_repository_name(name)
        return name


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(
        choices=Visibility.choices, widget=forms.RadioSelect, label="Who can see it"
    )


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Type the repository name to confirm")


class SearchForm(forms.Form):
    """The query string of the model list. Unknown values filter to nothing, never to an error."""

    q = forms.CharField(required=False, max_length=200)
    task = forms.SlugField(required=False, max_length=64)
    license = forms.CharField(required=False, max_length=64)
    tag = forms.CharField(required=False, max_length=40)
    sort = forms.ChoiceField(
        required=False,
        choices=[("relevance", "Best match")] + [(k, v[0]) for k, v in SORTS.items()],
    )

    def filters(self) -> RepositoryFilters:
        if not self.is_valid():
            field, errors = next(iter(self.errors.items()))
            label = {"q": "search text", "task": "task", "license": "license", "tag": "tag"}
            return RepositoryFilters(
                query=str(self.data.get("q", ""))[:200],
                invalid=f"The {label.get(field, field)} in the address is not valid: {errors[0]}",
            )
        data = self.cleaned_data
        query = (data.get("q") or "").strip()
        return RepositoryFilters(
            query=query,
            task=data.get("task") or "",
            license=(data.get("license") or "").strip(),
            tag=(data.get("tag") or "").strip().lower(),
            sort=data.get("sort") or ("relevance" if query else "updated"),
        )
