"""Each bad value is refused with a message that says what is expected,
by model validation (forms, admin, imports) and by the database itself."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from households.models import Enrolment, Household, Member
from households.tests.factories import (
    CommuneFactory,
    EnrolmentFactory,
    HouseholdFactory,
    MemberFactory,
    VillageFactory,
)
from households.validators import citizen_id_warnings, normalize_phone, si_number_from_card

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize(
    "value",
    ["06608012345", "0660801234567", "06608012345a", "O66080012345"],
)
def test_citizen_id_must_be_twelve_digits(value):
    member = MemberFactory.build(household=HouseholdFactory(), citizen_id=value)
    assert errors_of(member)["citizen_id"] == [f"Citizen ID “{value}” must be exactly 12 digits."]


def test_identifiers_typed_with_spaces_or_dots_are_stored_as_digits():
    member = MemberFactory(citizen_id="066 080.012-345", si_number=" 66 0123 4567 ")
    member.refresh_from_db()
    assert (member.citizen_id, member.si_number) == ("066080012345", "6601234567")


@pytest.mark.parametrize("value", ["660123456", "66012345678", "66012345x7"])
def test_si_number_must_be_ten_digits(value):
    member = MemberFactory.build(household=HouseholdFactory(), si_number=value)
    assert errors_of(member)["si_number"] == [f"Social-insurance number “{value}” must be exactly 10 digits."]


@pytest.mark.parametrize("value", ["0212345678", "091234567", "09123456789", "0312345678", "hello"])
def test_phone_must_be_a_vietnamese_mobile(value):
    member = MemberFactory.build(household=HouseholdFactory(), phone=value)
    message = errors_of(member)["phone"][0]
    assert message.startswith(f"Phone number “{value}” is not a Vietnamese mobile number")
    assert "10 digits starting 03, 05, 07, 08 or 09" in message


@pytest.mark.parametrize(
    "typed, stored",
    [("+84 912 345 678", "0912345678"), ("84912345678", "0912345678"), ("0912.345.678", "0912345678"),
     ("0386-123-456", "0386123456"), ("", "")],
)
def test_phone_is_stored_in_the_national_form(typed, stored):
    assert normalize_phone(typed) == stored


def test_member_saved_with_international_phone_is_stored_as_0x():
    member = MemberFactory(phone="+84 912 345 678")
    member.refresh_from_db()
    assert member.phone == "0912345678"


def test_blank_identifiers_are_stored_as_null_so_uniqueness_holds_only_where_present():
    household = HouseholdFactory()
    first = MemberFactory(household=household, citizen_id="", si_number="", phone="")
    second = MemberFactory(household=household, citizen_id="", si_number="", phone="")
    assert Member.objects.filter(pk__in=[first.pk, second.pk], citizen_id__isnull=True).count() == 2


@pytest.mark.parametrize("field, value", [("citizen_id", "066080000001"), ("si_number", "6601234567"),
                                          ("phone", "0912345678")])
def test_identifiers_are_unique(field, value):
    MemberFactory(**{field: value})
    duplicate = MemberFactory.build(household=HouseholdFactory(), **{field: value})
    assert "already exists" in errors_of(duplicate)[field][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(**{field: value})


@pytest.mark.parametrize(
    "field, value",
    [("citizen_id", "12345"), ("si_number", "12"), ("phone", "0112345678")],
)
def test_database_refuses_malformed_identifiers_that_skip_validation(field, value):
    member = MemberFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(**{field: value})


def test_date_of_birth_in_the_future_is_refused():
    tomorrow = date.today() + timedelta(days=2)
    member = MemberFactory.build(household=HouseholdFactory(), date_of_birth=tomorrow)
    assert errors_of(member)["date_of_birth"] == [f"Date {tomorrow:%d/%m/%Y} is in the future."]


def test_one_head_per_household():
    household = HouseholdFactory()
    MemberFactory(household=household, relation=Member.Relation.HEAD)
    second_head = MemberFactory.build(household=household, relation=Member.Relation.HEAD)
    assert errors_of(second_head)["__all__"] == ["This household already has a head."]


def test_village_must_belong_to_the_households_commune():
    household = HouseholdFactory.build(commune=CommuneFactory(), village=VillageFactory())
    assert errors_of(household)["village"] == ["This village belongs to another commune."]


def test_poor_status_needs_the_year_certified():
    household = HouseholdFactory.build(
        commune=CommuneFactory(), village=None, economic_status=Household.EconomicStatus.POOR
    )
    assert errors_of(household)["status_year"] == ["A poor or near-poor status needs the year it was certified."]


def test_coverage_start_after_end_is_refused_by_validation_and_database():
    enrolment = EnrolmentFactory.build(
        member=MemberFactory(), coverage_start=date(2026, 5, 1), coverage_end=date(2026, 4, 30)
    )
    assert errors_of(enrolment)["coverage_end"] == ["Coverage end must not be before coverage start."]
    with pytest.raises(IntegrityError), transaction.atomic():
        enrolment.save()


@pytest.mark.parametrize("card", ["GD466012345678", "XX4660123456789x", "12345"])
def test_card_number_must_be_either_form(card):
    enrolment = EnrolmentFactory.build(member=MemberFactory(), card_number=card)
    assert "10-digit social-insurance number or the 15-character code" in errors_of(enrolment)["card_number"][0]


def test_both_card_forms_are_accepted_and_lead_to_the_si_number():
    assert si_number_from_card("gd4 66 0123456789") == "0123456789"
    assert si_number_from_card("0123456789") == "0123456789"
    for card in ["GD4660123456789", "0123456789"]:
        EnrolmentFactory.build(member=MemberFactory(), card_number=card).full_clean()


def test_overlapping_enrolments_in_one_scheme_are_refused_with_the_existing_period():
    existing = EnrolmentFactory(coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31))
    overlapping = EnrolmentFactory.build(
        member=existing.member, coverage_start=date(2026, 12, 1), coverage_end=date(2027, 11, 30)
    )
    message = errors_of(overlapping)["__all__"][0]
    assert message == (
        "This member already has household health insurance (BHYT hộ gia đình) cover "
        "from 01/01/2026 to 31/12/2026, which overlaps."
    )


def test_adjacent_periods_other_schemes_and_cancelled_cover_do_not_overlap():
    existing = EnrolmentFactory(coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31))
    EnrolmentFactory.build(member=existing.member, coverage_start=date(2027, 1, 1),
                           coverage_end=date(2027, 12, 31)).full_clean()
    EnrolmentFactory.build(member=existing.member, scheme=Enrolment.Scheme.BHXH_VOLUNTARY,
                           coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31)).full_clean()
    existing.status = Enrolment.Status.CANCELLED
    existing.save()
    EnrolmentFactory.build(member=existing.member, coverage_start=date(2026, 6, 1),
                           coverage_end=date(2027, 5, 31)).full_clean()


@pytest.mark.postgres
def test_postgresql_refuses_overlapping_enrolments_even_without_validation():
    existing = EnrolmentFactory(coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31))
    with pytest.raises(IntegrityError, match="enrolment_no_overlap"), transaction.atomic():
        EnrolmentFactory(member=existing.member, coverage_start=date(2026, 12, 31), coverage_end=date(2027, 3, 30))


@pytest.mark.parametrize(
    "citizen_id, born, sex, expected",
    [
        ("066180012345", date(1980, 3, 1), "F", []),
        ("066208012345", date(2008, 3, 1), "M", []),
        ("066080012345", date(1981, 3, 1), "M",
         ["Citizen ID 066080012345 says born in 1980, but the record says born in 1981: check both."]),
        ("066080012345", date(1980, 3, 1), "F",
         ["Citizen ID 066080012345 says male, but the record says female: check both."]),
        ("066980012345", date(1980, 3, 1), "F",
         ["Citizen ID 066980012345 has an unknown sex/century digit “9”."]),
    ],
)
def test_citizen_id_contradicting_birth_year_or_sex_is_warned_about(citizen_id, born, sex, expected):
    assert citizen_id_warnings(citizen_id, born, sex) == expected
