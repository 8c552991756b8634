"""The observatory's figures on small hand-built data sets whose answers are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.observatory import figures as f
from app.observatory.figures import (
    SUPPRESSED,
    MissionFact,
    NeedFact,
    Period,
    Place,
    ProposalFact,
    VoucherFact,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MARSEILLE = Place("13055", "13", "200054807")
AIX = Place("13001", "13", "200054807")
NICE = Place("06088", "06", "200030195")
DIGNE = Place("04070", "04", None)


def need(i, place=MARSEILLE, posted=0, proposal=None, accepted=None, done=None, status="open"):
    at = lambda d: None if d is None else T0 + timedelta(days=d)  # noqa: E731
    return NeedFact(i, place, at(posted), status, at(proposal), at(accepted), at(done))


def test_percentiles_interpolate_between_ranks():
    assert f.percentile([], 50) is None
    assert f.percentile([7], 90) == 7
    assert f.percentile([1, 2, 3, 4], 50) == 2.5
    # 10 values 1..10: rank (10-1)*0.9 = 8.1 -> 9 + 0.1 * (10 - 9)
    assert f.percentile(range(1, 11), 90) == pytest.approx(9.1)
    assert f.percentile([5, 1, 3], 50) == 3  # order does not matter


def test_counts_per_territory_follow_the_needs_posted_in_the_period():
    needs = [
        need(1, MARSEILLE, proposal=2, accepted=5, done=20, status="done"),
        need(2, MARSEILLE, proposal=1, status="proposed"),
        need(3, AIX, status="cancelled"),
        need(4, NICE, proposal=3, accepted=4, status="in_progress"),
        need(5, NICE, posted=40),  # April: outside March
        need(6, DIGNE),
    ]
    march = Period.month(2026, 3)
    by_dep = f.counts_by_territory(needs, "dep", march)
    assert by_dep["13"].as_dict() == {"posted": 3, "matched": 2, "accepted": 1, "completed": 1, "cancelled": 1}
    assert by_dep["06"].as_dict() == {"posted": 1, "matched": 1, "accepted": 1, "completed": 0, "cancelled": 0}
    assert by_dep["04"].posted == 1
    by_epci = f.counts_by_territory(needs, "epci", march)
    assert set(by_epci) == {"200054807", "200030195"}  # Digne has no EPCI here: left out of that level
    assert by_epci["200054807"].posted == 3
    by_commune = f.counts_by_territory(needs, "commune")  # no period: all of them
    assert by_commune["06088"].posted == 2
    assert f.totals(needs, march).posted == 5
    months = f.counts_by_month(needs, Period(date(2026, 3, 1), date(2026, 5, 1)))
    assert [(m, c.posted) for m, c in months] == [(date(2026, 3, 1), 5), (date(2026, 4, 1), 1)]
    with pytest.raises(ValueError):
        f.counts_by_territory(needs, "region")


def test_delays_median_and_p90_in_days():
    needs = [need(i, proposal=d, accepted=d + 1 if i <= 2 else None) for i, d in enumerate([1, 2, 3, 4, 10], 1)]
    needs.append(need(9))  # never proposed: not in the delays
    got = f.delays(needs)
    assert got["first_proposal"].n == 5
    assert got["first_proposal"].median == 3
    # (5-1)*0.9 = 3.6 -> 4 + 0.6 * (10 - 4) = 7.6
    assert got["first_proposal"].p90 == pytest.approx(7.6)
    assert got["acceptance"].n == 2 and got["acceptance"].median == 2.5
    assert got["completion"].n == 0 and got["completion"].median is None
    half_day = [NeedFact(1, MARSEILLE, T0, "proposed", T0 + timedelta(hours=12))]
    assert f.delays(half_day)["first_proposal"].median == 0.5


def test_answers_give_rates_and_reasons_most_frequent_first():
    proposals = [
        ProposalFact(1, 10, "accepted"),
        ProposalFact(2, 10, "accepted"),
        ProposalFact(3, 11, "declined", "Pas disponible"),
        ProposalFact(4, 11, "declined", "Trop loin"),
        ProposalFact(5, 12, "declined", "Pas disponible"),
        ProposalFact(6, 12, "declined", ""),
        ProposalFact(7, 12, "expired"),
        ProposalFact(8, 12, "proposed"),  # not sent yet: not an answer
    ]
    got = f.answers(proposals)
    assert (got.answered, got.accepted, got.declined, got.expired) == (7, 2, 4, 1)
    assert got.acceptance_rate == pytest.approx(2 / 7)
    assert got.decline_rate == pytest.approx(4 / 7)
    assert got.reasons == [("Pas disponible", 2), ("", 1), ("Trop loin", 1)]
    assert f.answers([]).acceptance_rate is None


def test_provider_load_and_the_busiest_tenth():
    # 20 providers: one did 10 missions, one 5, eighteen did 1 each -> 33 missions; top tenth = 2 providers
    missions = [MissionFact(i, i, 1, "done") for i in range(10)]
    missions += [MissionFact(100 + i, 100 + i, 2, "done") for i in range(5)]
    missions += [MissionFact(200 + p, 200 + p, p, "planned") for p in range(3, 21)]
    missions.append(MissionFact(999, 999, 3, "cancelled"))  # not counted
    got = f.provider_load(missions)
    assert (got.providers, got.missions) == (20, 33)
    assert got.busiest_tenth_share == pytest.approx(15 / 33)
    assert got.per_provider_median == 1
    assert got.distribution == [(1, 18), (5, 1), (10, 1)]
    assert f.provider_load([]).busiest_tenth_share is None


def test_satisfaction_and_volunteering():
    done = T0 + timedelta(days=3)
    missions = [
        MissionFact(1, 1, 1, "done", done, rating=5, hours=3, volunteer=True),
        MissionFact(2, 2, 1, "done", done, rating=4, hours=2.5, volunteer=True),
        MissionFact(3, 3, 2, "done", done, rating=2, hours=4),  # paid: not volunteering
        MissionFact(4, 4, 2, "planned", None, hours=8, volunteer=True),  # not done
    ]
    got = f.satisfaction(missions)
    assert got.n == 3 and got.mean == pytest.approx(11 / 3)
    assert got.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    vol = f.volunteering(missions, hourly_value_cents=2000)
    assert (vol.missions, vol.hours, vol.value_cents) == (2, 5.5, 11000)


def test_vouchers_per_funder_and_cost_per_completed_mission():
    march = Period.month(2026, 3)
    day = lambda d: T0 + timedelta(days=d)  # noqa: E731
    vouchers = [
        VoucherFact(1, 7, 70, 50000, day(0), redeemed_at=day(10), mission_id=1),
        VoucherFact(2, 7, 70, 50000, day(0), redeemed_at=day(12), mission_id=2),
        VoucherFact(3, 7, 70, 50000, day(1), redeemed_at=day(12), mission_id=3),  # mission 3 not completed
        VoucherFact(4, 7, 71, 30000, day(2), expired_at=day(20)),
        VoucherFact(5, 8, 80, 20000, day(-40)),  # issued in January: not in March
    ]
    got = f.vouchers_by_funder(vouchers, completed_mission_ids={1, 2}, period=march)
    a, b = got[7], got[8]
    assert (a.issued, a.issued_cents, a.used, a.used_cents, a.expired) == (4, 180000, 3, 150000, 1)
    assert a.completed_missions == 2
    assert a.cost_per_completed_mission_cents == 75000  # 1,500 € used for 2 completed missions
    assert (b.issued, b.used, b.cost_per_completed_mission_cents) == (0, 0, None)


def test_small_groups_are_suppressed_with_a_second_cell_when_one_alone_would_show():
    assert f.suppress(4.2, 4) is SUPPRESSED
    assert f.suppress(4.2, 5) == 4.2
    assert f.suppress(0, 0) == 0  # nobody: nothing to recognise
    assert f.suppress_counts({"a": 12, "b": 3, "c": 7, "d": 0}) == {"a": 12, "b": SUPPRESSED, "c": SUPPRESSED, "d": 0}
    assert f.suppress_counts({"a": 12, "b": 3, "c": 2}) == {"a": 12, "b": SUPPRESSED, "c": SUPPRESSED}
    assert f.suppress_counts({"a": 12, "b": 30}) == {"a": 12, "b": 30}
    assert not SUPPRESSED and repr(SUPPRESSED) == "SUPPRESSED"


def test_periods():
    assert Period.month(2026, 12) == Period(date(2026, 12, 1), date(2027, 1, 1))
    assert len(Period.year(2026).months()) == 12
    assert T0 in Period.month(2026, 3) and T0 not in Period.month(2026, 4) and None not in Period.year(2026)


def test_facts_read_from_a_real_mission_flow(factory):
    """Posted → proposed → accepted → done → rated, through the services; the facts and figures follow."""
    from app.matches.missions import confirm_completion, give_feedback, start_mission
    from app.observatory import facts as fx
    from app.observatory.services import group_of_skill

    provider_user = factory.user(intent="provider")
    provider = factory.provider(owner=provider_user, commune="13001")
    factory.offer(provider, skills=["presence.site_web"], duration_hours=4.0)
    org_user = factory.user()
    need = factory.need(factory.organisation(owner=org_user, commune="13055"), categories=[])
    _run, _proposal, mission = factory.mission(need, provider_user)
    start_mission(provider_user, mission)
    confirm_completion(provider_user, mission)
    confirm_completion(org_user, mission)
    give_feedback(org_user, mission, 4)
    factory.session.flush()

    got = fx.load(fx.Scope(), group_of_skill())
    fact = next(n for n in got.needs if n.id == need.id)
    assert fact.place.commune == "13055" and fact.place.dep == "13" and fact.place.epci == "200054807"
    assert fact.skill_groups == ("presence",)
    assert fact.first_proposal_at is not None and fact.accepted_at is not None and fact.done_at is not None
    assert fact.posted_at <= fact.first_proposal_at <= fact.accepted_at <= fact.done_at
    m = next(m for m in got.missions if m.id == mission.id)
    assert (m.status, m.rating, m.hours, m.volunteer) == ("done", 4, 4.0, True)
    assert any(p.need_id == need.id and p.outcome == "accepted" for p in got.proposals)
    counts = f.counts_by_territory([fact], "epci")["200054807"]
    assert counts.as_dict() == {"posted": 1, "matched": 1, "accepted": 1, "completed": 1, "cancelled": 0}
