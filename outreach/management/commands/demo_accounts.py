import os
import secrets

from django.core.management.base import BaseCommand, CommandError

from outreach.demo import create_demo_accounts
from households.models import Commune


class Command(BaseCommand):
    help = "Create (or reset) the demo logins: province, collector1, collector2; prints the password."

    def handle(self, *args, **options):
        if not Commune.objects.filter(code__in=[24259, 24580]).count() == 2:
            raise CommandError("The demo collectors work in Xã Quảng Phú and Xã Liên Sơn Lắk: run `manage.py load_communes` first.")
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        accounts = create_demo_accounts(password=password)
        self.stdout.write("Demo accounts (password for all: %s)" % password)
        for username, role in accounts:
            self.stdout.write(f"  {username:<12} {role}")
