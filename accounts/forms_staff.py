"""Forms of the staff console. They check shape only; the services check the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import email_field, password_field, text_field

from .forms_auth import NEW_PASSWORD_HELP
from .models import Role
from .services import MAX_BATCH

ROLE_LABELS = [
    (Role.TASK_MANAGER.value, _("Task manager: campaigns, tasks and neighbourhoods")),
    (Role.REVIEWER.value, _("Reviewer: checks claims and verifies residents")),
    (Role.APPROVER.value, _("Approver: second pair of eyes, shops")),
    (Role.FINANCE.value, _("Finance: budgets, settlements and exports")),
    (Role.ADMIN.value, _("Administrator: staff members and the audit log")),
]
ROLE_NAMES = {
    Role.TASK_MANAGER.value: _("Task manager"),
    Role.REVIEWER.value: _("Reviewer"),
    Role.APPROVER.value: _("Approver"),
    Role.FINANCE.value: _("Finance"),
    Role.ADMIN.value: _("Administrator"),
    Role.RESIDENT.value: _("Resident"),
}


class TokenForm(forms.Form):
    token = text_field(
        _("Code from your authenticator app"),
        12,
        {
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "class": "token-input",
            "autofocus": True,
        },
        help_text=_("6 digits; a new code appears every 30 seconds."),
    )


class InviteBatchForm(forms.Form):
    batch = forms.CharField(
        label=_("Name of the batch"),
        max_length=100,
        help_text=_("For example the letter's date and district, so the batch can be found."),
    )
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=MAX_BATCH)
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=366, initial=90
    )


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or email"), max_length=100, required=False)
    verified = forms.ChoiceField(
        label=_("Residency"),
        required=False,
        choices=[("", _("All")), ("no", _("Not verified")), ("yes", _("Verified"))],
    )


class NeighbourhoodForm(forms.Form):
    name = forms.CharField(label=_("Name of the neighbourhood"), max_length=100)


class StaffCreateForm(forms.Form):
    email = email_field(autocomplete="off")
    display_name = forms.CharField(label=_("Display name"), max_length=100)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_LABELS, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(
        label=_("Language of the welcome mail"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Staff roles"),
        choices=ROLE_LABELS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Without any role the person can no longer open the staff console."),
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        max_length=64,
        required=False,
        help_text=_("For example shop.approve; end with a dot for a group, such as shop."),
    )
    actor = forms.CharField(label=_("Actor's email address"), max_length=254, required=False)


class WelcomePasswordForm(forms.Form):
    password = password_field(
        _("Choose a password"), autocomplete="new-password", help_text=NEW_PASSWORD_HELP
    )


DOCUMENTS = {
    "passport": _("Passport"),
    "id_card": _("Identity card"),
    "residence_permit": _("Residence permit"),
    "brp_extract": _("Extract from the municipal register (BRP)"),
}


class ResidencyCheckForm(forms.Form):
    """What staff checked before verifying a resident: the code of the municipal letter the
    resident holds, or a document seen in person."""

    code = forms.CharField(label=_("Letter code"), max_length=40, required=False)
    document = forms.ChoiceField(
        label=_("Or the document you checked"),
        required=False,
        choices=[("", _("No document")), *DOCUMENTS.items()],
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("code") and not data.get("document"):
            raise forms.ValidationError(
                _("Give the code from the resident's letter, or choose the document you checked.")
            )
        return data
