from django import template
from django.urls import reverse

from reports.selectors import can_view_dashboards
from reports.tables import display
from reports.views import PAGES

register = template.Library()


@register.simple_tag
def cell(value, column):
    return display(value, column.kind)


@register.simple_tag
def dashboard_pages(user):
    """[(title, url)] of the dashboards `user` may open, for the admin index."""
    if not can_view_dashboards(user):
        return []
    return [(page.title, reverse(f"admin:reports_{name}")) for name, page in PAGES.items()]
