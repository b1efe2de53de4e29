"""Writes to the registry that touch many rows: one way in for commands,
tasks, admin actions and imports."""

from datetime import date

from django.db import transaction
from vietnam_provinces import ProvinceCode, VietNamDivisionType, Ward

from .models import Commune, Enrolment
from .text import clean_spaces

_KIND_BY_DIVISION = {
    VietNamDivisionType.XA: Commune.Kind.XA,
    VietNamDivisionType.PHUONG: Commune.Kind.PHUONG,
    VietNamDivisionType.DAC_KHU: Commune.Kind.DAC_KHU,
}


@transaction.atomic
def load_communes(*, province_code: int) -> tuple[int, int]:
    """Create or correct the commune-level units of a province from the
    `vietnam-provinces` package. Returns (created, updated); idempotent."""
    existing = {c.code: c for c in Commune.objects.filter(province_code=province_code)}
    created, updated = [], []
    for ward in Ward.iter_by_province(ProvinceCode(province_code)):
        fields = {
            "name": clean_spaces(ward.name),
            "kind": _KIND_BY_DIVISION[ward.division_type],
            "province_code": province_code,
        }
        commune = existing.get(int(ward.code))
        if commune is None:
            created.append(Commune(code=int(ward.code), **fields))
        elif any(getattr(commune, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(commune, k, v)
            updated.append(commune)
    Commune.objects.bulk_create(created)
    Commune.objects.bulk_update(updated, ["name", "kind", "province_code"])
    return len(created), len(updated)


def mark_lapsed_enrolments(*, today: date) -> int:
    """Active or pending cover whose end has passed becomes lapsed; returns how many."""
    return Enrolment.objects.filter(
        status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.PENDING], coverage_end__lt=today
    ).update(status=Enrolment.Status.LAPSED)


def activate_started_enrolments(*, today: date) -> int:
    """Cover whose waiting period is over (start reached) becomes active."""
    return Enrolment.objects.filter(
        status=Enrolment.Status.PENDING, coverage_start__lte=today, coverage_end__gte=today
    ).update(status=Enrolment.Status.ACTIVE)
