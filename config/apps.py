from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The site itself (settings, URLs, problem+json, metrics): no models of its own."""

    name = "config"
    label = "site_config"

    def ready(self) -> None:
        # config.schema's extensions register themselves when the module is imported.
        from . import metrics, schema

        metrics.register()
        del schema
