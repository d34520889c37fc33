from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.core.exceptions import ValidationError

from accounts.models import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    TokenScope,
    User,
)
from hub.names import validate_url_name


class SignupForm(SetPasswordMixin, forms.Form):
    """What sign-up asks. The address is not compared with other accounts' here: the answer is
    the same whether one uses it or not (the worker then mails a link, or a notice to the
    address's owner). User names are public, so a taken one is said at once."""

    username = forms.CharField(
        label="User name",
        help_text=(
            f"Your public name, part of your models' URLs. Up to {USERNAME_MAX_LENGTH} "
            "letters, digits, '-', '_' or '.'."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="We send a link there to confirm it; never shown on the site.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        validate_url_name(username, kind="user name", max_length=USERNAME_MAX_LENGTH)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That user name is taken.", code="unique")
        return username

    def clean(self):
        self.validate_passwords()
        data = self.cleaned_data
        user = User(username=data.get("username", ""), email=data.get("email", ""))
        self.validate_password_for_user(user)  # not too like the name or the address
        return data


class LoginForm(AuthenticationForm):
    """Django's log-in form, telling a banned user why (only once the password is right, so
    the ban of an account is not revealed to someone who merely knows its name)."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            username = self.cleaned_data.get("username") or ""
            password = self.cleaned_data.get("password") or ""
            banned = User.objects.filter(username__iexact=username, banned_at__isnull=False).first()
            if banned is not None and banned.check_password(password):
                raise ValidationError(
                    "This account was banned by the moderators on "
                    f"{banned.banned_at:%b %-d, %Y}: {banned.ban_reason} "
                    "It can no longer sign in or use the API.",
                    code="banned",
                ) from None
            raise


class TokenForm(forms.Form):
    EXPIRY = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]

    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. “CI publishing” or “laptop”."
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices, initial=TokenScope.READ, widget=forms.RadioSelect
    )
    expires = forms.ChoiceField(choices=EXPIRY, initial="90", required=False, label="Expires")


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        help_text="The address of your account. We send a link to set a new password there.",
    )


class ProfileForm(forms.Form):
    """What the profile page asks; `accounts.services.profile_update` cleans and checks it."""

    display_name = forms.CharField(
        max_length=DISPLAY_NAME_MAX_LENGTH,
        required=False,
        help_text="Shown on your page above your user name, e.g. your full name.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    bio = forms.CharField(
        required=False,
        # The browser counts a line break as one character, like the service (not as the
        # two it sends), so the service is the one to count.
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": BIO_MAX_LENGTH}),
        help_text=f"A few words about you or your work; plain text, up to {BIO_MAX_LENGTH} "
        "characters.",
    )
    website_url = forms.CharField(
        label="Website",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://example.com"}),
    )
    github_url = forms.CharField(
        label="GitHub",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "https://github.com/… or your name"}),
    )
    x_url = forms.CharField(
        label="X",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "https://x.com/… or your name"}),
    )


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label="New e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="The link that confirms it goes there.",
    )
    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
