from django import forms

from moderation.models import Report, ReportReason


class ReportForm(forms.ModelForm):
    reason = forms.ChoiceField(
        choices=ReportReason.choices, widget=forms.RadioSelect, label="What is wrong?"
    )

    class Meta:
        model = Report
        fields = ["reason", "text"]
        labels = {"text": "Details"}
        help_texts = {
            "text": "What should the moderators look at: a file, a passage of the model card, "
            "the original work this copies…"
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 5, "maxlength": 2000})}
