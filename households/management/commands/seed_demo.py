from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from households.demo import DemoWorld
from households.imports import insert
from households.models import Commune, Enrolment, Household, Member, Village
from households.rates import rates_on
from households.text import search_key

CHUNK = 5_000


class Command(BaseCommand):
    help = "Fill an empty registry with realistic synthetic households, deterministic for a seed."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=2_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--province", type=int, default=66)
        parser.add_argument("--today", type=date.fromisoformat, default=None,
                            help="Reference date YYYY-MM-DD for ages and cover (default: today).")
        parser.add_argument("--registry-only", action="store_true",
                            help="Households only, no year of field work (the benchmarks bring their own).")

    def handle(self, *args, households, seed, province, today, registry_only=False, **options):
        if households < 1:
            raise CommandError("--households must be at least 1.")
        existing = Household.objects.count()
        if existing:
            self.stdout.write(f"The registry already holds {existing} households; nothing seeded.")
            return
        communes = list(Commune.objects.filter(province_code=province).order_by("code"))
        if not communes:
            raise CommandError(f"No communes for province {province}: run `manage.py load_communes --province {province}` first.")
        today = today or timezone.localdate()
        world = DemoWorld(seed=seed, today=today, rates=rates_on(today))

        villages_by_commune = self._villages(world, communes)
        rng = world.rng
        totals = {"households": 0, "members": 0, "enrolments": 0}
        for start in range(0, households, CHUNK):
            batch = []
            for _ in range(min(CHUNK, households - start)):
                commune = rng.choice(communes)
                batch.append(world.household(commune, villages_by_commune[commune.code]))
            self._insert(batch, totals)
            if households > CHUNK:
                self.stdout.write(f"  {totals['households']:,} households…")
        self.stdout.write(
            f"Seeded {totals['households']} households, {totals['members']} members, "
            f"{totals['enrolments']} enrolments (seed {seed})."
        )
        if not registry_only:
            self._field_operation(seed, today, communes)

    def _field_operation(self, seed, today, communes):
        """A year of field work on that registry, its reminders, and the dashboards'
        summaries, so that every page shows figures on the first run. (This
        command is the demo's one entry point, hence it reaches into the
        other apps; the registry itself stays in households.demo.)"""
        from collectors.demo import seed_field_operation
        from reminders.demo import seed_reminders
        from reports.services import refresh_summaries

        field = seed_field_operation(seed=seed, today=today, communes=communes)
        reminders = seed_reminders(seed=seed, today=today)
        refresh_summaries(as_of=today)
        self.stdout.write(
            f"Seeded {field.agents} agents, {field.collectors} collectors, {field.payments} receipts, "
            f"{field.visits} visits, {field.referrals} referrals, {field.sessions} training sessions, "
            f"{reminders} reminders; dashboards computed."
        )

    @transaction.atomic
    def _villages(self, world, communes):
        wanted = {c.code: world.villages_for(c) for c in communes}
        Village.objects.bulk_create([v for vs in wanted.values() for v in vs], ignore_conflicts=True)
        by_commune = {code: [] for code in wanted}
        for village in Village.objects.filter(commune__in=communes).select_related("commune").order_by("pk"):
            by_commune[village.commune_id].append(village)
        return by_commune

    @transaction.atomic
    def _insert(self, batch, totals):
        """Households, members and cover in three set-based writes: COPY on
        PostgreSQL (a million households), bulk_create elsewhere. Every column
        of each model is written, so a field added later needs no change here."""
        households = [household for household, _ in batch]
        insert(Household, households)
        members, drafts = [], []
        for household, people in batch:
            for person in people:
                members.append(Member(
                    household=household, full_name=person.full_name, search_key=search_key(person.full_name),
                    date_of_birth=person.date_of_birth, sex=person.sex, ethnicity=person.ethnicity,
                    relation=person.relation, citizen_id=person.citizen_id, si_number=person.si_number,
                    phone=person.phone,
                ))
                drafts.append(person)
        insert(Member, members)
        enrolments = [Enrolment(member=member, **fields)
                      for member, person in zip(members, drafts) for fields in person.enrolments]
        insert(Enrolment, enrolments)
        self._count(totals, batch, len(members), len(enrolments))

    @staticmethod
    def _count(totals, batch, members, enrolments):
        totals["households"] += len(batch)
        totals["members"] += members
        totals["enrolments"] += enrolments
