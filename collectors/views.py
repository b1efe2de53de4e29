"""The collector's phone pages under /field/. Thin: reads come from
`selectors`, writes go through `services`; every household is looked up in
the collector's area (`households_in_area`), so anything else is a 404."""

import json
import logging
import uuid
from datetime import date, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import LoginView, redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from households.contributions import format_vnd
from households.models import Enrolment, Member
from households.quotes import members_due

from . import selectors, services
from .forms import (
    FieldAuthenticationForm, HouseholdForm, MemberForm, MemberFormSet, PaymentForm, PotentialForm, VisitForm,
)
from .handovers import held_by
from .models import RefusedRegistration
from .payments import quote_for_collector
from .selectors import active_collector, households_in_area

logger = logging.getLogger(__name__)


def _json_body(request):
    """The request's JSON, or None when it is not JSON (or nested too deep to read)."""
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        return None


# Fields a form posts several values of (the outbox sends them as a JSON list).
LIST_FIELDS = {"helped_members"}


def _form_data(item: dict) -> dict:
    """JSON values as a form posts them: text. A number stays its digits; a
    list (but of a field of several values) or an object becomes text no
    field accepts, so that the field's own message says what it expects."""
    data = {}
    for key, value in item.items():
        if key in LIST_FIELDS and isinstance(value, list):
            data[key] = [_text(v) for v in value]
        else:
            data[key] = _text(value)
    return data


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return "[…]"


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("accept", "")


def collector_required(view):
    """Lets active collectors in, with `request.collector` and `request.area`
    (the households they may see); staff go to the admin, others sign in."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        collector = active_collector(request.user)
        if collector is None:
            if _wants_json(request):
                return JsonResponse({"error": _("Sign in again to send.")}, status=401)
            if request.user.is_authenticated and request.user.is_staff:
                return redirect("admin:index")
            return redirect_to_login(request.get_full_path(), reverse("field:login"))
        request.collector = collector
        request.area = households_in_area(collector)
        return view(request, *args, **kwargs)

    return wrapper


def _add_errors(form, error: ValidationError, months_field: str = "months") -> None:
    """The service's errors beside the fields they name (its "months" is the chosen scheme's months field)."""
    for field, messages_ in error.message_dict.items():
        field = months_field if field == "months" else field
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


class FieldLoginView(LoginView):
    template_name = "field/login.html"
    authentication_form = FieldAuthenticationForm

    def get_success_url(self):
        if active_collector(self.request.user) is None:
            return reverse("admin:index")  # staff without a collector account
        return super().get_success_url()

    def get_default_redirect_url(self):
        return reverse("field:today")


def home(request):
    """The site's front door: collectors to their day, staff to the admin, and
    whoever has not signed in to the field sign-in page, which sends each
    kind of user on to the right place."""
    if active_collector(request.user) is not None:
        return redirect("field:today")
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    return redirect("field:login")


MAX_PAGE = 1_000  # of Today's list: 50,000 households, more than any area; a larger number is no page


@collector_required
@require_GET
def today(request):
    try:
        page = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    on = timezone.localdate()
    listing = selectors.today_list(request.collector, request.area, on=on, page=page)
    return render(request, "field/today.html", {"listing": listing, "on": on})


@collector_required
@require_GET
def find(request):
    term = request.GET.get("q", "").strip()[:100]
    lines, more = selectors.find_households(request.collector, request.area, term, on=timezone.localdate())
    return render(request, "field/find.html", {"term": term, "lines": lines, "more": more})


@collector_required
@require_GET
def household(request, pk):
    on = timezone.localdate()
    found, covers, renewal, visits = selectors.household_detail(request.area, pk, on=on)
    return render(request, "field/household.html",
                  {"household": found, "covers": covers, "renewal": renewal, "visits": visits, "on": on,
                   "joining": selectors.never_covered(c.member for c in covers),
                   "potential_form": _potential_form(found)})


def _potential_form(household, data=None) -> PotentialForm:
    return PotentialForm(data, initial={"potential": household.potential, "potential_reason": household.potential_reason,
                                        "potential_return_month": household.potential_return_month})


@collector_required
@require_http_methods(["POST"])
def potential(request, pk):
    """Whether the household could join, from its page."""
    household = selectors.household_in_area(request.area, pk)
    form = _potential_form(household, request.POST)
    if form.is_valid() and form.cleaned_data["potential"]:
        services.set_potential(household=household, potential=form.cleaned_data["potential"],
                               reason=form.cleaned_data["potential_reason"],
                               return_month=form.cleaned_data["potential_return_month"], by=request.user)
        messages.success(request, _("Saved: %(potential)s.") % {"potential": household.get_potential_display()})
        return redirect("field:household", household.pk)
    if form.is_valid():
        form.add_error("potential", _("Choose whether the household could join."))
    on = timezone.localdate()
    found, covers, renewal, visits = selectors.household_detail(request.area, pk, on=on)
    return render(request, "field/household.html",
                  {"household": found, "covers": covers, "renewal": renewal, "visits": visits, "on": on,
                   "joining": selectors.never_covered(c.member for c in covers), "potential_form": form},
                  status=400)


def _visit_response(request, household, visit, created):
    if _wants_json(request):
        return JsonResponse(
            {"id": visit.pk, "client_id": str(visit.client_id), "created": created,
             "next": reverse("field:household", args=[household.pk])},
            status=201 if created else 200,
        )
    messages.success(request, _("Visit saved.") if created else _("This visit was already saved."))
    return redirect("field:household", household.pk)


@collector_required
@require_http_methods(["GET", "POST"])
def visit(request, pk):
    """Log a visit. Accepts a form post, or JSON from the phone's outbox
    (the same fields); the same client_id twice stores one visit."""
    household = selectors.household_in_area(request.area, pk)
    if request.method == "GET":
        form = VisitForm(household=household)
        form.initial["helped_members"] = [
            m.pk for m in selectors.digital_id_help_default(form.household_members, timezone.localdate())]
        return render(request, "field/visit.html", {"household": household, "form": form})
    if request.content_type == "application/json":
        data = _json_body(request)
        if not isinstance(data, dict):
            return JsonResponse({"errors": {"__all__": [_("The visit could not be read.")]}}, status=400)
        data = _form_data(data)
    else:
        data = request.POST
    form = VisitForm(data, household=household)
    if form.is_valid():
        try:
            saved, created = services.log_visit(collector=request.collector, household=household, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _visit_response(request, household, saved, created)
    if _wants_json(request):
        errors = {field: [str(m) for m in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    return render(request, "field/visit.html", {"household": household, "form": form})


# The phone's outbox sends what it kept in chunks of this many.
VISITS_PER_BATCH = 50


@collector_required
@require_http_methods(["POST"])
def visits(request):
    """The outbox's visits in one request, each stored or refused on its own:
    {"visits": [{"household": id, and the visit form's fields}, …]} answers
    {"results": [{"client_id", "id", "created"} or {"client_id", "errors"}, …]}
    in the same order. A phone back in signal after a day in the villages
    sends its queue at once instead of one request a visit."""
    body = _json_body(request)
    items = body.get("visits") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return JsonResponse({"errors": {"__all__": [_("The visits could not be read.")]}}, status=400)
    if len(items) > VISITS_PER_BATCH:
        message = _("Send at most %(count)d visits at once.") % {"count": VISITS_PER_BATCH}
        return JsonResponse({"errors": {"__all__": [message]}}, status=400)
    households = {h.pk: h for h in request.area.filter(pk__in={_household_id(item) for item in items} - {None})}
    with transaction.atomic():  # one commit for the batch; each visit in its own savepoint
        results = [_batch_visit(request.collector, households.get(_household_id(item)), item) for item in items]
    return JsonResponse({"results": results})


def _household_id(item) -> int | None:
    """The household's id as sent: a number, or its digits (ASCII only: "²" is a digit to Python)."""
    value = item.get("household")
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None  # a bigint


def _batch_visit(collector, household, item) -> dict:
    client_id = item.get("client_id")
    answer = {"client_id": client_id if isinstance(client_id, str) else ""}
    if household is None:
        return {**answer, "errors": {"household": [_("This household is not in your area.")]}}
    form = VisitForm(_form_data(item), household=household)
    if form.is_valid():
        try:
            saved, created = services.log_visit(collector=collector, household=household, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        except DatabaseError:  # rolled back to its savepoint: the others are still stored
            logger.exception("A visit of an outbox batch could not be stored")
            form.add_error(None, _("This visit could not be stored. Log it again on the household's page."))
        else:
            return {**answer, "id": saved.pk, "created": created}
    return {**answer, "errors": {field: [str(m) for m in errs] for field, errs in form.errors.items()}}


USUAL_MONTHS = 12  # a year of health insurance: what a household usually pays


def _usual_period(allowed) -> int | None:
    """12 months, or the longest period the scheme allows below it."""
    return max((m for m in allowed if m <= USUAL_MONTHS), default=None)


def _periods_on(day: date, today: date, rates):
    """The periods allowed on `day` (today's rates read once already), None when no rules were in force."""
    rates = rates if day == today else selectors.rates_or_none(day)
    return None if rates is None else selectors.periods_offered(rates)


def _payment_defaults(household, members, on, rates, periods):
    """Preselect who still has to pay, as the household page quotes them: members
    paying their own health insurance whose card ends within 30 days, has ended,
    or who have none; for the usual period."""
    return {"scheme": Enrolment.Scheme.BHYT_HOUSEHOLD, "paid_on": on, "client_id": uuid.uuid4(),
            "months": _usual_period(periods[Enrolment.Scheme.BHYT_HOUSEHOLD]),
            "bhxh_months": min(periods[Enrolment.Scheme.BHXH_VOLUNTARY], default=None),
            "members": [m.pk for m in members_due(household, members, on, rates)]}


@collector_required
@require_http_methods(["GET", "POST"])
def pay(request, pk):
    """Record a payment: the amount and how it is worked out are shown (and
    updated as choices change) before the receipt number is saved."""
    on = timezone.localdate()
    household = selectors.household_with_members(request.area, pk, on=on)
    members = list(household.members.all())
    rates = selectors.rates_or_none(on)
    periods = selectors.periods_offered(rates)
    saving = "save" in request.POST
    defaults = _payment_defaults(household, members, on, rates, periods)
    form = PaymentForm(request.POST if request.method == "POST" else None, members=members, periods=periods,
                       periods_on=lambda day: _periods_on(day, on, rates), saving=saving, initial=defaults)
    if rates and rates.bhxh_interest_rate is None and len(periods[Enrolment.Scheme.BHXH_VOLUNTARY]) < len(rates.bhxh_periods):
        form.fields["bhxh_months"].help_text = _(
            "Several years at once need the fund's interest rate for %(year)s, which the office has not entered yet."
        ) % {"year": on.year - 1}
    quote = None
    if request.method == "GET" and rates and defaults["members"] and defaults["months"]:
        # The page opens with the amount of the usual choice: no tap needed to see what is owed.
        try:
            quote = quote_for_collector(
                collector=request.collector, household=household, household_members=members, rates=rates,
                members=[m for m in members if m.pk in defaults["members"]], scheme=defaults["scheme"],
                months=defaults["months"], paid_on=on)
        except ValidationError:
            quote = None  # the usual choice does not apply here: the collector chooses
    # The amount is worked out as soon as the choices are right, so that it
    # stays in view while the receipt number is still missing or wrong.
    if request.method == "POST" and (form.is_valid() or not form.choice_errors()):
        choice = {"household": household, "members": form.chosen_members(), "scheme": form.cleaned_data["scheme"],
                  "months": form.cleaned_data["months"], "paid_on": form.cleaned_data["paid_on"],
                  "income": form.cleaned_data["income"]}
        try:
            quote = quote_for_collector(collector=request.collector, household_members=members, **choice)
        except ValidationError as error:
            _add_errors(form, error, months_field=form.months_field())
        if quote is not None and saving and form.is_valid():
            try:
                saved, _created = services.record_payment_with_visit(
                    collector=request.collector, client_id=form.cleaned_data["client_id"],
                    receipt_number=form.cleaned_data["receipt_number"], amount=form.cleaned_data["amount"],
                    recorded_by=request.user, **choice)
            except ValidationError as error:
                _add_errors(form, error, months_field=form.months_field())
            else:
                messages.success(request, _("Payment saved: %(amount)s, receipt %(number)s.") % {
                    "amount": format_vnd(saved.payment.amount), "number": saved.payment.receipt_number})
                return redirect("field:household", household.pk)
    context = {"household": household, "form": form, "quote": quote}
    if request.htmx:
        return render(request, "field/_quote.html", context)
    return render(request, "field/pay.html", context)


@collector_required
@require_http_methods(["GET", "POST"])
def register(request):
    """A new household (a prospect) and its members, after a look for people
    already registered."""
    places = selectors.area_places(request.collector)
    data = request.POST if request.method == "POST" else None
    adding = "add_member" in request.POST
    if adding:
        data = request.POST.copy()
        try:
            shown = min(max(int(data.get("m-TOTAL_FORMS") or 1), 1), MemberFormSet.max_num)
        except ValueError:
            shown = 1
        data["m-TOTAL_FORMS"] = str(min(shown + 1, MemberFormSet.max_num))
    only_place = next(iter(places)) if len(places) == 1 else ""
    form = HouseholdForm(data, places=places, initial={"client_id": uuid.uuid4(), "place": only_place})
    members = MemberFormSet(data, queryset=Member.objects.none(), prefix="m",
                            initial=[{"relation": Member.Relation.HEAD}], form_kwargs={"area": request.area})
    duplicates = []
    earlier = selectors.registered_from_phone(request.area, request.POST.get("client_id"))
    if earlier is not None:  # the same form sent again (a double tap, a retry)
        return redirect("field:household", earlier.pk)
    if request.method == "POST" and not adding:
        form_valid, members_valid = form.is_valid(), members.is_valid()
        if "place" in form.cleaned_data:
            duplicates = selectors.likely_duplicates(
                request.area, commune_id=form.chosen_place()[0], household_phone=form.instance.phone,
                people=[{f: getattr(m.instance, f) for f in ("full_name", "date_of_birth", "citizen_id",
                                                           "si_number", "phone")}
                        for m in members.forms if m.has_changed()])
        _tell_office_of_refusals(request.collector, request.area, members.forms)
        if form_valid and members_valid and (not duplicates or form.cleaned_data["confirm_new"]):
            commune_id, village_id = form.chosen_place()
            try:
                created_household, _created = services.register_household(
                    collector=request.collector, client_id=form.cleaned_data["client_id"], commune_id=commune_id,
                    village_id=village_id, address=form.cleaned_data["address"], phone=form.instance.phone,
                    economic_status=form.cleaned_data["economic_status"],
                    status_year=form.cleaned_data["status_year"], potential=form.cleaned_data["potential"],
                    potential_reason=form.cleaned_data["potential_reason"],
                    potential_return_month=form.cleaned_data["potential_return_month"],
                    members=[{f: getattr(m.instance, f) for f in MemberForm.Meta.fields}
                             for m in members.forms if m.has_changed()])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Household %(code)s registered.") % {"code": created_household.code})
                return redirect("field:household", created_household.pk)
    return render(request, "field/register.html", {
        "form": form, "members": members, "duplicates": duplicates, "show_errors": request.method == "POST"
        and not adding})


@collector_required
@require_http_methods(["GET", "POST"])
def add_member(request, pk):
    """Add a member to a household of the area (its card's QR can be scanned into the form)."""
    household = selectors.household_in_area(request.area, pk)
    form = MemberForm(request.POST if request.method == "POST" else None, area=request.area,
                      instance=Member(household=household), initial={"relation": Member.Relation.CHILD})
    if request.method == "POST":
        valid = form.is_valid()
        known = form.cleaned_data.get("full_name"), form.cleaned_data.get("date_of_birth")
        if all(known) and (same := household.members.filter(full_name=known[0], date_of_birth=known[1]).first()):
            # Sent twice (a double tap, the back button): their own ID is no error, they are already in.
            messages.success(request, _("%(name)s is already a member of this household.") % {"name": same.full_name})
            return redirect("field:household", household.pk)
        _tell_office_of_refusals(request.collector, request.area, [form])
        if valid:
            try:
                member, created = services.add_member(
                    collector=request.collector, household=household,
                    fields={f: getattr(form.instance, f) for f in MemberForm.Meta.fields})
            except ValidationError as error:
                _add_errors(form, error)
            else:
                text = _("Member added: %(name)s.") if created else _("%(name)s is already a member of this household.")
                messages.success(request, text % {"name": member.full_name})
                return redirect("field:household", household.pk)
    return render(request, "field/member.html", {"household": household, "form": form})


def _tell_office_of_refusals(collector, area, members) -> None:
    """The office checks identifiers a collector typed that belong to someone
    registered outside their area (not the collector: they are told only that
    the identifier cannot be used here): citizen IDs go on the admin's list of
    refused registrations, other identifiers to the log."""
    people = []
    for member_form in members:
        for field, holder in member_form.refused_outside_area:
            if field == "citizen_id":
                people.append({"citizen_id": holder.citizen_id, "full_name": member_form.instance.full_name})
            else:
                logger.warning("Collector %s (id %s) typed the %s of member %s, registered outside their area, "
                               "while registering a household or adding a member",
                               collector.code, collector.pk, field, holder.pk)
    if people:
        RefusedRegistration.objects.record(collector=collector, area=area, people=people)


@collector_required
@require_http_methods(["GET", "POST"])
def referral(request, pk):
    """Who brought this household in: find a member or household of the area."""
    household = selectors.household_in_area(request.area, pk)
    if request.method == "POST":
        member = None
        if request.POST.get("member"):
            member = get_object_or_404(Member.objects.filter(household__in=request.area).select_related("household"),
                                       pk=_int_or_404(request.POST["member"]))
            referrer = member.household
        else:
            referrer = selectors.household_in_area(request.area, _int_or_404(request.POST.get("household")))
        try:
            services.record_referral(collector=request.collector, household=household,
                                     referred_by_household=referrer, referred_by_member=member)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Referral saved."))
            return redirect("field:household", household.pk)
    term = request.GET.get("q", "").strip()[:100]
    found = selectors.find_members(request.area, term, exclude_household=household)
    return render(request, "field/referral.html", {"household": household, "term": term, "found": found})


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


FIRST_MONTH = date(2000, 1, 1)


@collector_required
@require_GET
def month(request):
    today_ = timezone.localdate()
    try:
        first_day = date.fromisoformat(request.GET["month"] + "-01")
    except (KeyError, ValueError):
        first_day = today_.replace(day=1)
    if not FIRST_MONTH <= first_day <= today_:  # no work was done then: this month instead
        first_day = today_.replace(day=1)
    summary = selectors.my_month(request.collector, first_day=first_day)
    previous = (first_day - timedelta(days=1)).replace(day=1)
    following = selectors.month_bounds(first_day)[1]
    return render(request, "field/month.html", {
        "month": summary, "previous": previous, "following": following if following <= today_ else None,
        "held": held_by(request.collector)})


@require_GET
@never_cache
def offline(request):
    """Shown by the service worker when a page is not on the phone and there is no network.
    A signed-in collector's copy (field.js keeps it on the phone) has the header,
    navigation and outbox of every field page, so waiting visits still go out."""
    request.collector = active_collector(request.user)
    return render(request, "field/offline.html")


@require_GET
def service_worker(request):
    """static/field/sw.js served under /field/ so that it may control the field pages."""
    with open(finders.find("field/sw.js"), encoding="utf-8") as script:
        response = HttpResponse(script.read(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:today")
    response["Cache-Control"] = "no-cache"
    return response
