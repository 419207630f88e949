"""Form fields the apps' pages share, each as the browser should offer it: a person's email
address and password, and one line of text whose input tells the browser what it may fill in
and which keyboard a phone opens (`autocomplete`, `inputmode`, `spellcheck`, ...)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def text_field(label: Any, max_length: int, attrs: dict[str, Any], **extra: Any) -> forms.CharField:
    """One line of text of at most `max_length` characters, its input carrying `attrs` (in the
    order given: the page writes them so); `extra` are the field's other arguments."""
    return forms.CharField(
        label=label, max_length=max_length, widget=forms.TextInput(attrs=attrs), **extra
    )


def email_field(label: Any = None, autocomplete: str = "email") -> forms.EmailField:
    """An email address; `autocomplete="off"` for someone else's (an invitation), which the
    browser should not fill in with the person's own."""
    return forms.EmailField(
        label=label or _("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete}),
    )


def password_field(
    label: Any = None, autocomplete: str = "current-password", **extra: Any
) -> forms.CharField:
    """A password, kept as typed (no stripping); `autocomplete="new-password"` for one being
    chosen, so the browser offers to make one up."""
    return forms.CharField(
        label=label or _("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        **extra,
    )


def reason_field(max_length: int, label: Any = None, **extra: Any) -> forms.CharField:
    """A reason someone else reads (why a request is turned down, a shop suspended, a mint
    asked for), in a box of a few lines; `extra` are the field's other arguments."""
    return forms.CharField(
        label=label or _("Reason"),
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        **extra,
    )
