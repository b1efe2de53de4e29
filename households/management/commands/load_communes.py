from django.core.management.base import BaseCommand, CommandError
from vietnam_provinces import ProvinceCode

from households.services import load_communes


class Command(BaseCommand):
    help = "Load a province's communes and wards (post-2025 units) from the vietnam-provinces package."

    def add_arguments(self, parser):
        parser.add_argument("--province", type=int, default=66, help="Province code (default 66, Đắk Lắk).")

    def handle(self, *args, province, **options):
        try:
            ProvinceCode(province)
        except ValueError:
            raise CommandError(f"Unknown province code {province}: expected one of the 34 codes, e.g. 66 for Đắk Lắk.")
        created, updated = load_communes(province_code=province)
        self.stdout.write(f"Province {province}: {created} communes created, {updated} updated.")
