"""Forms of the payment pages: the till, the wallet's Pay and Scan, the owner's settlements and
the staff's vouchers and settlements. They check the shape of the input (types, lengths,
required fields); the rules (limits, expiry, signatures, who may) live in the services, whose
refusals the views put on the field they name."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import reason_field, text_field
from core.money import TokensField
from core.widgets import DateInput

CODE_MAX = 2000  # a signed payment request as text stays well below this
REASON_MAX = 300
DECISION_REASON_MAX = 500
VOUCHERS_MAX = 500


def _code_field(label: Any, help_text: Any = "", *, inputmode: str = "text") -> forms.CharField:
    """A code field: a scanner fills in the QR text, a person types the short code (digits:
    `inputmode="numeric"` opens the phone's number pad)."""
    attrs = {
        "autocomplete": "off",
        "autocapitalize": "off",
        "spellcheck": "false",
        "inputmode": inputmode,
    }
    return text_field(label, CODE_MAX, attrs, help_text=help_text)


# --- the till ---------------------------------------------------------------------------------


class ChargeForm(forms.Form):
    """Charge a resident: the amount and their code (scanned QR text or the short code)."""

    amount = TokensField(label=_("Amount"), maximum=settings.PAYMENT_MAX)
    code = _code_field(
        _("Resident's code"),
        _("Scan the QR code in the resident's wallet, or type the short code under it."),
        inputmode="numeric",
    )


class RequestForm(forms.Form):
    """Show a payment request (a signed QR) for the resident to scan."""

    amount = TokensField(label=_("Amount"), maximum=settings.PAYMENT_MAX)


class RefundForm(forms.Form):
    amount = TokensField(label=_("Amount to refund"), maximum=settings.PAYMENT_MAX)
    reason = text_field(_("Reason (optional)"), REASON_MAX, {"autocomplete": "off"}, required=False)


class VoucherRedeemForm(forms.Form):
    code = _code_field(
        _("Voucher code"), _("Scan the QR code on the paper voucher, or type the code under it.")
    )


class SettlementRequestForm(forms.Form):
    amount = TokensField(
        label=_("Amount to redeem"),
        required=False,
        help_text=_("Leave empty to redeem the whole balance."),
    )


# --- the wallet -------------------------------------------------------------------------------


class ScanForm(forms.Form):
    """What the wallet's camera read (or what the resident typed): a shop's code."""

    payload = _code_field(
        _("Shop's code"),
        _("Point the camera at the shop's QR code, or type the 9 digits the till shows beside it."),
        inputmode="numeric",
    )


class ConfirmForm(forms.Form):
    """The payment the resident saw and confirms (the code travels again, checked again)."""

    payload = forms.CharField(max_length=CODE_MAX, widget=forms.HiddenInput)
    amount = forms.IntegerField(min_value=1, max_value=10**15, widget=forms.HiddenInput)


class PosterPayForm(forms.Form):
    """A shop's poster names the shop only: the resident types the amount."""

    payload = forms.CharField(max_length=CODE_MAX, widget=forms.HiddenInput)
    amount = TokensField(label=_("Amount"), maximum=settings.PAYMENT_MAX)


# --- staff -----------------------------------------------------------------------------------


class VoucherBatchForm(forms.Form):
    name = forms.CharField(label=_("Name of the batch"), max_length=100)
    campaign = forms.TypedChoiceField(
        label=_("Campaign that pays for them"), coerce=int, choices=()
    )
    value = TokensField(label=_("Value of each voucher"), maximum=settings.PAYMENT_MAX)
    count = forms.IntegerField(
        label=_("Number of vouchers"),
        min_value=1,
        max_value=VOUCHERS_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        widget=DateInput(),
        help_text=_("Unused vouchers return their value to the campaign after this day."),
    )

    def __init__(self, *args: Any, campaigns: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a campaign")), *campaigns]
        if not self.is_bound:
            self.initial.setdefault("expires_on", timezone.localdate() + timedelta(days=90))

    def clean_expires_on(self) -> date:
        value: date = self.cleaned_data["expires_on"]
        if value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."), code="past")
        if value > timezone.localdate() + timedelta(days=3 * 366):
            raise forms.ValidationError(_("At most three years ahead."), code="far")
        return value


class RejectForm(forms.Form):
    reason = reason_field(DECISION_REASON_MAX, help_text=_("The shop's owner reads this."))


class VoucherRejectForm(forms.Form):
    reason = reason_field(
        DECISION_REASON_MAX, help_text=_("The person who asked for the batch reads this.")
    )
