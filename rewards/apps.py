from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"

    def ready(self) -> None:
        from accounts.signals import account_erasing, data_exporting, residency_verified
        from accounts.wallet_hooks import (
            wallet_line_namer_register,
            wallet_notices_register,
            wallet_waiting_register,
        )
        from ledger.verify import verify_check_register

        from . import earning, integrity, privacy, queue, receivers, selectors

        residency_verified.connect(
            receivers.residency_verified, dispatch_uid="rewards.residency_verified"
        )
        account_erasing.connect(privacy.account_erasing, dispatch_uid="rewards.account_erasing")
        data_exporting.connect(privacy.data_exporting, dispatch_uid="rewards.data_exporting")
        verify_check_register(name="rewards.payouts", check=integrity.rewards_verify)
        wallet_line_namer_register(kind="payout", namer=selectors.payout_line_names)
        wallet_waiting_register(name="rewards", reader=selectors.residency_waiting)
        wallet_notices_register(name="rewards.caps", reader=earning.cap_notices)
        queue.waiting_register()
