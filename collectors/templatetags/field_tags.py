"""Filters of the field pages: amounts in đồng, visit outcomes, masked identifiers."""

from django import template

from households.contributions import format_vnd
from households.text import mask

from ..models import Visit

register = template.Library()


@register.filter
def vnd(amount):
    """1263600 → "1.263.600 ₫"."""
    return "" if amount is None else format_vnd(int(amount))


@register.filter
def outcome_label(value):
    return Visit.Outcome(value).label if value in Visit.Outcome.values else value


@register.filter
def masked(value, visible=4):
    return mask(value, visible)
