"""Forms of the shop pages. They check shape and length; the rules (IBAN, KvK number, who may
do what) live in shops.services, whose refusals the views put back onto these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Neighbourhood
from core.forms import email_field, password_field, reason_field, text_field

from . import services
from .models import ShopCategory


class ShopForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=services.NAME_MAX)
    address = text_field(
        _("Address"),
        services.ADDRESS_MAX,
        {"autocomplete": "street-address"},
        help_text=_("Street, number, postcode and town."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=ShopCategory.choices)
    iban = text_field(
        _("IBAN"),
        50,
        {"autocomplete": "off", "spellcheck": "false"},
        help_text=_("The bank account the municipality pays the shop's tokens into."),
    )
    chamber_of_commerce = text_field(
        _("Chamber of Commerce (KvK) number"),
        20,
        {"inputmode": "numeric"},
        required=False,
        help_text=_("Optional: 8 digits."),
    )


class ShopEditForm(ShopForm):
    # Where residents find the shop in the wallet's "where to spend" list.
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Neighbourhood.objects.order_by("name"),
        required=False,
        empty_label=_("Not chosen"),
        help_text=_("Residents find the shop under this neighbourhood in their wallet."),
    )
    what_we_sell = forms.CharField(
        label=_("What the shop sells"),
        max_length=services.WHAT_WE_SELL_MAX,
        required=False,
        help_text=_("A few words residents read in their wallet, for example: bread and cakes."),
    )
    password = password_field(
        _("Your password"), required=False, help_text=_("Needed only when you change the IBAN.")
    )


class CashierInviteForm(forms.Form):
    email = email_field(_("Email address of the new cashier"), autocomplete="off")


class SuspendForm(forms.Form):
    reason = reason_field(services.REASON_MAX, help_text=_("The shop's owner sees this reason."))
