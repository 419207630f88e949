"""Forms of the rewards pages (staff console and wallet). They check the shape of the input
(types, lengths, required fields); the rules live in the services, whose refusals the views
put on the field they name (accounts.forms_auth.form_refusal)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Neighbourhood
from core.forms import reason_field
from core.money import TokensField, amount_format
from core.widgets import DateInput, DateTimeInput

from . import campaigns, claims, earning, review, work
from .models import Campaign, Task, TaskCategory

# --- staff ------------------------------------------------------------------------------------


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=campaigns.NAME_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=campaigns.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    neighbourhoods = forms.ModelMultipleChoiceField(
        label=_("Neighbourhoods"),
        queryset=Neighbourhood.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every neighbourhood."),
    )

    @classmethod
    def for_campaign(cls, campaign: Campaign, data: Any = None) -> CampaignForm:
        return cls(
            data,
            initial={
                "name": campaign.name,
                "description": campaign.description,
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "neighbourhoods": list(campaign.neighbourhoods.all()),
            },
        )

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "neighbourhood_ids": [n.pk for n in data["neighbourhoods"]],
        }


class MintRequestForm(forms.Form):
    amount = TokensField(
        label=_("Amount"),
        help_text=_("In tokens, for example 1000.00."),
        maximum=campaigns.MINT_MAX,
    )
    reason = reason_field(campaigns.REASON_MAX, _("Why the budget needs it"))


class ReasonForm(forms.Form):
    """A reason for turning something down (a mint request, a claim)."""

    reason = reason_field(review.REASON_MAX)


def _typed_degrees(label: Any, most: int, example: Any) -> forms.DecimalField:
    """A latitude (`most` 90) or longitude (180) the staff may type, to six decimals."""
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=-most,
        max_value=most,
        decimal_places=6,
        max_digits=9,
        help_text=example,
        widget=forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
    )


def _browser_degrees(most: int) -> forms.DecimalField:
    """A latitude (`most` 90) or longitude (180) the browser fills in: hidden, optional."""
    return forms.DecimalField(
        required=False, min_value=-most, max_value=most, max_digits=12, widget=forms.HiddenInput
    )


def _materials_field(label: Any) -> forms.CharField:
    """Where or when a task's materials are picked up, in one language (optional)."""
    return forms.CharField(label=label, max_length=work.MATERIALS_MAX, required=False)


class TaskForm(forms.Form):
    title_nl = forms.CharField(label=_("Title (Dutch)"), max_length=work.TITLE_MAX)
    description_nl = forms.CharField(
        label=_("Description (Dutch)"),
        max_length=work.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    title_de = forms.CharField(label=_("Title (German)"), max_length=work.TITLE_MAX, required=False)
    description_de = forms.CharField(
        label=_("Description (German)"),
        max_length=work.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    title_en = forms.CharField(
        label=_("Title (English)"), max_length=work.TITLE_MAX, required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        max_length=work.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=TaskCategory.choices)
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Neighbourhood.objects.order_by("name"),
        required=False,
        empty_label=_("Any neighbourhood"),
    )
    latitude = _typed_degrees(_("Latitude"), 90, _("Optional, for example 50.888100."))
    longitude = _typed_degrees(_("Longitude"), 180, _("Optional, for example 5.979500."))
    reward = TokensField(label=_("Reward"), maximum=work.REWARD_MAX)
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes of work"), min_value=1, max_value=work.MINUTES_MAX
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=work.CAPACITY_MAX,
        help_text=_("How many completions are paid."),
    )
    per_resident_limit = forms.IntegerField(
        label=_("Limit per resident"), min_value=1, max_value=work.CAPACITY_MAX, initial=1
    )
    starts_at = forms.DateTimeField(label=_("Open from"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Open until"), widget=DateTimeInput())
    photo_required = forms.BooleanField(
        label=_("A photo is required"), required=False, initial=True
    )
    note_required = forms.BooleanField(label=_("A note is required"), required=False)
    location_required = forms.BooleanField(label=_("The location is required"), required=False)
    materials_where = _materials_field(_("Materials: where to pick them up"))
    materials_when = _materials_field(_("Materials: when to pick them up"))
    materials_where_de = _materials_field(_("Where to pick them up (German)"))
    materials_when_de = _materials_field(_("When to pick them up (German)"))
    materials_where_en = _materials_field(_("Where to pick them up (English)"))
    materials_when_en = _materials_field(_("When to pick them up (English)"))
    pickup_opens = forms.TimeField(
        label=_("Pick-up opens at"),
        required=False,
        help_text=_("Every day. Claims get their full time counted from the first pick-up."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    pickup_closes = forms.TimeField(
        label=_("Pick-up closes at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cap = earning.rules_now().hourly_cap
        self.fields["reward"].help_text = _(
            "In tokens per completion; at most %(cap)s per hour of work."
        ) % {"cap": amount_format(cap)}

    @classmethod
    def for_task(cls, task: Task, data: Any = None) -> TaskForm:
        initial = {name: getattr(task, name) for name in work.TASK_FIELDS if hasattr(task, name)}
        initial["neighbourhood"] = task.neighbourhood_id
        initial["reward"] = task.reward
        return cls(data, initial=initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not (
            self.has_error("latitude") or self.has_error("longitude")
        ):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        if (data.get("pickup_opens") is None) != (data.get("pickup_closes") is None) and not (
            self.has_error("pickup_opens") or self.has_error("pickup_closes")
        ):
            self.add_error("pickup_opens", _("Give both pick-up times, or neither."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        neighbourhood = data.pop("neighbourhood")
        data["neighbourhood_id"] = neighbourhood.pk if neighbourhood else None
        return data


# --- residents --------------------------------------------------------------------------------


class TaskFilterForm(forms.Form):
    """Filters of the tasks list; a location (from the browser) sorts nearest first."""

    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Neighbourhood.objects.order_by("name"),
        required=False,
        empty_label=_("All neighbourhoods"),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *TaskCategory.choices],
        required=False,
    )
    lat = _browser_degrees(90)
    lon = _browser_degrees(180)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of uploads; what they are is decided by rewards.evidence, not here."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(item, initial) for item in files]


def photos_help() -> str:
    """The photo field's help, in the language of the page that shows it (a help text filled
    in at import would stay in the language the process started in)."""
    return gettext("Up to %(n)d photos (JPEG, PNG or HEIC), at most %(mb)d MB each.") % {
        "n": int(settings.EVIDENCE_MAX_PHOTOS),
        "mb": int(settings.EVIDENCE_MAX_BYTES) // (1024 * 1024),
    }


class EvidenceForm(forms.Form):
    """Evidence for a claim. Every field is optional here: the task's rules (a photo, a note,
    the location required) are checked by claims.claim_submit, whose message lands on the field.
    """

    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=lazy(photos_help, str)(),
        # No `capture`: the phone offers its gallery as well as the camera.
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=claims.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Filled by the "Use my location" button (static/js/rewards.js), never typed.
    latitude = _browser_degrees(90)
    longitude = _browser_degrees(180)


class EarningRulesForm(forms.Form):
    """One year's earning rules (rewards.earning.rules_set), amounts typed as tokens."""

    hourly_cap = TokensField(
        label=_("Hourly rate"),
        help_text=_("The most per estimated hour of a task, for example 5.00."),
        maximum=earning.AMOUNT_MAX,
    )
    youth_hourly_cap = TokensField(
        label=_("Youth hourly rate"),
        help_text=_("The most per estimated hour below the youth age, for example 2.75."),
        maximum=earning.AMOUNT_MAX,
    )
    youth_under_age = forms.IntegerField(
        label=_("Youth rate under the age of"), min_value=1, max_value=99
    )
    monthly_cap = TokensField(
        label=_("Monthly maximum"),
        help_text=_(
            "The most a resident may be paid in one calendar month, for example 180.00; the "
            "volunteer-allowance rules set one every year, so it is always filled in."
        ),
        maximum=earning.AMOUNT_MAX,
    )
    annual_cap = TokensField(
        label=_("Yearly maximum"),
        help_text=_("The most a resident may be paid in one calendar year."),
        maximum=earning.AMOUNT_MAX,
    )

    @classmethod
    def for_rules(cls, rules: earning.Rules, data: Any = None) -> EarningRulesForm:
        initial = {name: getattr(rules, name) for name in earning.RULE_FIELDS}
        if not initial["monthly_cap"]:
            initial["monthly_cap"] = None
        return cls(data, initial=initial)
