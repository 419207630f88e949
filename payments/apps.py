from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from ledger.verify import verify_check_register

        from . import integrity, waiting

        verify_check_register(name="payments", check=integrity.payments_verify)
        waiting.waiting_register()
