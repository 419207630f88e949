from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = "Shops"

    def ready(self) -> None:
        from accounts.signals import account_erasing, data_exporting

        from . import privacy, waiting

        account_erasing.connect(privacy.account_erasing, dispatch_uid="shops.account_erasing")
        data_exporting.connect(privacy.data_exporting, dispatch_uid="shops.data_exporting")
        waiting.waiting_register()
