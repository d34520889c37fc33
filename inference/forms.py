from typing import Any

from django import forms
from django.conf import settings

from inference import tensors
from inference.models import Mode


class InferenceForm(forms.Form):
    """One JSON field per model input, prefilled with a valid example, and the mode.

    Every input is checked against the signature (type, rank, fixed dimensions, size) before
    anything is queued; a problem is reported on its field, naming the tensor.
    """

    def __init__(self, *args, signature: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.specs = tensors.input_specs(signature)
        self.zkml_problems = tensors.zkml_problems(signature)
        for index, spec in enumerate(self.specs):
            self.fields[f"input_{index}"] = forms.CharField(
                label=spec.name,
                initial=tensors.example_text(spec),
                help_text=f"{spec.type} {spec.shape_label}",
                widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
                strip=False,
            )
        self.fields["mode"] = forms.ChoiceField(
            choices=Mode.choices, initial=Mode.VANILLA, widget=forms.RadioSelect
        )

    def input_fields(self):
        return [(spec, self[f"input_{i}"]) for i, spec in enumerate(self.specs)]

    def clean_mode(self):
        mode = self.cleaned_data["mode"]
        if mode == Mode.ZKML and self.zkml_problems:
            raise forms.ValidationError(
                "ZKML is not available for this model: " + "; ".join(self.zkml_problems) + "."
            )
        return mode

    def clean(self):
        cleaned = super().clean()
        problems = tensors.unsupported_inputs(self.specs)
        if problems:
            raise forms.ValidationError(problems)
        inputs = {}
        for index, spec in enumerate(self.specs):
            key = f"input_{index}"
            if key not in cleaned:
                continue
            try:
                inputs[spec.name] = tensors.parse_input(
                    spec, cleaned[key], max_values=settings.INFERENCE_MAX_INPUT_VALUES
                )
            except tensors.TensorError as exc:
                self.add_error(key, f"Input “{exc.name}”: {exc.problem}.")
                continue
            if settings.CHAIN_BACKEND == "opengradient":
                # Numbers travel as 128-bit fixed-point pairs: check they fit before queuing.
                # (Imported here: the chain side loads web3, which the web process rarely needs.)
                from inference.chain import OpenGradientBackend

                try:
                    OpenGradientBackend.model_input({spec.name: inputs[spec.name]})
                except ValueError as exc:
                    self.add_error(key, f"Input “{spec.name}”: {exc}.")
        cleaned["inputs"] = inputs
        return cleaned
