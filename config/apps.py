from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.core.signals import request_finished
from django.utils import translation


def translation_reset(**kwargs: Any) -> None:
    """After each request (once its response is sent, streamed bodies too), the thread goes
    back to the site's language: a person's language, activated for their request, never
    leaks into the next request or task the same thread serves."""
    translation.deactivate()


class SiteConfig(AppConfig):
    """The site itself (settings, URLs, problem+json, metrics): no models of its own."""

    name = "config"
    label = "site_config"

    def ready(self) -> None:
        from django.conf import settings

        from core.translations import catalogs_compile

        # config.schema's extensions register themselves when the module is imported.
        from . import metrics, schema

        metrics.register()
        request_finished.connect(translation_reset, dispatch_uid="translation_reset")
        # Vouchers are paid from a budget ledger account; rewards' campaigns own the budgets.
        from payments.budgets import budget_lookup_register
        from rewards.campaigns import campaign_budget_hold
        from rewards.selectors import campaign_budget_choices

        budget_lookup_register(campaign_budget_hold, campaign_budget_choices)
        del schema
        # Every way of starting the service loads the apps: the pages are in the person's
        # language however it was started, without a separate build step.
        catalogs_compile(locale_dirs=[Path(p) for p in settings.LOCALE_PATHS])
