"""Forms of the sign-in, sign-up and account pages. They check shape only; the services check
the rules and their refusals are put back on the field they name (`core.http.form_refusal`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from core.forms import email_field, password_field, text_field

# Kept importable from here for the page views that still do (core.http is their home).
from core.http import form_refusal as form_refusal
from core.http import form_status as form_status

from .models import Neighbourhood
from .password_reset import password_reset_complete, password_reset_request
from .services import BIRTH_YEAR_FIRST, BIRTH_YEAR_RULE


def _display_name(**extra: Any) -> forms.CharField:
    return text_field(_("Display name"), 100, {"autocomplete": "nickname"}, **extra)


NEW_PASSWORD_HELP = _(
    "At least 10 characters; not a common password, not only digits, not like your name or "
    "email address."
)


class LoginForm(forms.Form):
    email = email_field()
    password = password_field()
    remember = forms.BooleanField(
        label=_("Remember this device"),
        required=False,
        help_text=_(
            "Stay signed in for a working day on your own phone or the shop's till. Not on a "
            "shared computer."
        ),
    )


class ResendForm(forms.Form):
    email = email_field()


def _neighbourhood(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Neighbourhood.objects.all(),
        required=required,
        empty_label=_("Not chosen"),
    )


def _language() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class SignUpForm(forms.Form):
    email = email_field()
    password = password_field(autocomplete="new-password", help_text=NEW_PASSWORD_HELP)
    display_name = _display_name(
        help_text=_("How others in the app see you, for example your first name.")
    )
    neighbourhood = _neighbourhood()
    language = _language()
    birth_year = forms.IntegerField(
        label=_("Birth year (optional)"),
        required=False,
        min_value=BIRTH_YEAR_FIRST,
        max_value=2100,
        # Django's own "Ensure this value is greater than or equal to 1900" is no sentence for
        # a person: the rule of the field, in their language, whatever is wrong.
        error_messages={
            "invalid": BIRTH_YEAR_RULE,
            "min_value": BIRTH_YEAR_RULE,
            "max_value": BIRTH_YEAR_RULE,
        },
        help_text=_(
            "Only to pay you the right rate: for young residents the volunteer-allowance rules "
            "allow less per hour."
        ),
        widget=forms.NumberInput(attrs={"autocomplete": "bday-year"}),
    )


class ProfileForm(forms.Form):
    display_name = _display_name()
    neighbourhood = _neighbourhood()
    preferred_language = _language()

    def __init__(self, *args: Any, resident: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not resident:
            del self.fields["neighbourhood"]


class PasswordChangeForm(forms.Form):
    current_password = password_field(label=_("Current password"))
    new_password = password_field(
        label=_("New password"), autocomplete="new-password", help_text=NEW_PASSWORD_HELP
    )


class EmailChangeForm(forms.Form):
    new_email = email_field(label=_("New email address"), autocomplete="off")
    password = password_field(label=_("Your password"))


class DeleteForm(forms.Form):
    password = password_field(label=_("Your password"))
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted for good and cannot be restored."),
        required=True,
    )


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset request with the label of our other forms; the mail goes out through
    accounts.password_reset (in the person's language, after the commit, limited per hour)."""

    email = email_field()

    def save(self, *args: Any, **kwargs: Any) -> None:
        password_reset_request(email=self.cleaned_data["email"])


class PasswordResetSetForm(SetPasswordForm):
    """A new password from a reset link: Django's checks (the two typed the same, the password
    rules); saving ends every session (accounts.password_reset)."""

    new_password1 = password_field(
        label=_("New password"), autocomplete="new-password", help_text=NEW_PASSWORD_HELP
    )
    new_password2 = password_field(label=_("The new password again"), autocomplete="new-password")

    def clean(self) -> dict[str, Any]:
        # Django puts the password rules' complaints under the second box; they are about the
        # password typed first, so they are shown under that one.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return self.cleaned_data

    def save(self, commit: bool = True) -> Any:
        return password_reset_complete(
            user=self.user, new_password=self.cleaned_data["new_password1"]
        )
