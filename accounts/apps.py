from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "People and access"


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin on the site that asks for the staff two-factor check and never shows keys
    or tokens (accounts.admin_site)."""

    default = False
    default_site = "accounts.admin_site.HeitjeAdminSite"
