from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the deploy checks)
        from .roles import ensure_roles

        # After every migrate, once all apps' permissions exist.
        post_migrate.connect(ensure_roles, dispatch_uid="outreach.ensure_roles")
