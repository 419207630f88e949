"""Password rules whose messages Django does not give in the page's language."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class AttributeSimilarityValidator(UserAttributeSimilarityValidator):
    """Django's check that a password is not like the person's email address or name, with a
    message that names them in words (Django's names the model field: "the email")."""

    def validate(self, password: str, user: Any = None) -> None:
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(
                _("The password is too much like your email address or name."),
                code="password_too_similar",
            ) from None

    def get_help_text(self) -> str:
        return _("Your password must not be too much like your email address or name.")
