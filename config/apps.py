from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The site itself (settings, URLs, problem+json, metrics): no models of its own."""

    name = "config"
    label = "site_config"

    def ready(self) -> None:
        from . import metrics
        from . import schema  # noqa: F401 (its schema extensions register on import)

        metrics.register()
