"""With LANGUAGE_CODE=vi, no page that staff or a collector can open shows an
English message of ours or of an installed app.

The test walks every URL of the project (the resolver, as test_url_access
does, so a page added later is walked too) as each role, on the demo's
data, and looks in each page's text for the English msgids of our catalogue
and of every installed app's catalogues (Django's own, django-celery-beat,
django-import-export, simple-history, axes…).

Keeping it sharp without false alarms:
- Only what a person reads is compared: text between tags and the title,
  placeholder, aria-label and alt attributes and the labels of buttons — not
  scripts, styles, URLs or the values typed in fields (data).
- A message of one word ("Export", "Village") counts only when it is a whole
  text of the page (a button, a column header, a label with its colon): such
  words are labels, and matching them inside sentences would catch
  Vietnamese words spelt like English ones ("to", "can", "an"). A message of
  several words counts wherever its words appear in that order, whole words
  only, in any case (the admin capitalises labels, CSS shouts headers).
- A message with placeholders ("Select %s to change") is looked for by its
  literal pieces of two words or more; shorter pieces say too little.
- A word both languages spell alike ("SMS", "Email", "OK") is not English:
  the Vietnamese catalogues (ours and Django's) translate it to itself, and
  such messages are left out. That exception is explicit in the catalogue,
  so a real untranslated message is never excused. The one other is
  Django's label of every primary key, "ID", a literal it never translates
  and Vietnamese reads as is (`UNTRANSLATABLE`).
"""

import json
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import django
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from outreach.tests.test_url_access import concrete_urls, walk

pytestmark = pytest.mark.django_db

OUR_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[^>]+>")
UNTRANSLATABLE = {"ID"}
WORD = re.compile(r"\w+(?:['’]\w+)?|[^\w\s]")


def english_messages() -> set[str]:
    """Every msgid of ours and of the installed apps, but those a Vietnamese
    catalogue translates to themselves (words both languages share)."""
    english, same = set(), set()
    vietnamese = [OUR_CATALOGUE]
    roots = [Path(django.__file__).parent / "conf"] + [Path(config.path) for config in apps.get_app_configs()]
    for root in roots:
        if not (root / "locale").is_dir():  # our apps: their messages are in OUR_CATALOGUE
            continue
        # Django's own ship an English catalogue with every msgid; the others only translations, each of
        # which may lag behind: their union. Browser-side catalogues (djangojs) are not in the pages' HTML.
        files = sorted(root.glob("locale/en/LC_MESSAGES/django.po")) or sorted(root.glob("locale/*/LC_MESSAGES/django.po"))
        for file in files:
            english.update(_msgids(polib.pofile(str(file))))
        vietnamese += sorted(root.glob("locale/vi/LC_MESSAGES/django.po"))
    english.update(_msgids(polib.pofile(str(OUR_CATALOGUE))))
    for file in vietnamese:
        for entry in polib.pofile(str(file)):
            if entry.msgstr and entry.msgstr == entry.msgid:
                same.add(entry.msgid)
    return english - same - UNTRANSLATABLE


def _msgids(po):
    for entry in po:
        if not entry.obsolete:
            yield entry.msgid
            if entry.msgid_plural:
                yield entry.msgid_plural


def _tokens(text):
    return tuple(WORD.findall(text.lower()))


class Needles:
    """The English messages, ready to look for in a page's texts."""

    def __init__(self, msgids):
        self.whole = {}  # one word: the text it must be, lower-cased → msgid
        self.phrases = {}  # first token → [(tokens, msgid)]
        for msgid in msgids:
            pieces = [" ".join(p.split()) for p in PLACEHOLDER.split(msgid)]
            has_placeholder = len(pieces) > 1
            for piece in pieces:
                tokens = _tokens(piece)
                words = [t for t in tokens if re.match(r"[^\W\d_]", t)]
                if not words:
                    continue
                if len(words) == 1 and not has_placeholder and len(tokens) <= 2:
                    self.whole[words[0]] = msgid
                elif len(words) >= 2:
                    self.phrases.setdefault(tokens[0], []).append((tokens, msgid))

    def found_in(self, text):
        text = " ".join(text.split())
        bare = text.rstrip(":：*").strip().lower()
        if bare in self.whole:
            return self.whole[bare]
        tokens = _tokens(text)
        for i, token in enumerate(tokens):
            for phrase, msgid in self.phrases.get(token, ()):
                if tokens[i:i + len(phrase)] == phrase:
                    return msgid
        return None


# Not read as prose: scripts and styles, what was typed into a field, and <code>: the literal
# tokens a file may contain (the import page's English headers "household_code", "yes").
HIDDEN = ("script", "style", "textarea", "template", "code")


class ReadableText(HTMLParser):
    """What a person reads on a page: texts and the attributes said aloud or shown."""

    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        attrs = dict(attrs)
        self.texts += [value for name, value in attrs.items() if name in self.ATTRIBUTES and value]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(data)


def readable_texts(response):
    kind = response.get("Content-Type", "")
    body = response.content.decode(errors="replace")
    if "json" in kind:
        found = []

        def strings(value):
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    strings(item)
            elif isinstance(value, list):
                for item in value:
                    strings(item)

        strings(json.loads(body))
        return found
    if "html" not in kind:
        return []
    parser = ReadableText()
    parser.feed(body)
    return parser.texts


@pytest.fixture
def needles():
    return Needles(english_messages())


@pytest.fixture
def demo(settings):
    """The demo's registry and year of field work, and a user of each role on it."""
    from collectors.models import Collector
    from households.models import Household
    from outreach.roles import AGENT_MANAGER, COMMUNE_OFFICER, PROVINCIAL_STAFF, ensure_roles

    from datetime import date

    from django.contrib.auth import get_user_model

    call_command("load_communes", stdout=StringIO())
    call_command("seed_demo", households=60, seed=3, today=date(2026, 11, 25), stdout=StringIO())
    household = (Household.objects.filter(payments__isnull=False, visits__isnull=False, reminders__isnull=False)
                 .order_by("pk").first())
    collector = Collector.objects.get(assignments__commune=household.commune_id)
    _extra_rows(household, collector)
    groups = ensure_roles()
    User = get_user_model()
    staff = User.objects.create(username="tinh", first_name="Cán bộ", is_staff=True)
    staff.groups.add(groups[PROVINCIAL_STAFF])
    manager = User.objects.create(username="quanly", first_name="Trưởng bưu cục", is_staff=True)
    manager.groups.add(groups[AGENT_MANAGER])
    collector.agent.managers.add(manager)
    officer = User.objects.create(username="canboxa", first_name="Cán bộ xã", is_staff=True)
    officer.groups.add(groups[COMMUNE_OFFICER])
    household.commune.officers.add(officer)
    roles = {"provincial staff": staff, "agent manager": manager, "commune officer": officer,
             "collector": collector.user, "signed out": None}
    return household, roles


def _extra_rows(household, collector):
    """One row of each kind the demo does not make, so that every change page opens."""
    from django.utils import timezone
    from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule

    from households.models import ExportLog, ImportJob
    from reminders.models import DeliveryAttempt, HouseholdEmail, Message, NightlyRun, ReminderOptOut

    user = collector.user
    ExportLog.objects.create(user=user, resource="Hộ gia đình", format="xlsx", row_count=3, personal_data=False,
                             filters={})
    ImportJob.objects.create(user=user, file_name="ho-gia-dinh.xlsx", status=ImportJob.Status.REFUSED)
    HouseholdEmail.objects.create(household=household, email="ho@example.vn")
    ReminderOptOut.objects.create(household=household)
    NightlyRun.objects.create(day=timezone.localdate())
    DeliveryAttempt.objects.create(message=Message.objects.filter(household=household).first(), number=1,
                                   started_at=timezone.now(), outcome="sent")
    IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude=12.67, longitude=108.04)


def test_no_page_shows_english_to_anyone_in_vietnamese(client, settings, demo, needles):
    from django.utils import translation

    settings.LANGUAGE_CODE = "vi"
    household, roles = demo
    routes = sorted(set(walk()))
    english = {}
    with translation.override("vi"):
        for role, user in roles.items():
            client.logout()
            if user is not None:
                client.force_login(user)
            for route in routes:
                for url, _names_outside in concrete_urls(route, household):
                    if "logout" in url or "/export" in url and "?" in url:
                        continue
                    response = client.get(url, headers={"accept-language": "vi"})
                    for text in readable_texts(response) if response.status_code == 200 else []:
                        msgid = needles.found_in(text)
                        if msgid:
                            english.setdefault((msgid, " ".join(text.split())[:80]), set()).add(
                                re.sub(r"/\d+/", "/<id>/", url))
    report = [f"{msgid!r} in {text!r} on {', '.join(sorted(urls)[:3])}" for (msgid, text), urls in sorted(english.items())]
    assert report == [], f"{len(report)} English texts:\n" + "\n".join(report)


def test_the_check_finds_english_and_leaves_shared_words_alone(needles):
    """The crawl above would pass if it found nothing: it does find English."""
    assert needles.found_in("Show counts") == "Show counts"
    assert needles.found_in("Export").lower() == "export"
    assert needles.found_in("Format:").lower() == "format"
    assert needles.found_in("Toggle theme (current theme: dark)")
    assert needles.found_in("This exporter will export the following fields: ")
    assert needles.found_in("2 selected of 10 — Select all 10 households") is not None
    # Vietnamese, data, and words spelt alike in both languages are not.
    for text in ["Xuất dữ liệu", "Hiện số lượng", "Nguyễn Văn An", "Thôn 1, Xã Quảng Phú", "SMS", "to lớn",
                 "can thiệp", "0912345678", "TV-0001"]:
        assert needles.found_in(text) is None, text


def test_the_outboxs_json_errors_are_vietnamese_too(client, settings, needles):
    """The crawl reads pages; the phone's outbox answers JSON to a POST."""
    from django.urls import reverse
    from django.utils import translation

    from collectors.tests import fieldkit as kit

    settings.LANGUAGE_CODE = "vi"
    collector = kit.collector_with_area()
    household = kit.household(collector)
    kit.phone_login(client, collector)
    visit = {"client_id": "not-a-uuid", "household": household.pk, "outcome": "interested",
             "visited_on": kit.today().isoformat(), "note": ""}
    with translation.override("vi"):
        response = client.post(reverse("field:visits"), json.dumps({"visits": [visit]}),
                               content_type="application/json",
                               headers={"accept": "application/json", "accept-language": "vi"})
    errors = response.json()["results"][0]["errors"]
    assert errors["client_id"] == ["Nhập UUID hợp lệ."]
    assert [text for text in readable_texts(response) if needles.found_in(text)] == []


def test_the_nightly_jobs_and_the_roles_have_vietnamese_names(db):
    from django.contrib.auth.models import Group
    from django_celery_beat.models import PeriodicTask

    from outreach.roles import ensure_roles

    ensure_roles()
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= {
        "Cập nhật số liệu báo cáo (hằng đêm)", "Nhắc hạn: chạy lượt hằng đêm", "Cập nhật tình trạng tham gia (hằng đêm)"}
    assert not PeriodicTask.objects.filter(name__contains="nightly").exists()
    assert set(Group.objects.values_list("name", flat=True)) == {
        "Cán bộ BHXH tỉnh", "Quản lý đại lý thu", "Cán bộ xã", "Nhân viên thu"}


def test_the_nightly_jobs_schedules_read_in_the_admins_language(staff_client):
    """cron-descriptor writes "At 01:30 AM" in the server's locale, whatever the admin's language."""
    from django.urls import reverse
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(task="reminders.run_nightly_batch")
    pages = {language: [staff_client.get(url, headers={"accept-language": language}).content.decode()
                        for url in (reverse("admin:django_celery_beat_periodictask_change", args=[job.pk]),
                                    reverse("admin:django_celery_beat_crontabschedule_changelist"))]
             for language in ("vi", "en")}
    assert all("Tại 01:30" in page and "At 01:30" not in page for page in pages["vi"])
    assert all("At 01:30" in page for page in pages["en"])
