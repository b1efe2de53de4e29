"""One search for the registry, used by the admin, autocompletes and (later)
the field pages: a name typed with or without diacritics, or an identifier
(citizen ID, social-insurance number, phone, card number in either form)."""

import re

from django.db.models import Q

from .models import Enrolment, Household, Member
from .text import search_key
from .validators import normalize_card_number, normalize_phone, si_number_from_card

_IDENTIFIER = re.compile(r"^[+\d\s.\-()]+$|^[A-Za-z]{2}\d[\d\s.\-]+$")


def member_filter(term: str) -> Q:
    term = term.strip()
    if not term:
        return Q()
    if not _IDENTIFIER.match(term):
        return Q(search_key__contains=search_key(term))
    digits = re.sub(r"\D", "", term)
    card = normalize_card_number(term)
    q = Q(citizen_id=digits) | Q(phone=normalize_phone(term)) | Q(si_number=digits)
    si = si_number_from_card(card)
    if si:
        q |= Q(si_number=si)
    # Looked up first (one indexed query) so that the whole OR stays a union of
    # index scans; as a subquery inside the OR PostgreSQL would scan every member.
    card_holders = list(Enrolment.objects.filter(card_number=card).values_list("member_id", flat=True)[:50])
    if card_holders:
        q |= Q(pk__in=card_holders)
    return q


def search_members(queryset, term: str):
    return queryset.filter(member_filter(term))


def search_households(queryset, term: str):
    term = term.strip()
    if not term:
        return queryset
    found = Member.objects.filter(member_filter(term)).order_by().values("household_id")
    # A household's own code or phone could be meant too, unless it is a name of several words (codes
    # have no spaces). As one set of ids (UNION): an OR of the household's columns and a subquery on
    # its members PostgreSQL answers by reading every household (1M: 174 → 76 ms).
    if _IDENTIFIER.match(term) or " " not in term:
        own = Q(code=term) | Q(phone=normalize_phone(term)) if _IDENTIFIER.match(term) else Q(code=term)
        found = found.union(Household.objects.filter(own).order_by().values("pk"))
    return queryset.filter(pk__in=found)


def search_enrolments(queryset, term: str):
    term = term.strip()
    if not term:
        return queryset
    members = Member.objects.filter(member_filter(term))
    if not _IDENTIFIER.match(term):  # a name: its members' enrolments (a semi-join)
        return queryset.filter(member__in=members)
    # Or a card number, as one set of ids (see search_households).
    found = Enrolment.objects.filter(member__in=members).order_by().values("pk").union(
        Enrolment.objects.filter(card_number=normalize_card_number(term)).order_by().values("pk"))
    return queryset.filter(pk__in=found)
