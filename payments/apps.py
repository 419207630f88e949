from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from accounts.wallet_hooks import wallet_line_namer_register, wallet_notices_register
        from ledger.verify import verify_check_register

        from . import expiry, integrity, waiting

        verify_check_register(name="payments", check=integrity.payments_verify)
        waiting.waiting_register()
        wallet_line_namer_register(kind="expiry", namer=expiry.expiry_line_names)
        wallet_notices_register(name="payments.expiry", reader=expiry.wallet_expiry_notices)
