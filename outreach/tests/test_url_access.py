"""Every URL of the project, asked by every role, never shows a household
outside that role's area; posted to by every role that reads (or changes only
part of) the admin, never changes what that role may not change.

The test walks the URL resolver, so a URL added later is walked too; a URL
whose parameters it does not know how to fill fails the test until
`concrete_urls` learns them.
"""

import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from collectors.models import Payment, Target, TrainingCourse, Visit
from collectors.payments import record_payment
from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory, UserFactory
from households.models import Enrolment, Household, Member
from households.quotes import quote_household_payment
from households.tests.factories import EnrolmentFactory, HouseholdFactory, MemberFactory
from outreach.roles import AGENT_MANAGER, COMMUNE_OFFICER, ensure_roles
from reminders.models import ChannelPolicy

pytestmark = pytest.mark.django_db

# What must never appear outside the area: the outside household's identity and personal data.
OUTSIDE = {
    "code": "OUTSIDE-HGD-0001",
    "name": "Zyxwv Outsider",
    "citizen_id": "066199999999",
    "phone": "0987000111",
    "receipt": "RCPT-OUTSIDE-9",
    "note": "note-of-the-outside-visit",
}
# Models whose rows belong to a household: outside ones must not even open.
HOUSEHOLD_MODELS = {
    "households.household", "households.member", "households.enrolment", "collectors.visit",
    "collectors.payment", "collectors.referral", "reminders.reminder", "reminders.message",
    "reminders.reminderoptout", "reminders.householdemail",
}


def walk(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def household_with_everything(collector, *, code, name, citizen_id, phone, receipt, note):
    household = HouseholdFactory(code=code, phone=phone)
    AssignmentFactory(collector=collector, commune=household.commune, start=date(2020, 1, 1))
    member = MemberFactory(household=household, relation=Member.Relation.HEAD, full_name=name,
                           citizen_id=citizen_id, phone=phone, date_of_birth=date(1970, 1, 1))
    EnrolmentFactory(member=member, coverage_start=date.today() - timedelta(days=300),
                     coverage_end=date.today() + timedelta(days=10))
    quote = quote_household_payment(household=household, members=[member], scheme="bhyt_hgd", months=3,
                                     day=date.today())
    record_payment(collector=collector, household=household, members=[member], scheme="bhyt_hgd", months=3,
                   paid_on=date.today(), receipt_number=receipt, amount=quote.total, recorded_by=collector.user)
    import uuid

    from django.utils import timezone

    Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=household, member=member,
                         visited_at=timezone.now(), outcome="interested", note=note)
    return household


@pytest.fixture
def world():
    groups = ensure_roles()
    inside_collector, outside_collector = CollectorFactory(), CollectorFactory(agent=AgentFactory())
    inside = household_with_everything(
        inside_collector, code="INSIDE-HGD-0001", name="Inside Person", citizen_id="066188888888",
        phone="0987000222", receipt="RCPT-INSIDE-1", note="note-of-the-inside-visit")
    outside = household_with_everything(outside_collector, **OUTSIDE)
    manager = UserFactory(username="manager", is_staff=True)
    manager.groups.add(groups[AGENT_MANAGER])
    inside_collector.agent.managers.add(manager)
    officer = UserFactory(username="officer", is_staff=True)
    officer.groups.add(groups[COMMUNE_OFFICER])
    inside.commune.officers.add(officer)
    nobody = UserFactory(username="nobody", is_staff=True)
    Target.objects.create(collector=inside_collector, month=date(2026, 11, 1), visits=10)
    ChannelPolicy.objects.order_by("pk").last().delete()  # every channel has one: a channel left to add
    TrainingCourse.objects.create(title="Kỹ năng tư vấn", topic=TrainingCourse._meta.get_field("topic").choices[0][0])
    roles = {"agent manager": manager, "commune officer": officer, "collector": inside_collector.user,
             "staff without a role": nobody, "anonymous": None}
    return inside, outside, roles


def outside_object(model, outside):
    """The outside household's row of `model`, or any row (or none) for other models."""
    found = {
        Household: outside,
        Member: outside.members.first(),
        Enrolment: Enrolment.objects.filter(member__household=outside).first(),
        Payment: outside.payments.first(),
        Visit: outside.visits.first(),
    }
    if model in found:
        return found[model]
    label = model._meta.label_lower
    if label in HOUSEHOLD_MODELS and hasattr(model, "household"):
        return model.objects.filter(household=outside).first()
    return model.objects.order_by("pk").first()


def model_in(route):
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match:
        try:
            return apps.get_model(match[1], match[2])
        except LookupError:
            return None
    return None


def concrete_urls(route, outside):
    """The URLs to ask for a route, with its parameters filled in; the second
    value says whether it names a row of household `outside` (the outside
    household for the walk of GETs, the inside one for the walk of POSTs)."""
    model = model_in(route)
    target = outside_object(model, outside) if model else None
    object_pk = str(target.pk) if target is not None else "999999"
    names_outside = ("<" in route and model is not None and model._meta.label_lower in HOUSEHOLD_MODELS
                     and target is not None)
    values = {
        "object_id": object_pk,
        "pk": str(outside.pk) if route.startswith("field/") else object_pk,
        "id": object_pk,
        "language": "vi",
        "extension": "csv",
        "content_type_id": str(ContentType.objects.get_for_model(Household).pk),
        "agent_pk": str(outside.payments.first().agent_id),
        "token": "a-token-nobody-was-given",  # a receipt link opens only with its own token
    }
    if route.startswith("field/receipt/"):  # the collector's receipt pages: the outside receipt must not open
        values["pk"] = str(outside.payments.first().pk)
        names_outside = True
    if "(?P<app_label>" in route:
        return [(f"/admin/{label}/", False) for label in ("households", "collectors", "reminders", "reports")]
    if "(?P<url>" in route:
        return [("/admin/no-such-page/", False)]
    if "^([^/]+)/history/([^/]+)/$" in route:  # django-simple-history's revert page (a regex route)
        version = target.history.order_by("history_date").last() if target is not None else None
        filled = f"{object_pk}/history/{version.history_id if version else 999999}/"
        names_row = model._meta.label_lower in HOUSEHOLD_MODELS and target is not None
        return [("/" + route.replace("^([^/]+)/history/([^/]+)/$", filled), names_row)]
    unknown = []

    def fill(match):
        name = match[1]
        if name not in values:
            unknown.append(name)
            return ""
        if name == "object_id" and "content_type_id" in route:
            return str(outside.pk)
        return values[name]

    url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route).lstrip("^").rstrip("$")
    assert not unknown, f"test_url_access does not know how to fill {unknown} in {route!r}: teach concrete_urls"
    return [(url.replace("\\", ""), names_outside or route.startswith("field/h/"))]


def test_no_url_shows_anything_of_a_household_outside_the_roles_area(client, world):
    inside, outside, roles = world
    routes = sorted(set(walk()))
    assert len(routes) > 100  # the admin's and the field pages' URLs are all there
    leaks = []
    for role, user in roles.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for route in routes:
            for url, names_outside in concrete_urls(route, outside):
                if "logout" in url:
                    continue
                response = client.get(url)
                body = response.content.decode(errors="replace") if response.status_code == 200 else ""
                shown = [marker for marker in OUTSIDE.values() if marker in body]
                if names_outside and response.status_code == 200:
                    leaks.append(f"{role}: {url} opened an outside household's row ({response.status_code})")
                elif shown:
                    leaks.append(f"{role}: {url} shows {shown}")
    assert leaks == [], "\n".join(leaks)


def test_the_roles_do_see_their_own_area(client, world):
    """The walk above would pass if nobody saw anything: check the inside is shown."""
    inside, outside, roles = world
    for role in ["agent manager", "commune officer"]:
        client.force_login(roles[role])
        html = client.get("/admin/households/household/").content.decode()
        assert "INSIDE-HGD-0001" in html and "OUTSIDE-HGD-0001" not in html
    client.force_login(roles["collector"])
    assert "Inside Person" in client.get(f"/field/h/{inside.pk}/").content.decode()
    assert client.get(f"/field/h/{outside.pk}/").status_code == 404


def test_field_forms_refuse_an_outside_household_and_change_nothing(client, world):
    inside, outside, roles = world
    client.force_login(roles["collector"])
    visits, payments = Visit.objects.count(), Payment.objects.count()
    for action in ["visit", "pay", "referral"]:
        response = client.post(f"/field/h/{outside.pk}/{action}/", {"outcome": "interested",
                                                                   "visited_at": "01/11/2026 10:00"})
        assert response.status_code == 404
    assert (Visit.objects.count(), Payment.objects.count()) == (visits, payments)


# --- POSTs: a role that may not change a row changes nothing, whatever it posts ----------

# The roles that read (or change only part of) the admin, and what each may change
# (README, "Who may see what"; outreach/roles.py): the agent manager their own agent's
# collectors and their badges, the collectors' areas (Assignment, within the agent's
# communes) and monthly targets, hand-overs and the lists for the office.
PARTIAL_ROLES = ["commune officer", "agent manager", "staff without a role", "collector", "anonymous"]
MAY_CHANGE = {
    "agent manager": {  # their own agent's rows only: every other row of these tables is watched
        "collectors.collector": "agent__managers",
        "collectors.assignment": "collector__agent__managers",
        "collectors.historicalassignment": "collector__agent__managers",
        "collectors.target": "collector__agent__managers",
        "collectors.badge": "collector__agent__managers",  # prints or revokes their collectors' badges
        "collectors.handover": "agent__managers",  # records their collectors' hand-overs…
        "collectors.handoverreceipt": "handover__agent__managers",
        "collectors.officelist": "agent__managers",  # …and produces their agents' lists for the office
        "collectors.officelistentry": "office_list__agent__managers",
        "admin.logentry": "user",  # what they changed is logged
    },
}
# Rows a request writes without changing anything: sessions and sign-in records,
# and the log of what was exported (reading is allowed, and logged).
NOT_CHANGES = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog",
               "households.exportlog"}
# What an attacker changes in a form posted back (hole 1: cover to 2099, amount 1 ₫).
ATTACK = {"coverage_end": "31/12/2099", "status": "active", "monthly_amount": "1", "full_name": "Changed By Attack",
          "end": "31/12/2099", "visits": "999", "amount": "1", "note": "changed by an attack",
          "address": "changed by an attack", "active": "on", "name": "Changed By Attack"}


def watched(role, user):
    """(tables watched whole, querysets of the tables the role may change
    rows of, without those rows)."""
    skip = NOT_CHANGES | set(MAY_CHANGE.get(role, {}))
    whole = [m for m in apps.get_models() if m._meta.label_lower not in skip and m._meta.managed]
    partly = [apps.get_model(label)._base_manager.exclude(**{path: user})
              for label, path in MAY_CHANGE.get(role, {}).items()]
    return whole, partly


def row_counts(tables):
    """Every watched table's row count: the whole tables in one query."""
    from django.db import connection

    whole, partly = tables
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT '{m._meta.label_lower}', COUNT(*) FROM {quote(m._meta.db_table)}"
                             for m in whole)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = dict(cursor.fetchall())
    return counts | {f"{qs.model._meta.label_lower} (others')": qs.count() for qs in partly}


def every_value(tables):
    whole, partly = tables
    return {m._meta.label_lower: list(m._base_manager.order_by("pk").values_list()) for m in whole} | {
        f"{qs.model._meta.label_lower} (others')": list(qs.order_by("pk").values_list()) for qs in partly}


def attack_payloads(staff_client, url, adder=None):
    """What to post to `url`: each form its page shows provincial staff,
    posted back with the attacker's values (an add page: the form filled in
    as `adder`, provincial staff, would save it, see add_payload); each action
    of a list on all its rows; a confirmation ("post": "yes", as the delete
    pages ask); nothing."""
    from .formdata import form_data

    confirm = {"post": "yes"}
    if adder is not None and url.startswith("/admin/") and url.endswith("/add/"):
        return [add_payload(adder, url) or confirm]
    page = staff_client.get(url)
    if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
        return [confirm]
    html = page.content.decode()
    form = form_data(html)
    payloads = [{**form, **{k: [v] for k, v in ATTACK.items() if k in form}, "_save": ["Save"]} if form else confirm]
    listed = form_data(html, "changelist-form")
    if listed:
        rows = re.findall(r'name="_selected_action" value="([^"]+)"', html)
        payloads.append({**listed, "_save": ["Save"]})  # the list's editable columns
        select = re.search(r'<select name="action"[^>]*>(.*?)</select>', html, re.S)
        for action in re.findall(r'<option value="(\w+)"', select[1] if select else ""):
            payloads.append({"action": [action], "_selected_action": rows, "index": ["0"], "post": ["yes"]})
    return payloads


def test_no_post_by_a_read_only_or_partial_role_changes_anything(client, world):
    """Every admin URL (change, history, revert, add, delete, list actions,
    imports, the views of our own) and every field URL, posted to by each role
    that may not change what it names: row counts after each POST, and every
    value of every table after each role, are as before."""
    from django.test import Client

    inside, outside, roles = world
    staff = Client()
    staff.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    adder = provincial_staff_client()
    routes = [r for r in sorted(set(walk())) if "logout" not in r and "login" not in r]
    payloads = {}
    changes = []
    for role in PARTIAL_ROLES:
        user = roles[role]
        client.logout()
        if user is not None:
            client.force_login(user)
        models = watched(role, user)
        values, counts = every_value(models), row_counts(models)
        for route in routes:
            if route.startswith("field/") and role == "collector":
                continue  # a collector's own work; test_field_* prove the field forms refuse outside rows
            urls = {url for household in (inside, outside) for url, _names_row in concrete_urls(route, household)}
            for url in sorted(urls):
                if url not in payloads:
                    payloads[url] = attack_payloads(staff, url, adder)
                for data in payloads[url]:
                    client.post(url, data)
                    after = row_counts(models)
                    if after != counts:
                        changed = {k: (counts[k], after[k]) for k in after if after[k] != counts[k]}
                        changes.append(f"{role}: POST {url} {sorted(data)[:6]} changed row counts {changed}")
                        counts = after
        after = every_value(models)
        changes += [f"{role}: some POST changed {label}" for label in values if values[label] != after[label]]
    assert changes == [], "\n".join(changes)


def test_the_post_walk_would_see_a_change(client, world):
    """The walk above passes only if the roles' POSTs change nothing; check
    that the same POSTs by someone who may change the rows do change them."""
    from django.test import Client

    inside, outside, roles = world
    enrolment = Enrolment.objects.get(member__household=inside)
    version = enrolment.history.latest("history_date")
    staff = Client()
    staff.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = f"/admin/households/enrolment/{enrolment.pk}/history/{version.history_id}/"
    models = watched("commune officer", roles["commune officer"])
    counts = row_counts(models)
    for data in attack_payloads(staff, url):
        staff.post(url, data)
    enrolment.refresh_from_db()
    assert enrolment.coverage_end == date(2099, 12, 31) and enrolment.monthly_amount == 1
    assert row_counts(models) != counts


# --- Add pages: the walk posts what provincial staff would fill in, so that a hole shows ----------------

# Values the generic filling (add_payload) cannot guess: identifiers with their own format, and rows that
# must agree with each other. Rows chosen are the outside household's and collector's (the last made).
def _first_of_month():
    return date.today().replace(day=1).strftime("%d/%m/%Y")


def _outside_receipt_total():
    return str(Payment.objects.get(receipt_number=OUTSIDE["receipt"]).amount)


def _free_channel():
    taken = set(ChannelPolicy.objects.values_list("channel", flat=True))
    return next(value for value, _label in ChannelPolicy._meta.get_field("channel").choices if value not in taken)


def _first_household():
    return str(Household.objects.order_by("pk").first().pk)


def _outside_receipts_collector():
    """A target is a collector's or a commune's: the collector of the outside receipt."""
    return str(Payment.objects.get(receipt_number=OUTSIDE["receipt"]).collector_id)


def _a_crontab():
    from django_celery_beat.models import CrontabSchedule

    return str(CrontabSchedule.objects.order_by("pk").first().pk)


ADD_VALUES = {
    "auth.user": {"username": "added-by-staff", "password1": "Qv7!horse-battery-lamp",
                  "password2": "Qv7!horse-battery-lamp"},
    "collectors.handover": {"receipts": OUTSIDE["receipt"], "total": _outside_receipt_total},
    "collectors.referral": {"referred_by_household": _first_household},
    "collectors.target": {"month": _first_of_month, "collector": _outside_receipts_collector},
    "collectors.visit": {"client_id": "7d3f0c2e-4b1a-4c55-9a0e-2f4b7d1e9c31"},
    "django_celery_beat.periodictask": {"task": "added.by.staff", "crontab": _a_crontab},
    "households.enrolment": {"scheme": "bhxh_tn", "monthly_amount": "330000"},
    "households.member": {"relation": "spouse"},
    "reminders.channelpolicy": {"channel": _free_channel},
}


def add_routes():
    return sorted(route for route in set(walk()) if route.startswith("admin/") and route.endswith("/add/"))


def add_payload(staff_client, url):
    """The add form of `url` as provincial staff see it, its required fields filled with valid values
    (ADD_VALUES, else a value of the field's kind; related rows: the last one, the outside's): posted by
    staff it adds one row. None where the page does not open for staff (nobody may add there)."""
    from django import forms
    from django.contrib import admin
    from django.test import RequestFactory
    from django.utils import timezone

    from .formdata import form_data

    page = staff_client.get(url)
    if page.status_code != 200:
        return None
    data = form_data(page.content.decode())
    model = model_in(url.lstrip("/"))
    model_admin = admin.site._registry[model]
    request = RequestFactory().get(url)
    request.user = page.wsgi_request.user
    today = timezone.localdate()
    for name, field in model_admin.get_form(request, None).base_fields.items():
        if isinstance(field, forms.SplitDateTimeField):
            if not data.get(f"{name}_0", [""])[0]:
                data[f"{name}_0"], data[f"{name}_1"] = [today.strftime("%d/%m/%Y")], ["09:00"]
            continue
        if not field.required or data.get(name, [""])[0]:
            continue
        if isinstance(field, forms.ModelChoiceField):  # multiple choices too
            last = field.queryset.order_by("pk").last()
            data[name] = [str(last.pk)] if last is not None else []
        elif isinstance(field, forms.ChoiceField):
            data[name] = [next(str(value) for value, _label in field.choices if value not in ("", None))]
        elif isinstance(field, forms.DateField):
            data[name] = [today.strftime("%d/%m/%Y")]
        elif isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
            data[name] = [str(max(1, field.min_value or 1))]
        elif isinstance(field, forms.BooleanField):
            data[name] = ["on"]
        elif isinstance(field, forms.EmailField):
            data[name] = ["added@example.com"]
        else:
            data[name] = ["Added by staff"[: getattr(field, "max_length", None) or 100]]
    for name, value in ADD_VALUES.get(model._meta.label_lower, {}).items():
        data[name] = [value() if callable(value) else value]
    return {**data, "_save": ["Save"]}


def provincial_staff_client():
    from django.test import Client

    from outreach.roles import provincial_staff_group

    user = UserFactory(username="provincial", is_staff=True)
    user.groups.add(provincial_staff_group())
    staff = Client()
    staff.force_login(user)
    return staff


def test_every_add_payload_adds_a_row_for_provincial_staff_and_none_for_the_other_roles(client, world):
    """The walk's POSTs to the add pages are forms staff would save (they were refused as incomplete, so
    an add by a role that may not add would not have shown): each add page's payload, posted by each role
    that reads or changes only part of the admin, adds nothing (rows of other agents, for a manager: the
    payload names the outside collector and household); posted by provincial staff, it adds a row."""
    from django.db import transaction

    inside, outside, roles = world
    staff = provincial_staff_client()
    failures, tried = [], []
    for route in add_routes():
        url = "/" + route
        data = add_payload(staff, url)
        if data is None:
            continue
        tried.append(route)
        model = model_in(route)
        before = model._base_manager.count()
        for role in PARTIAL_ROLES:
            client.logout()
            if roles[role] is not None:
                client.force_login(roles[role])
            client.post(url, data)
            if model._base_manager.count() != before:
                failures.append(f"{role} added a row at {url}")
                before = model._base_manager.count()
        with transaction.atomic():
            response = staff.post(url, data)
            added = model._base_manager.count() - before
            transaction.set_rollback(True)
        if added != 1:
            errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
            failures.append(f"provincial staff: {url}: {response.status_code}, added {added}; {errors[:3]}")
    from django.test import Client

    root = Client()
    root.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert tried == [route for route in add_routes() if root.get("/" + route).status_code == 200]
    assert len(tried) > 25
    assert failures == [], "\n".join(failures)
