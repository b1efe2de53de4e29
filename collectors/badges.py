"""The collector's badge: a QR code printed from the admin that opens a public
page with the collector's name, agent, communes and how long they are
assigned, so that a household can tell a real collector from an impostor.

The token is unguessable (secrets, 32 bytes) and revocable. Whoever is not an
active collector (unknown or revoked token, collector made inactive, no
assignment in force) gets the same "not an active collector" answer, and the
page links to nothing else of the registry."""

import secrets
from dataclasses import dataclass
from datetime import date

import segno
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.safestring import mark_safe

from .models import Assignment, Badge, Collector


@dataclass
class BadgeCard:
    full_name: str
    agent: str
    communes: list[str]
    active_until: date | None  # None: assigned with no end date


def badge_for(collector: Collector) -> Badge:
    """The collector's live badge, made the first time it is asked for."""
    badge = Badge.objects.filter(collector=collector, revoked_at__isnull=True).first()
    if badge:
        return badge
    try:
        with transaction.atomic():
            return Badge.objects.create(collector=collector, token=secrets.token_urlsafe(32))
    except IntegrityError:  # made a moment ago by another request
        return Badge.objects.get(collector=collector, revoked_at__isnull=True)


def revoke_badges(collectors) -> int:
    return Badge.objects.filter(collector__in=collectors, revoked_at__isnull=True).update(revoked_at=timezone.now())


def card_for_token(token: str, *, on: date | None = None) -> BadgeCard | None:
    """What the badge page shows for a live token of an active collector, else None."""
    on = on or timezone.localdate()
    badge = (Badge.objects.filter(token=token, revoked_at__isnull=True, collector__active=True,
                                  collector__user__is_active=True)
             .select_related("collector__agent").first())
    if badge is None:
        return None
    assignments = list(Assignment.objects.current(on).filter(collector=badge.collector)
                       .select_related("commune").order_by("commune__name"))
    if not assignments:
        return None
    ends = [a.end for a in assignments]
    communes = list(dict.fromkeys(str(a.commune.name) for a in assignments))
    return BadgeCard(full_name=badge.collector.full_name, agent=str(badge.collector.agent.name),
                     communes=communes, active_until=None if None in ends else max(ends))


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG, drawn on the server."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, title=url))  # noqa: S308 (segno escapes the title)
