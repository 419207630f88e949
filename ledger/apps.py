from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy check)
