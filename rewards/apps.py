from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"

    def ready(self) -> None:
        from accounts.signals import account_erasing, data_exporting, residency_verified
        from ledger.verify import verify_check_register

        from . import integrity, privacy, receivers

        residency_verified.connect(
            receivers.residency_verified, dispatch_uid="rewards.residency_verified"
        )
        account_erasing.connect(privacy.account_erasing, dispatch_uid="rewards.account_erasing")
        data_exporting.connect(privacy.data_exporting, dispatch_uid="rewards.data_exporting")
        verify_check_register(name="rewards.payouts", check=integrity.rewards_verify)
