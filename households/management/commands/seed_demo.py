from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from households.demo import DemoWorld
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

    def _insert(self, batch, totals):
        if connection.vendor == "postgresql":
            self._copy(batch, totals)
        else:
            self._bulk_create(batch, totals)

    @transaction.atomic
    def _bulk_create(self, batch, totals):
        Household.objects.bulk_create([household for household, _ in batch])
        members, drafts = [], []
        for household, people in batch:
            for person in people:
                members.append(Member(
                    household=household, full_name=person.full_name, date_of_birth=person.date_of_birth,
                    sex=person.sex, ethnicity=person.ethnicity, relation=person.relation,
                    citizen_id=person.citizen_id, si_number=person.si_number, phone=person.phone,
                ))
                drafts.append(person)
        Member.objects.bulk_create(members, batch_size=2_000)
        enrolments = [Enrolment(member=member, **fields)
                      for member, person in zip(members, drafts) for fields in person.enrolments]
        Enrolment.objects.bulk_create(enrolments, batch_size=2_000)
        self._count(totals, batch, len(members), len(enrolments))

    @staticmethod
    def _count(totals, batch, members, enrolments):
        totals["households"] += len(batch)
        totals["members"] += members
        totals["enrolments"] += enrolments

    @transaction.atomic
    def _copy(self, batch, totals):
        """PostgreSQL: the same rows through COPY, several times faster than
        INSERTs at a million households (the quick start's SQLite uses bulk_create)."""
        now = timezone.now()
        household_ids = _reserve_ids(Household, len(batch))
        people = [(household_id, person) for household_id, (_, persons) in zip(household_ids, batch)
                  for person in persons]
        member_ids = _reserve_ids(Member, len(people))
        _copy_rows(Household, ["id", "code", "commune_id", "village_id", "address", "phone", "economic_status",
                               "status_year", "created_at", "updated_at"],
                   ((hid, h.code, h.commune_id, h.village_id, h.address, h.phone, h.economic_status, h.status_year,
                     now, now) for hid, (h, _) in zip(household_ids, batch)))
        _copy_rows(Member, ["id", "household_id", "full_name", "search_key", "date_of_birth", "sex", "ethnicity",
                            "relation", "citizen_id", "si_number", "phone", "created_at", "updated_at"],
                   ((mid, hid, p.full_name, search_key(p.full_name), p.date_of_birth, p.sex, p.ethnicity, p.relation,
                     p.citizen_id, p.si_number, p.phone, now, now) for mid, (hid, p) in zip(member_ids, people)))
        enrolments = [(mid, e["scheme"], e["card_number"], e["coverage_start"], e["coverage_end"], e["status"],
                       e["monthly_amount"], now, now) for mid, (_, p) in zip(member_ids, people) for e in p.enrolments]
        _copy_rows(Enrolment, ["member_id", "scheme", "card_number", "coverage_start", "coverage_end", "status",
                               "monthly_amount", "created_at", "updated_at"], enrolments)
        self._count(totals, batch, len(people), len(enrolments))


def _reserve_ids(model, count):
    """`count` ids from the table's own sequence, so later inserts never collide."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def _copy_rows(model, columns, rows):
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
