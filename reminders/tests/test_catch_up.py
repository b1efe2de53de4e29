"""A missed night loses nothing: each run covers every night since the last completed one."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from reminders import services
from reminders.models import Message, NightlyRun, Reminder

from .factories import due_enrolment

pytestmark = pytest.mark.django_db
D = date(2026, 11, 2)


def run_and_send(day):
    services.prepare_night(day=day)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])


def reminders_left():
    return {(r.enrolment_id, r.coverage_end, r.stage, r.channel, r.due_on, r.status)
            for r in Reminder.objects.all()}


def test_every_night_from_d_to_d3_and_only_d_then_d3_leave_the_same_reminders(outbox, any_hour):
    # Each stage (30 and 7 days before, on the day, 15 days after) falls due on each of the four nights.
    for shift in range(4):
        for offset in (-30, -7, 0, 15):
            due_enrolment(ends=D + timedelta(days=shift - offset))
    for day in [D + timedelta(days=n) for n in range(4)]:
        run_and_send(day)
    every_night, texts = reminders_left(), sorted((m["to"], m["text"]) for m in outbox)
    assert len(every_night) == 16 and {r[5] for r in every_night} == {"sent"}

    Reminder.objects.all().delete()
    Message.objects.all().delete()
    NightlyRun.objects.all().delete()
    outbox.clear()
    run_and_send(D)
    run_and_send(D + timedelta(days=3))  # the server was down on D+1 and D+2

    assert reminders_left() == every_night
    assert sorted((m["to"], m["text"]) for m in outbox) == texts  # each text once, none twice
    assert len(outbox) == 16 and len({m["key"] for m in outbox}) == 16
    assert NightlyRun.objects.get(day=D + timedelta(days=3)).covered_from == D + timedelta(days=1)


def test_a_first_run_ever_covers_only_its_own_night(outbox, any_hour):
    yesterday = due_enrolment(ends=D - timedelta(days=1))
    today = due_enrolment(ends=D)
    run_and_send(D)
    assert list(Reminder.objects.values_list("enrolment_id", flat=True)) == [today.pk]
    assert yesterday.pk not in {r.enrolment_id for r in Reminder.objects.all()}
    assert NightlyRun.objects.get().covered_from == D


def test_a_stage_overtaken_while_no_run_happened_is_skipped_and_the_later_one_sent(outbox, any_hour):
    run_and_send(D)
    # 7 days before its end fell on D+1 and the end itself on D+8: both passed unrun.
    enrolment = due_enrolment(ends=D + timedelta(days=8), phone="0912555666")
    run_and_send(D + timedelta(days=10))
    stages = dict(Reminder.objects.filter(enrolment=enrolment).values_list("stage", "status"))
    assert stages == {-7: "skipped", 0: "sent"}
    assert Reminder.objects.get(enrolment=enrolment, stage=-7).reason == "overtaken by a later stage due too"
    assert [m["to"] for m in outbox] == ["0912555666"]


def test_a_stage_more_than_the_catch_up_days_late_is_recorded_as_skipped_with_the_reason(outbox, any_hour,
                                                                                          settings):
    assert settings.REMINDERS_CATCH_UP_DAYS == 7
    run_and_send(D)
    too_late = due_enrolment(ends=D + timedelta(days=35))  # 30 days before: D+5, 15 days before the next run
    in_time = due_enrolment(ends=D + timedelta(days=45), phone="0912777888")  # D+15: 5 days late
    run_and_send(D + timedelta(days=20))
    late = Reminder.objects.get(enrolment=too_late)
    assert (late.stage, late.status, late.due_on) == (-30, "skipped", D + timedelta(days=5))
    assert late.reason == "more than 7 days late (no run on the night it fell due)"
    assert Reminder.objects.get(enrolment=in_time).status == "sent"
    assert [m["to"] for m in outbox] == ["0912777888"]


def test_the_command_catches_up_and_the_admin_shows_the_gap(outbox, any_hour, staff_client):
    call_command("send_reminders", "--date", D.isoformat(), stdout=open("/dev/null", "w"))
    missed = due_enrolment(ends=D + timedelta(days=1))
    call_command("send_reminders", "--date", (D + timedelta(days=4)).isoformat(), stdout=open("/dev/null", "w"))
    assert Reminder.objects.get(enrolment=missed).status == "sent"

    page = staff_client.get("/admin/reminders/nightlyrun/").content.decode()
    assert "3 nights: 03/11/2026 – 05/11/2026" in page


def test_the_command_says_which_nights_it_caught_up(outbox, any_hour):
    from io import StringIO

    call_command("send_reminders", "--date", D.isoformat(), stdout=StringIO())
    due_enrolment(ends=D + timedelta(days=2))
    out = StringIO()
    call_command("send_reminders", "--date", (D + timedelta(days=3)).isoformat(), stdout=out)
    assert out.getvalue().splitlines()[0] == "Reminders due from 03/11/2026 to 05/11/2026 (1 newly claimed):"


def test_renewed_opted_out_and_no_phone_rules_apply_in_a_catch_up_as_on_the_night_itself(outbox, any_hour):
    from households.tests.factories import EnrolmentFactory

    from .factories import ReminderOptOutFactory

    def registry():
        """Each stage-0 reminder falls due on D+1 or D+2, nights that may have no run."""
        renewed = due_enrolment(ends=D + timedelta(days=1))
        EnrolmentFactory(member=renewed.member, coverage_start=D + timedelta(days=2),
                         coverage_end=D + timedelta(days=366))
        opted_out = due_enrolment(ends=D + timedelta(days=2))
        ReminderOptOutFactory(household=opted_out.member.household)
        no_phone = due_enrolment(ends=D + timedelta(days=1), phone=None)
        renewed_after_the_claim = due_enrolment(ends=D + timedelta(days=2))
        plain = due_enrolment(ends=D + timedelta(days=2))
        return [renewed, opted_out, no_phone, renewed_after_the_claim, plain]

    def outcome(enrolments):
        return [list(Reminder.objects.filter(enrolment=e).values_list("stage", "status", "reason")) for e in enrolments]

    def run(nights, enrolments):
        for night in nights:
            services.prepare_night(day=night)
            # Renewed between the claim and the send (the seal's own check).
            if Reminder.objects.filter(enrolment=enrolments[3]).exists() and not enrolments[3].member.enrolments.filter(
                    coverage_end__gt=D + timedelta(days=2)).exists():
                from households.tests.factories import EnrolmentFactory as Later
                Later(member=enrolments[3].member, coverage_start=D + timedelta(days=3),
                      coverage_end=D + timedelta(days=367))
            services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])

    every_night = registry()
    run([D + timedelta(days=n) for n in range(4)], every_night)
    expected = outcome(every_night)
    assert expected == [[], [], [(0, "no_phone", "")], [(0, "skipped", "renewed or paid since the scan")],
                        [(0, "sent", "")]]
    sent_every_night = len(outbox)

    for model in (Reminder, Message, NightlyRun):
        model.objects.all().delete()
    for enrolment in every_night:  # the same registry again, afresh
        enrolment.member.household.delete()
    outbox.clear()
    services.prepare_night(day=D)
    caught_up = registry()
    run([D + timedelta(days=3)], caught_up)  # D+1 and D+2 had no run
    assert outcome(caught_up) == expected and len(outbox) == sent_every_night == 1


def test_the_ledger_counts_what_each_run_claimed_and_the_admin_lists_it(outbox, any_hour, staff_client,
                                                                        django_assert_num_queries):
    run_and_send(D)
    due_enrolment(ends=D + timedelta(days=9))  # -7 on D+2 overtaken by 0 on D+9: the latter sent
    due_enrolment(ends=D + timedelta(days=35))  # -30 on D+5: 5 days late on D+10, still sent
    due_enrolment(ends=D + timedelta(days=12), phone=None)  # -7 on D+5: no phone
    due_enrolment(ends=D + timedelta(days=40))  # -30 on D+10: sent
    late = due_enrolment(ends=D + timedelta(days=31))  # -30 on D+1: 9 days late on D+10
    run_and_send(D + timedelta(days=10))
    run = NightlyRun.objects.get(day=D + timedelta(days=10))
    assert Reminder.objects.get(enrolment=late).reason.startswith("more than 7 days late")
    assert (run.queued, run.overtaken, run.too_late, run.no_phone) == (3, 1, 1, 1)

    # session, user, 2 × permissions, 2 × count, the runs with their messages sent (one subquery): no N+1
    with django_assert_num_queries(7):
        page = staff_client.get("/admin/reminders/nightlyrun/").content.decode()
    row = page.split(f"/admin/reminders/nightlyrun/{run.pk}/change/")[1].split("</tr>")[0]
    cells = dict(re.findall(r'<td class="field-(\w+)[^"]*">([^<]*)</td>', row))
    assert {name: cells[name] for name in ("queued", "sent", "overtaken", "too_late", "no_phone", "no_report")} == {
        "queued": "3", "sent": "3", "overtaken": "1", "too_late": "1", "no_phone": "1", "no_report": "0"}


def test_the_dry_run_says_which_nights_it_covers(outbox, any_hour):
    from io import StringIO

    call_command("send_reminders", "--date", D.isoformat(), stdout=StringIO())
    out = StringIO()
    call_command("send_reminders", "--date", (D + timedelta(days=3)).isoformat(), "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "Reminders of the nights 03/11/2026 to 05/11/2026 (2 nights without a run caught up) that would be "
        "claimed (dry run, nothing changed):")
