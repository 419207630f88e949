"""Forms of the shop pages. They check shape and length; the rules (IBAN, KvK number, who may
do what) live in shops.services, whose refusals the views put back onto these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Neighbourhood

from . import services
from .models import ShopCategory


class ShopForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=services.NAME_MAX)
    address = forms.CharField(
        label=_("Address"),
        max_length=services.ADDRESS_MAX,
        help_text=_("Street, number, postcode and town."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=ShopCategory.choices)
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("The bank account the municipality pays the shop's tokens into."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    chamber_of_commerce = forms.CharField(
        label=_("Chamber of Commerce (KvK) number"),
        max_length=20,
        required=False,
        help_text=_("Optional: 8 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
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
    password = forms.CharField(
        label=_("Your password"),
        max_length=128,
        required=False,
        strip=False,
        help_text=_("Needed only when you change the IBAN."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CashierInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the new cashier"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=services.REASON_MAX,
        help_text=_("The shop's owner sees this reason."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
