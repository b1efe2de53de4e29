"""The four roles as groups with their permissions, kept in step with the
models after every `migrate` (post_migrate), so a new model's permissions
reach the roles without a hand-written migration.

What each role may *see* is decided by outreach.access; the permissions
here decide what it may *do* in the admin."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

# The groups' names, as staff read them in the admin (outreach's migration renamed the English ones).
PROVINCIAL_STAFF = "Cán bộ BHXH tỉnh"
AGENT_MANAGER = "Quản lý đại lý thu"
COMMUNE_OFFICER = "Cán bộ xã"
COLLECTOR = "Nhân viên thu"

# Provincial staff keep everything: the registry, the field operation, reminder
# rules, the nightly schedule, users and exports of personal data.
PROVINCIAL_STAFF_APPS = ["households", "collectors", "reminders", "django_celery_beat", "auth"]
# (app label, model, actions) for the roles that only reach part of the province.
AGENT_MANAGER_PERMISSIONS = [
    ("households", "household", ["view"]),
    ("households", "member", ["view"]),
    ("households", "enrolment", ["view"]),
    ("households", "commune", ["view"]),
    ("households", "village", ["view"]),
    ("collectors", "agent", ["view"]),
    ("collectors", "collector", ["view", "change"]),
    ("collectors", "assignment", ["view", "add", "change"]),
    ("collectors", "target", ["view", "add", "change"]),
    ("collectors", "visit", ["view"]),
    ("collectors", "payment", ["view"]),
    ("collectors", "referral", ["view"]),
    ("collectors", "handover", ["view", "add"]),
    ("collectors", "cashheld", ["view"]),
    ("collectors", "officelist", ["view", "add"]),
]
COMMUNE_OFFICER_PERMISSIONS = [
    ("households", "household", ["view"]),
    ("households", "member", ["view"]),
    ("households", "enrolment", ["view"]),
    ("households", "commune", ["view"]),
    ("households", "village", ["view"]),
]


def _permissions(spec):
    query = Q(pk__in=[])
    for app_label, model, actions in spec:
        query |= Q(content_type__app_label=app_label, content_type__model=model,
                   codename__in=[f"{action}_{model}" for action in actions])
    return Permission.objects.filter(query)


def ensure_roles(**kwargs) -> dict[str, Group]:
    """Create the role groups and set their permissions; idempotent."""
    wanted = {
        PROVINCIAL_STAFF: Permission.objects.filter(content_type__app_label__in=PROVINCIAL_STAFF_APPS),
        AGENT_MANAGER: _permissions(AGENT_MANAGER_PERMISSIONS),
        COMMUNE_OFFICER: _permissions(COMMUNE_OFFICER_PERMISSIONS),
        COLLECTOR: Permission.objects.none(),  # the field pages only, no admin
    }
    groups = {}
    for name, permissions in wanted.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        groups[name] = group
    return groups


def provincial_staff_group() -> Group:
    return ensure_roles()[PROVINCIAL_STAFF]
