from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from households.models import Enrolment, Household, Member
from households.validators import citizen_id_warnings

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def seed(households=300, seed=7):
    out = StringIO()
    call_command("load_communes", stdout=StringIO())
    call_command("seed_demo", households=households, seed=seed, today=TODAY, stdout=out)
    return out.getvalue()


def snapshot():
    """The registry as plain rows, in an order that does not depend on ids."""
    rows = [
        Household.objects.values_list("code", "commune_id", "village__name", "economic_status", "phone"),
        Member.objects.values_list(
            "household__code", "full_name", "date_of_birth", "sex", "ethnicity", "citizen_id", "si_number", "phone"),
        Enrolment.objects.values_list(
            "member__household__code", "member__full_name", "scheme", "card_number", "coverage_start",
            "coverage_end", "status", "monthly_amount"),
    ]
    return [sorted(query, key=repr) for query in rows]


def wipe():
    Enrolment.objects.all().delete()
    Member.objects.all().delete()
    Household.objects.all().delete()


def test_the_same_seed_gives_the_same_registry():
    seed(seed=7)
    first = snapshot()
    wipe()
    seed(seed=7)
    assert snapshot() == first
    wipe()
    seed(seed=8)
    assert snapshot() != first


def test_households_look_like_dak_lak():
    assert "Seeded 300 households" in seed(households=300)
    members = list(Member.objects.all())
    sizes = Counter(Member.objects.values_list("household_id", flat=True)).values()
    assert 1 <= min(sizes) and max(sizes) <= 7
    assert 2.8 <= len(members) / 300 <= 4.2  # Vietnam's households average 3.5 people
    assert Household.objects.filter(members__relation="head").count() == 300
    # Ê Đê and M'nông names: Y for men, H' for women.
    assert any(m.full_name.startswith("Y ") and m.sex == "M" for m in members)
    assert any(m.full_name.startswith("H'") and m.sex == "F" for m in members)
    assert any(m.ethnicity == "01" for m in members) and any(m.ethnicity == "12" for m in members)
    # Citizen IDs agree with date of birth and sex.
    assert all(citizen_id_warnings(m.citizen_id, m.date_of_birth, m.sex) == [] for m in members)
    # A mix of active, lapsed and uninsured people, with ends spread over the year.
    insured = set(Enrolment.objects.values_list("member_id", flat=True))
    assert 0.2 < 1 - len(insured) / len(members) < 0.7
    statuses = Counter(Enrolment.objects.values_list("status", flat=True))
    assert statuses["active"] > statuses["lapsed"] > 0
    end_months = {d.month for d in Enrolment.objects.filter(status="active").values_list("coverage_end", flat=True)}
    assert len(end_months) == 12
    assert Enrolment.objects.filter(scheme="bhxh_tn").exists()
    # Household ladder: 113,850 ₫ for the first member at the 2026 base salary, less for the others.
    assert set(Enrolment.objects.filter(scheme="bhyt_hgd").values_list("monthly_amount", flat=True)) <= {
        113_850, 79_695, 68_310, 56_925, 45_540}


def test_an_enrolment_never_overlaps_another_of_the_same_member_and_scheme():
    seed(households=200)
    for enrolment in Enrolment.objects.all():
        enrolment.full_clean()


def test_a_registry_that_holds_households_is_left_alone():
    seed(households=20)
    out = StringIO()
    call_command("seed_demo", households=50, stdout=out)
    assert out.getvalue().strip() == "The registry already holds 20 households; nothing seeded."
    assert Household.objects.count() == 20


def test_seeding_without_communes_says_what_to_run():
    with pytest.raises(CommandError, match="run `manage.py load_communes --province 66` first"):
        call_command("seed_demo", households=5, stdout=StringIO())
