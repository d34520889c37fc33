from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

from accounts.models import USERNAME_MAX_LENGTH, User
from hub.names import validate_url_name


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        help_text="Used only to reach you about your account; never shown on the site."
    )

    class Meta:
        model = User
        fields = ("username", "email")
        help_texts = {
            "username": (
                f"Your public name, part of your models' URLs. Up to {USERNAME_MAX_LENGTH} "
                "letters, digits, '-', '_' or '.'."
            )
        }

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        validate_url_name(username, kind="user name", max_length=USERNAME_MAX_LENGTH)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That user name is taken.", code="unique")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email address exists already.")
        return email
