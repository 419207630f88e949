from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"

    def ready(self) -> None:
        from accounts.signals import residency_verified

        from . import receivers

        residency_verified.connect(
            receivers.residency_verified, dispatch_uid="rewards.residency_verified"
        )
