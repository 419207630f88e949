"""The person's own API: signing in and out (session or token), email verification, their
profile, password and email changes, sessions, and privacy (export, deletion). One module per
use case: `auth` (signing in), `me` (the profile, sessions and privacy); `serializers` holds
the bodies."""

from __future__ import annotations

from core.routes import Routes

from . import auth, me
from .serializers import PASSWORD_MIN_LENGTH, StrictSerializer

__all__ = ["PASSWORD_MIN_LENGTH", "StrictSerializer", "routes"]

routes = Routes()
routes.include("auth/", auth.routes)
routes.include("me/", me.routes)
