"""The estate running index (DESIGN.md 5.5): the method on hand-computed cases, the job (idempotent, versioned,
red -> rectification followed month by month), the ballot on /vote, indicator entry by file and form, the
staff page's callbacks, the printable pages and GET /api/v1/estate-index."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.ballots import BallotError, ballot_key, cast_ballot, household_for_code, notice_sheet
from data_access.db import writing
from data_access.estate_index import (
    IndexRefused,
    close_rectification,
    compute_and_store,
    create_method,
    load_method,
    month_results,
    update_rectification,
)
from data_access.indicators import ingest_scores_file, month_scores, save_form_scores
from data_access.models import (
    AuditLog,
    Ballot,
    Building,
    Estate,
    EstateIndex,
    Household,
    IndicatorDef,
    IndicatorScore,
    Notification,
    Rectification,
    User,
)
from domain import catalog
from domain.ballots import CODE_ALPHABET, check_ballot, household_code, normalise_code, scrub_comment
from domain.estate_index import (
    ASPECTS,
    DEFAULT_PARAMETERS,
    EstateInputs,
    aspect_score,
    check_parameters,
    components,
    compute_month,
    estate_result,
    rectification_dates,
    resolve_method,
)
from domain.indicator_scores import check_scores, read_scores_file
from jobs import estate_index as index_job
from tests.factories import tiny_community

PROPERTY = [i.code for i in catalog.INDICATORS if i.group == "property"]
COMMITTEE = [i.code for i in catalog.INDICATORS if i.group == "committee"]
COMPONENTS = components((i.code, i.group, True, 1.0) for i in catalog.INDICATORS)
V1 = resolve_method("v1", DEFAULT_PARAMETERS, COMPONENTS)
MONTH = "2026-10"
RUN_AT = datetime(2026, 11, 1, 2, 0)  # when the job computes MONTH
VOTE_AT = datetime(2026, 10, 15, 19, 30)


@contextmanager
def _look(engine) -> Iterator[Session]:
    """A read whose rows stay readable after the block (the tests look at them afterwards)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _mean_for(score: float) -> float:
    """The mean rating (1-5) that scores `score` on 0-100."""
    return 1 + score / 25


def _inputs(estate_id=1, households=10, ballots=5, aspects=75.0, prop=80.0, comm=60.0, **overrides) -> EstateInputs:
    means = {a: _mean_for(aspects) for a in ASPECTS} if aspects is not None else {}
    means.update({a: _mean_for(v) for a, v in overrides.items()})
    return EstateInputs(
        estate_id,
        households,
        ballots if means else 0,
        means,
        {**({c: prop for c in PROPERTY} if prop is not None else {}),
         **({c: comm for c in COMMITTEE} if comm is not None else {})},
    )  # fmt: skip


# --- the method, by hand --------------------------------------------------------------------------------------


def test_ratings_are_scaled_to_0_100():
    assert aspect_score(1) == 0 and aspect_score(5) == 100 and aspect_score(3) == 50
    assert aspect_score(4.2) == pytest.approx(80.0)


def test_index_is_the_weighted_mean_of_the_three_sub_indices():
    r = estate_result(_inputs(aspects=75, prop=80, comm=60), V1)
    # 0.40 x 75 + 0.35 x 80 + 0.25 x 60 = 30 + 28 + 15
    assert r.value == 73.0 and r.coverage == 1.0 and r.level == "yellow"
    assert r.sub == {"residents": 75.0, "property": 80.0, "committee": 60.0}
    assert r.turnout == 0.5 and not r.low_turnout and r.override == []


def test_a_missing_group_reweights_the_others_and_lowers_coverage():
    r = estate_result(_inputs(aspects=75, prop=80, comm=None), V1)
    assert r.value == round((30 + 28) / 0.75, 1) == 77.3
    assert r.coverage == 0.75 and r.sub["committee"] is None and r.level == "yellow"


def test_missing_indicators_reweight_inside_their_group():
    inputs = _inputs(aspects=75, prop=None, comm=60)
    inputs = EstateInputs(1, 10, 5, inputs.aspect_means, {**inputs.indicator_scores, **{c: 80.0 for c in PROPERTY[:7]}})
    r = estate_result(inputs, V1)
    # half the property weight is there: 0.175; (30 + 0.175 x 80 + 15) / 0.825
    assert r.coverage == 0.825 and r.value == round(59 / 0.825, 1) == 71.5
    assert r.group_coverage["property"] == 0.5 and r.sub["property"] == 80.0


def test_lower_is_better_indicators_are_turned_round():
    comps = components((i.code, i.group, i.code != "P01", 1.0) for i in catalog.INDICATORS)
    method = resolve_method("v1", DEFAULT_PARAMETERS, comps)
    inputs = _inputs(prop=80, comm=80, aspects=80)
    inputs = EstateInputs(1, 10, 5, inputs.aspect_means, {**inputs.indicator_scores, "P01": 20.0})
    r = estate_result(inputs, method)
    assert r.scores["P01"] == 80.0 and r.raw["P01"] == 20.0 and r.value == 80.0
    assert method.parameters()["lower_is_better"] == ["P01"]


def test_the_safety_override_makes_red_whatever_the_index():
    r = estate_result(_inputs(aspects=100, prop=100, comm=100, fire_safety=40), V1)
    assert r.value == round(0.4 * (600 + 40) / 7 + 60, 1) == 96.6
    assert r.level == "red" and r.override == ["fire_safety"] and r.weakest[0] == "fire_safety"
    elevator = estate_result(_inputs(aspects=100, prop=100, comm=100, elevator=49.9), V1)
    assert elevator.level == "red" and elevator.override == ["elevator"]
    at_floor = estate_result(_inputs(aspects=100, prop=100, comm=100, fire_safety=50), V1)
    assert at_floor.level == "green" and at_floor.override == []


def test_low_turnout_is_marked_and_a_few_ballots_cannot_force_red():
    r = estate_result(_inputs(households=100, ballots=19, aspects=100, prop=100, comm=100, fire_safety=40), V1)
    assert r.turnout == 0.19 and r.low_turnout
    assert r.level == "green" and r.override == [] and r.override_skipped == ["fire_safety"]
    assert r.value == 96.6  # still computed and shown
    at_floor = estate_result(_inputs(households=100, ballots=20, aspects=100, prop=100, comm=100, fire_safety=40), V1)
    assert not at_floor.low_turnout and at_floor.level == "red"


@pytest.mark.parametrize(
    ("score", "value", "level"),
    [(80, 80.0, "green"), (79.96, 80.0, "green"), (79.94, 79.9, "yellow"), (60, 60.0, "yellow"), (59.9, 59.9, "red")],
)
def test_thresholds_apply_to_the_published_value(score, value, level):
    r = estate_result(_inputs(aspects=score, prop=score, comm=score), V1)
    assert (r.value, r.level) == (value, level)


def test_too_little_coverage_is_not_rated_unless_safety_says_red():
    only_ballots = estate_result(_inputs(aspects=90, prop=None, comm=None), V1)
    assert only_ballots.coverage == 0.4 and only_ballots.value == 90.0 and only_ballots.level == "none"
    red = estate_result(_inputs(aspects=90, prop=None, comm=None, fire_safety=30), V1)
    assert red.level == "red"
    nothing = estate_result(_inputs(aspects=None, prop=None, comm=None), V1)
    assert nothing.value is None and nothing.level == "none" and nothing.coverage == 0


def test_monte_carlo_rank_intervals_are_seeded_and_honest():
    leader = _inputs(1, aspects=95, prop=95, comm=95)
    b = _inputs(2, aspects=80, prop=70, comm=75)  # 75.25
    c = _inputs(3, aspects=70, prop=80, comm=75)  # 74.75: swaps with b under some weightings
    unrated = _inputs(4, aspects=90, prop=None, comm=None)
    first = compute_month([leader, b, c, unrated], V1)
    again = compute_month([leader, b, c, unrated], V1)
    assert [(r.rank, r.rank_low, r.rank_high, r.red_share) for r in first] == [
        (r.rank, r.rank_low, r.rank_high, r.red_share) for r in again
    ]
    ranks = {r.estate_id: (r.rank, r.rank_low, r.rank_high) for r in first}
    assert ranks[1] == (1, 1, 1)
    assert ranks[2] == (2, 2, 3) and ranks[3] == (3, 2, 3)
    assert ranks[4] == (None, None, None)
    assert all(r.red_share == 0 for r in first if r.rank)
    # a different seed may draw other weights, but the published ranks never move
    other = resolve_method("v2", {**DEFAULT_PARAMETERS, "monte_carlo": {"draws": 500, "seed": 99, "weight_jitter": 0.2}},
                           COMPONENTS)  # fmt: skip
    assert [r.rank for r in compute_month([leader, b, c], other)] == [1, 2, 3]
    no_jitter = resolve_method("v3", {**DEFAULT_PARAMETERS, "monte_carlo": {"draws": 100, "seed": 1,
                                                                            "weight_jitter": 0.0}}, COMPONENTS)  # fmt: skip
    assert [(r.rank_low, r.rank_high) for r in compute_month([leader, b, c], no_jitter)] == [(1, 1), (2, 2), (3, 3)]


def test_an_overridden_estate_is_red_in_every_draw_and_a_close_one_in_some():
    red = compute_month([_inputs(1, aspects=100, prop=100, comm=100, fire_safety=40)], V1)[0]
    assert red.red_share == 1.0 and red.rank == 1 == red.rank_low == red.rank_high
    borderline = compute_month([_inputs(1, aspects=70, prop=50, comm=60)], V1)[0]  # 28 + 17.5 + 15 = 60.5
    assert borderline.level == "yellow" and 0 < borderline.red_share < 1


def test_new_parameters_are_checked():
    good = {**DEFAULT_PARAMETERS, "weights": {"P01": 2.0, "fire_safety": 1.5}}
    assert check_parameters(good, COMPONENTS) == []
    bad = {
        **DEFAULT_PARAMETERS,
        "green_at": 50,
        "turnout_floor": 1.5,
        "sub_weights": {"residents": -1, "property": 0.35, "committee": 0.25},
        "monte_carlo": {"draws": 10, "seed": -1, "weight_jitter": 1.2},
        "weights": {"P99": 1.0},
    }
    assert set(check_parameters(bad, COMPONENTS)) == {"thresholds", "turnout_floor", "sub_weights", "draws", "seed",
                                                      "jitter", "weights"}  # fmt: skip
    no_property = {**DEFAULT_PARAMETERS, "weights": {c: 0.0 for c in PROPERTY}}
    assert check_parameters(no_property, COMPONENTS) == ["weights"]


def test_rectification_dates_fall_on_weekdays():
    interview, due = rectification_dates(datetime(2026, 8, 1, 2, 0))  # a Saturday: +7 is a Saturday too
    assert interview.isoformat() == "2026-08-10" and interview.weekday() == 0
    assert (due - interview).days == 30


# --- ballots and codes ----------------------------------------------------------------------------------------


def test_household_codes_are_derived_unambiguous_and_monthly():
    key = b"k" * 32
    code = household_code(key, 42, "2026-10")
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET) and not set(code) & set("01OI")
    assert household_code(key, 42, "2026-10") == code
    assert household_code(key, 42, "2026-11") != code and household_code(key, 43, "2026-10") != code
    assert household_code(b"x" * 32, 42, "2026-10") != code
    assert normalise_code(f" {code[:4].lower()}-{code[4:]} ") == code
    assert normalise_code("ABCD-EFG0") is None and normalise_code("ABC") is None and normalise_code(None) is None


def test_ballot_check_and_comment_scrubbing():
    ratings, comment, problems = check_ballot({a: "4" for a in ASPECTS}, "  电话13812345678，邮箱 a.b@x.cn  ")
    assert ratings == {a: 4 for a in ASPECTS} and problems == [] and comment == "电话***，邮箱 ***"
    _r, _c, problems = check_ballot({**{a: "3" for a in ASPECTS}, "elevator": "6", "sanitation": ""}, "x" * 501)
    assert problems == ["elevator", "sanitation", "comment"]
    assert scrub_comment("3幢 2 单元楼道堆物") == "3幢 2 单元楼道堆物"  # short numbers (places) stay


# --- indicator files ----------------------------------------------------------------------------------------------


def _csv(rows: list[list], bom: bool = True) -> bytes:
    text = "\n".join(",".join(str(c) for c in row) for row in rows) + "\n"
    return (("\ufeff" if bom else "") + text).encode()


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["estate", "estate_name", "month", "indicator", "score"]


def test_a_file_with_any_bad_row_is_rejected_with_row_level_errors():
    rows, problem = read_scores_file(_csv([
        HEADER,
        ["e1", "小区一", MONTH, "P01", "80"],
        ["nope", "", MONTH, "P02", "80"],
        ["e1", "", MONTH, "X99", "80"],
        ["e1", "", MONTH, "P03", "101"],
        ["e1", "", MONTH, "p01", "70"],
        ["e1", "", "2026-09", "P04", "70"],
        [],
        ["e1", "", MONTH, "P05", "abc"],
        ["e1", "", MONTH, "P06", ""],
    ]))  # fmt: skip
    assert problem is None
    clean, errors = check_scores(rows, {"e1"}, {i.code for i in catalog.INDICATORS}, MONTH)
    assert clean == []
    assert [(e.row, e.field, e.code) for e in errors] == [
        (3, "estate", "unknown_estate"),
        (4, "indicator", "unknown_indicator"),
        (5, "score", "out_of_range"),
        (6, "indicator", "duplicate"),
        (7, "month", "wrong_month"),
        (9, "score", "bad_score"),
        (10, "score", "missing"),
    ]


def test_excel_files_are_read_like_csv_and_old_xls_is_refused():
    rows, problem = read_scores_file(_xlsx([HEADER, ["e1", "小区一", datetime(2026, 10, 1), "P01", 81.5]]))
    assert problem is None
    clean, errors = check_scores(rows, {"e1"}, {"P01"}, MONTH)
    assert errors == [] and clean == [("e1", "P01", 81.5)]
    assert read_scores_file(b"\xd0\xcf\x11\xe0rest")[1] == "xls"
    assert read_scores_file(_csv([["estate", "score"], ["e1", "1"]]))[1] == "no_header"
    assert read_scores_file(b"")[1] == "empty"
    assert read_scores_file(b"PK\x03\x04garbage")[1] == "not_readable"


# --- the store --------------------------------------------------------------------------------------------------


def _community(engine, households: int = 10) -> dict:
    """tiny_community plus a second residential estate, an office park and `households` homes per estate."""
    place = tiny_community(engine)
    with writing(engine) as s:
        e1 = s.get(Estate, place["estate_id"])
        e2 = Estate(community_id=e1.community_id, grid_id=e1.grid_id, code="e2", name_zh="小区二", name_en="Estate Two",
                    kind="residential", lat=30.2, lon=120.2)  # fmt: skip
        office = Estate(community_id=e1.community_id, grid_id=e1.grid_id, code="o1", name_zh="园区", name_en="Park",
                        kind="office", lat=30.2, lon=120.2)  # fmt: skip
        s.add_all([e2, office])
        s.flush()
        b2 = Building(estate_id=e2.id, grid_id=e1.grid_id, code="1", name_zh="1幢", name_en="Building 1", floors=6,
                      units=1, lat=30.2, lon=120.2)  # fmt: skip
        s.add(b2)
        s.flush()
        homes = {}
        for estate_id, building_id in ((e1.id, place["building_id"]), (e2.id, b2.id)):
            rows = [Household(external_id=f"h-{estate_id}-{n}", building_id=building_id, unit=1, room=f"{n + 1:02d}01",
                              size=2) for n in range(households)]  # fmt: skip
            s.add_all(rows)
            s.flush()
            homes[estate_id] = [h.id for h in rows]
    return {**place, "e2": e2.id, "office": office.id, "homes": homes}


def _ballots(engine, estate_id: int, homes: list[int], month: str, score: float, n: int, **aspects) -> None:
    rating = round(_mean_for(score))
    with writing(engine) as s:
        for household in homes[:n]:
            values = {a: round(_mean_for(aspects[a])) if a in aspects else rating for a in ASPECTS}
            s.add(Ballot(household_id=household, estate_id=estate_id, month=month, comment="电梯很好" if household
                         == homes[0] else None, cast_at=datetime(int(month[:4]), int(month[5:]), 10, 9, 0), **values))  # fmt: skip


def _scores(engine, estate_id: int, month: str, prop: float, comm: float) -> None:
    with writing(engine) as s:
        ids = dict(s.execute(select(IndicatorDef.code, IndicatorDef.id)).all())
        for code in PROPERTY + COMMITTEE:
            s.add(IndicatorScore(estate_id=estate_id, indicator_id=ids[code], month=month,
                                 score=prop if code in PROPERTY else comm, entered_by="t",
                                 entered_at=datetime(int(month[:4]), int(month[5:]), 25)))  # fmt: skip


def _rows(engine, month: str = MONTH) -> list[tuple]:
    with _look(engine) as s:
        return [
            (r.estate_id, r.month, r.method_version, r.value, r.level, r.rank, r.rank_low, r.rank_high, r.coverage,
             r.turnout, r.low_turnout, json.dumps(r.components, sort_keys=True), r.computed_at)
            for r in s.scalars(select(EstateIndex).where(EstateIndex.month == month).order_by(EstateIndex.id))
        ]  # fmt: skip


def test_the_job_computes_the_month_before_and_a_rerun_changes_nothing(engine):
    place = _community(engine)
    homes = place["homes"]
    # ratings of 4 score 75; 5 of 10 households vote
    _ballots(engine, place["estate_id"], homes[place["estate_id"]], MONTH, 75, 5)
    _scores(engine, place["estate_id"], MONTH, 80, 60)
    _ballots(engine, place["e2"], homes[place["e2"]], MONTH, 100, 1)  # turnout 10%: marked, not hidden
    first = index_job.run(engine, RUN_AT)
    assert first["month"] == MONTH and first["stored"] == 2 and first["method_version"] == "v1"
    rows = _rows(engine)
    assert {r[0] for r in rows} == {place["estate_id"], place["e2"]}  # the office park has no index
    with _look(engine) as s:
        e1 = s.scalar(select(EstateIndex).where(EstateIndex.estate_id == place["estate_id"]))
        e2 = s.scalar(select(EstateIndex).where(EstateIndex.estate_id == place["e2"]))
        assert (e1.value, e1.level, e1.rank, e1.coverage, e1.turnout) == (73.0, "yellow", 1, 1.0, 0.5)
        assert e1.components["parameters"]["sub_weights"] == DEFAULT_PARAMETERS["sub_weights"]
        assert e1.components["method_version"] == "v1" and e1.components["ballots"] == 5
        assert (e2.value, e2.level, e2.low_turnout, e2.rank, e2.coverage) == (100.0, "none", True, None, 0.4)

    again = index_job.run(engine, RUN_AT + timedelta(hours=5))
    assert again["unchanged"] == 2 and again["stored"] == again["changed"] == 0
    assert _rows(engine) == rows  # the very same rows, computed_at included

    with writing(engine) as s:  # a late ballot counts in a re-run
        home = homes[place["estate_id"]][5]
        s.add(Ballot(household_id=home, estate_id=place["estate_id"], month=MONTH, cast_at=RUN_AT,
                     **{a: 5 for a in ASPECTS}))  # fmt: skip
    third = index_job.run(engine, RUN_AT + timedelta(days=1))
    assert third["changed"] == 1 and third["unchanged"] == 1
    with _look(engine) as s:
        assert s.scalar(select(EstateIndex.turnout).where(EstateIndex.estate_id == place["estate_id"])) == 0.6


def test_an_empty_store_and_a_quiet_month_compute_nothing(engine):
    _community(engine)
    summary = index_job.run(engine, RUN_AT)
    assert summary["rows"] == 0 and summary["red"] == ""
    with _look(engine) as s:
        assert s.scalar(select(func.count(EstateIndex.id))) == 0


def test_a_new_method_version_adds_results_and_never_rewrites_old_ones(engine):
    place = _community(engine)
    _ballots(engine, place["estate_id"], place["homes"][place["estate_id"]], MONTH, 75, 5)
    _scores(engine, place["estate_id"], MONTH, 80, 60)
    index_job.run(engine, RUN_AT)
    before = _rows(engine)
    with writing(engine) as s:
        with pytest.raises(IndexRefused):
            create_method(s, dict(DEFAULT_PARAMETERS), place["users"]["secretary"], "secretary", RUN_AT, True)
        with pytest.raises(IndexRefused) as bad:
            create_method(s, {**DEFAULT_PARAMETERS, "green_at": 10}, place["users"]["admin"], "admin", RUN_AT, True)
        assert bad.value.problems == ["thresholds"]
        params = {**DEFAULT_PARAMETERS, "sub_weights": {"residents": 1, "property": 0, "committee": 1}}
        assert create_method(s, params, place["users"]["admin"], "admin", RUN_AT, True) == "v2"
    assert index_job.run(engine, RUN_AT + timedelta(hours=1))["method_version"] == "v2"
    rows = _rows(engine)
    assert [r for r in rows if r[2] == "v1"] == before
    v2 = next(r for r in rows if r[2] == "v2")
    assert v2[3] == (75 + 60) / 2 and v2[4] == "yellow"
    with _look(engine) as s:
        assert load_method(s).version == "v2"
        assert [r["value"] for r in month_results(s, None, MONTH, "v1")] == [73.0, None]  # e2 had no inputs
        audit = s.scalars(select(AuditLog.entity_id).where(AuditLog.entity == "index_method")).all()
    assert audit == ["v2"]


def test_red_opens_a_rectification_that_is_followed_until_closed(engine):
    place = _community(engine)
    e1 = place["estate_id"]
    homes = place["homes"][e1]
    _ballots(engine, e1, homes, MONTH, 75, 5, fire_safety=25)  # fire safety rated 2: red by the override
    _scores(engine, e1, MONTH, 55, 55)
    summary = index_job.run(engine, RUN_AT)
    assert summary["red"] == "e1" and summary["rectifications_opened"] == 1
    with _look(engine) as s:
        case = s.scalar(select(Rectification))
        leader = s.get(User, place["users"]["grid_leader"])
        notes = s.scalars(select(Notification).where(Notification.kind == "index_red")).all()
    assert (case.estate_id, case.month, case.status) == (e1, MONTH, "open")
    assert case.interview_on.isoformat() == "2026-11-09" and case.due_on.isoformat() == "2026-12-09"
    assert case.attendees[0] == {"role": "grid_leader", "name": leader.display_name}
    assert [a["role"] for a in case.attendees] == ["grid_leader", "committee", "property_manager"]
    assert case.items[0]["code"] == "fire_safety" and case.items[0]["name_zh"] == "消防安全"
    assert len(case.items) == 5 and all(i["score"] < 60 for i in case.items)
    assert {n.user_id for n in notes} == {place["users"]["grid_leader"], place["users"]["secretary"]}
    assert "约谈" in notes[0].message_zh and "interview" in notes[0].message_en.lower()

    index_job.run(engine, RUN_AT + timedelta(hours=1))  # a re-run opens and notifies nothing new
    with _look(engine) as s:
        assert s.scalar(select(func.count(Rectification.id))) == 1
        assert s.scalar(select(func.count(Notification.id)).where(Notification.kind == "index_red")) == 2

    nxt = "2026-11"
    _ballots(engine, e1, homes, nxt, 75, 5)
    _scores(engine, e1, nxt, 80, 60)
    follow = index_job.run(engine, datetime(2026, 12, 1, 2, 0))
    assert follow["follow_ups"] == 1 and follow["red"] == ""
    with _look(engine) as s:
        case = s.scalar(select(Rectification))
    result = [f for f in case.follow_up if f["kind"] == "result"]
    assert result == [{"kind": "result", "month": nxt, "value": 73.0, "level": "yellow",
                       "change": round(73.0 - case.follow_up[0]["value"], 1), "trend": "improved",
                       "at": "2026-12-01T02:00:00"}]  # fmt: skip

    users = place["users"]
    ids = [place["community_id"]]
    with writing(engine) as s:
        with pytest.raises(IndexRefused) as refused:
            update_rectification(s, case.id, ids, users["viewer"], "viewer", RUN_AT, None, None, "", "", "x")
        assert refused.value.key == "forbidden"
        update_rectification(s, case.id, ids, users["grid_leader"], "grid_leader", datetime(2026, 11, 9, 10, 0),
                             None, None, "王主任", "李经理", "约谈已进行，物业承诺两周内清理楼道")  # fmt: skip
        with pytest.raises(IndexRefused) as refused:
            close_rectification(s, case.id, ids, users["grid_leader"], "grid_leader", RUN_AT, "done")
        assert refused.value.key == "forbidden"
        with pytest.raises(IndexRefused) as refused:
            close_rectification(s, case.id, ids, users["secretary"], "secretary", RUN_AT, "  ")
        assert refused.value.key == "close_note"
        close_rectification(
            s, case.id, ids, users["secretary"], "secretary", datetime(2026, 12, 10, 9, 0), "已整改到位"
        )
    with _look(engine) as s:
        case = s.scalar(select(Rectification))
    assert case.status == "closed" and case.closed_at == datetime(2026, 12, 10, 9, 0)
    assert [a["name"] for a in case.attendees[1:]] == ["王主任", "李经理"]
    assert [f["kind"] for f in case.follow_up] == ["opened", "note", "result", "closed"]
    # once closed, later months add nothing
    _ballots(engine, e1, homes, "2026-12", 75, 5)
    assert index_job.run(engine, datetime(2027, 1, 1, 2, 0))["follow_ups"] == 0


def test_recomputing_an_old_month_opens_no_case(engine):
    place = _community(engine)
    _ballots(engine, place["estate_id"], place["homes"][place["estate_id"]], MONTH, 75, 5, fire_safety=25)
    with writing(engine) as s:
        summary = compute_and_store(s, MONTH, datetime(2027, 3, 1, 9, 0))
    assert summary["red"] == "e1" and summary["rectifications_opened"] == 0


def _data_url(data: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def test_uploads_are_all_or_nothing_and_a_correction_replaces_the_month(engine):
    place = _community(engine)
    users, ids = place["users"], [place["community_id"]]
    now = datetime(2026, 11, 3, 10, 0)
    good = [HEADER] + [["e1", "", MONTH, code, 70] for code in PROPERTY + COMMITTEE]
    bad = good[:5] + [["e9", "", MONTH, "P05", 70]]
    outcome = ingest_scores_file(engine, _data_url(_csv(bad)), "bad.csv", MONTH, ids, users["secretary"], "secretary",
                                 now)  # fmt: skip
    assert [(e.row, e.code) for e in outcome["errors"]] == [(6, "unknown_estate")]
    with _look(engine) as s:
        assert s.scalar(select(func.count(IndicatorScore.id))) == 0
    refused = ingest_scores_file(engine, _data_url(_csv(good)), "x.csv", MONTH, ids, users["viewer"], "viewer", now)
    assert refused == {"error": "forbidden"}
    future = ingest_scores_file(engine, _data_url(_csv(good)), "x.csv", "2027-01", ids, users["admin"], "admin", now)
    assert future == {"error": "bad_month"}

    first = ingest_scores_file(engine, _data_url(_csv(good)), "scores.csv", MONTH, ids, users["secretary"],
                               "secretary", now)  # fmt: skip
    assert first == {"estates": 1, "stored": 32, "replaced": 0}
    corrected = [HEADER] + [["e1", "", MONTH, code, 90 if code == "P02" else 70] for code in PROPERTY + COMMITTEE[:-1]]
    xlsx = _data_url(_xlsx(corrected), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    second = ingest_scores_file(
        engine, xlsx, "fixed.xlsx", MONTH, ids, users["admin"], "admin", now + timedelta(hours=1)
    )
    assert second == {"estates": 1, "stored": 31, "replaced": 32}
    with _look(engine) as s:
        scores = month_scores(s, place["estate_id"], MONTH)
        log = s.scalars(select(AuditLog).where(AuditLog.entity == "indicator_score").order_by(AuditLog.id)).all()
    assert len(scores) == 31 and scores["P02"] == 90 and "C18" not in scores
    assert [(a.action, a.username) for a in log] == [("create", "c1_secretary"), ("replace", "c1_admin")]
    assert "upload fixed.xlsx: 32 scores replaced by 31" in log[1].detail
    assert "P02 70→90" in log[1].detail and "C18 70→-" in log[1].detail

    form = save_form_scores(engine, "e1", MONTH, {"P01": 55, "P02": "", "C01": None}, ids, users["grid_leader"],
                            "grid_leader", now + timedelta(hours=2))  # fmt: skip
    assert form == {"estates": 1, "stored": 1, "replaced": 31}
    bad_form = save_form_scores(engine, "e1", MONTH, {"P01": 155}, ids, users["admin"], "admin", now)
    assert [(e.field, e.code) for e in bad_form["errors"]] == [("score", "out_of_range")]
    with _look(engine) as s:
        assert month_scores(s, place["estate_id"], MONTH) == {"P01": 55}


def test_a_ballot_counts_once_per_household_and_month_and_codes_do_not_travel(engine, tmp_path):
    place = _community(engine)
    key = ballot_key(tmp_path)
    assert ballot_key(tmp_path) == key and len(key) == 32  # kept in the instance folder
    e1, e2 = place["estate_id"], place["e2"]
    home = place["homes"][e1][3]
    code = household_code(key, home, MONTH)
    ratings = {a: 4 for a in ASPECTS}
    with writing(engine) as s:
        assert household_for_code(s, key, e1, code.lower(), MONTH) == home
        with pytest.raises(BallotError) as other_estate:
            cast_ballot(s, key, e2, code, ratings, None, VOTE_AT)
        assert other_estate.value.key == "code"
        with pytest.raises(BallotError) as office:
            cast_ballot(s, key, place["office"], code, ratings, None, VOTE_AT)
        assert office.value.key == "estate"
        assert cast_ballot(s, key, e1, code, ratings, "好", VOTE_AT)["month"] == MONTH
    with writing(engine) as s, pytest.raises(BallotError) as twice:
        cast_ballot(s, key, e1, code, {a: 1 for a in ASPECTS}, None, VOTE_AT + timedelta(days=1))
    assert twice.value.key == "already"
    with writing(engine) as s, pytest.raises(BallotError) as stale:  # last month's code is no good next month
        cast_ballot(s, key, e1, code, ratings, None, datetime(2026, 11, 2, 9, 0))
    assert stale.value.key == "code"
    with _look(engine) as s:
        assert s.scalar(select(func.count(Ballot.id))) == 1


def test_the_notice_sheet_lists_codes_and_is_audited(engine, tmp_path):
    place = _community(engine, households=3)
    key = ballot_key(tmp_path)
    with writing(engine) as s:
        sheet = notice_sheet(s, key, [place["community_id"]], "e1", MONTH, place["users"]["grid_worker"], VOTE_AT)
        assert notice_sheet(s, key, [999], "e1", MONTH, place["users"]["grid_worker"], VOTE_AT) is None
    assert [h["room"] for h in sheet["households"]] == ["0101", "0201", "0301"]
    assert sheet["households"][0]["code"] == household_code(key, place["homes"][place["estate_id"]][0], MONTH)
    with _look(engine) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.entity == "ballot_code")).all()
    assert [(a.action, a.entity_id, a.username) for a in audit] == [("read", f"e1:{MONTH}", "c1_grid_worker")]


# --- the web: /vote, the page, the printable pages, the API ----------------------------------------------------


@pytest.fixture
def web(sqlite_engine, tmp_path):
    from app import create_app

    place = _community(sqlite_engine)
    e1 = place["estate_id"]
    _ballots(sqlite_engine, e1, place["homes"][e1], MONTH, 75, 5, fire_safety=25)
    _scores(sqlite_engine, e1, MONTH, 55, 55)
    _ballots(sqlite_engine, place["e2"], place["homes"][place["e2"]], MONTH, 90, 6)
    _scores(sqlite_engine, place["e2"], MONTH, 85, 85)
    index_job.run(sqlite_engine, RUN_AT)
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url),
                      "public_vote_limit": 5})  # fmt: skip
    app.server.config["TESTING"] = True
    return app, place


def _vote_form(client, estate_id, code, **ratings) -> dict:
    page = client.get("/vote").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return {"csrf_token": token, "estate": str(estate_id), "code": code,
            **{a: str(ratings.get(a, 4)) for a in ASPECTS}, "comment": "楼道灯修好了，谢谢"}  # fmt: skip


def test_vote_page_casts_once_refuses_alike_and_counts_in_a_rerun(web, sqlite_engine):
    from data_access.clock import local_now

    app, place = web
    config = app.server.extensions["cockpit"]["config"]
    key = ballot_key(config.instance_path)
    month = f"{local_now().year:04d}-{local_now().month:02d}"
    e1 = place["estate_id"]
    code = household_code(key, place["homes"][e1][7], month)
    client = app.server.test_client()
    page = client.get("/vote")
    assert page.status_code == 200 and "小区运行每月评议" in page.get_data(as_text=True)
    assert "园区" not in page.get_data(as_text=True)  # office parks are not on the ballot
    client.get("/lang/en")
    assert "Monthly estate rating" in client.get("/vote").get_data(as_text=True)

    form = _vote_form(client, e1, code)
    assert client.post("/vote", data={**form, "csrf_token": "forged"}).status_code == 400
    wrong = client.post("/vote", data=_vote_form(client, e1, "ABCD-EFGH"))
    other = client.post("/vote", data=_vote_form(client, place["e2"], code))
    assert wrong.status_code == other.status_code == 400
    message = "does not match the estate chosen"
    assert message in wrong.get_data(as_text=True) and message in other.get_data(as_text=True)
    missing = client.post("/vote", data={**_vote_form(client, e1, code), "elevator": ""})
    assert missing.status_code == 400 and "Please rate every aspect" in missing.get_data(as_text=True)

    done = client.post("/vote", data=_vote_form(client, e1, code.lower()))
    assert done.status_code == 303 and "/vote/thanks" in done.headers["Location"]
    thanks = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Estate One" in thanks and "counted" in thanks
    again = client.post("/vote", data=_vote_form(client, e1, code, fire_safety=1))
    assert again.status_code == 409 and "already voted this month" in again.get_data(as_text=True)
    limited = client.post("/vote", data=_vote_form(client, e1, code))  # the 6th counted POST in the window
    assert limited.status_code == 429

    with _look(sqlite_engine) as s:
        ballot = s.scalar(select(Ballot).where(Ballot.month == month))
    assert ballot.household_id == place["homes"][e1][7] and ballot.comment == "楼道灯修好了，谢谢"
    y, m = int(month[:4]), int(month[5:])
    summary = index_job.run(sqlite_engine, datetime(y + (m == 12), m % 12 + 1, 1, 2, 0))
    assert summary["month"] == month
    with _look(sqlite_engine) as s:
        row = s.scalar(select(EstateIndex).where(EstateIndex.month == month, EstateIndex.estate_id == e1))
    assert row.components["ballots"] == 1 and row.low_turnout and row.level == "none"


def _route(client, path: str, search: str = "") -> tuple[int, str]:
    from tests.test_web import _csrf_cookie, decoded

    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }  # fmt: skip
    headers = {"X-CSRFToken": _csrf_cookie(client)} if client.get_cookie("_csrf_token") else {}
    response = client.post("/_dash-update-component", json=payload, headers=headers)
    return response.status_code, decoded(response) if response.status_code == 200 else ""


def _call(client, outputs: list[str], inputs: list[tuple], state: list[tuple] = ()):
    """A callback through Dash's endpoint, as the browser sends it. Each input or state is ("id.prop", value), or
    (("prop", [(pattern id, value), ...]), None) for a pattern-matching ALL."""
    from tests.test_web import _csrf_cookie

    def spec(item):
        target, value = item
        if isinstance(target, tuple):
            prop, values = target
            return [{"id": i, "property": prop, "value": v} for i, v in values]
        cid, prop = target.rsplit(".", 1)
        return {"id": cid, "property": prop, "value": value}

    outs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in outputs]
    payload = {
        "output": outputs[0] if len(outputs) == 1 else ".." + "...".join(outputs) + "..",
        "outputs": outs[0] if len(outputs) == 1 else outs,
        "inputs": [spec(i) for i in inputs],
        "changedPropIds": [inputs[0][0]],
        "state": [spec(x) for x in state],
    }
    headers = {"X-CSRFToken": _csrf_cookie(client)} if client.get_cookie("_csrf_token") else {}
    return client.post("/_dash-update-component", json=payload, headers=headers)


def test_the_page_ranks_and_drills_down_for_every_role(web):
    from tests.test_web import decoded_layout, login

    app, place = web
    client = app.server.test_client()
    assert _route(client, "/estate-index")[0] == 401
    login(client, "c1_viewer", "pw-viewer")
    assert "nav-estate-index" in decoded_layout(client)
    status, page = _route(client, "/estate-index", f"?month={MONTH}")
    assert status == 200 and "idx-ranking" in page
    assert "小区一" in page and "小区二" in page and "红色预警" in page and "园区" not in page
    assert "idx-case" in page and "整改事项" in page  # the red estate is shown first, with its case
    assert "idx-entry" not in page and "idx-m-save" not in page and "idx-notice-form" not in page
    assert "电梯很好" in page and "0101" not in page  # comments, never the household
    status, detail = _route(client, "/estate-index", f"?month={MONTH}&estate=e2")
    assert status == 200 and "小区二 · 2026年10月" in detail


def test_page_callbacks_check_the_role_and_write_through_data_access(web, sqlite_engine):
    from tests.test_web import login

    app, place = web
    viewer = app.server.test_client()
    login(viewer, "c1_viewer", "pw-viewer")
    viewer.get("/")
    pattern = {"type": "idx-score", "code": "P01"}
    save = (["idx-entry-feedback.children"], [("idx-entry-save.n_clicks", 1)],
            [("idx-entry-month.value", MONTH), ("idx-entry-estate.value", "e1"),
             (("value", [(pattern, 66)]), None), (("id", [(pattern, pattern)]), None)])  # fmt: skip
    assert _call(viewer, *save).status_code == 403
    anonymous = app.server.test_client()
    assert _call(anonymous, *save).status_code == 401

    secretary = app.server.test_client()
    login(secretary, "c1_secretary", "pw-secretary")
    secretary.get("/")
    response = _call(secretary, *save)
    assert response.status_code == 200 and "idx-entry-done" in response.get_data(as_text=True)
    with _look(sqlite_engine) as s:
        assert month_scores(s, place["estate_id"], MONTH) == {"P01": 66}

    with _look(sqlite_engine) as s:
        case_id = s.scalar(select(Rectification.id))
    follow = (["idx-case-wrap.children"], [("idx-case-save.n_clicks", 1), ("idx-case-close.n_clicks", 0)],
              [("idx-case-id.data", case_id), ("idx-case-interview.value", "2026-11-12"),
               ("idx-case-due.value", "2026-12-12"), ("idx-case-committee.value", "王主任"),
               ("idx-case-property.value", ""), ("idx-case-note.value", "约谈时间改到周四")])  # fmt: skip
    assert _call(viewer, *follow).status_code == 403
    response = _call(secretary, *follow)
    assert response.status_code == 200 and "约谈时间改到周四" in json.dumps(response.get_json(), ensure_ascii=False)
    with _look(sqlite_engine) as s:
        assert s.get(Rectification, case_id).interview_on.isoformat() == "2026-11-12"

    weight = {"type": "idx-w", "code": "P01"}
    method = (["idx-method-body.children"], [("idx-m-save.n_clicks", 1), (("n_clicks", []), None)],
        [("idx-m-residents.value", 0.5), ("idx-m-property.value", 0.25), ("idx-m-committee.value", 0.25),
         ("idx-m-green.value", 85), ("idx-m-yellow.value", 60), ("idx-m-safety.value", 50),
         ("idx-m-turnout.value", 0.2), ("idx-m-coverage.value", 0.5), ("idx-m-draws.value", 500.0),
         ("idx-m-jitter.value", 0.1), ("idx-m-seed.value", 11), ("idx-m-activate.value", True),
         (("value", [(weight, 2)]), None), (("id", [(weight, weight)]), None)])  # fmt: skip
    assert _call(secretary, *method).status_code == 403
    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    admin.get("/")
    response = _call(admin, *method)
    assert response.status_code == 200 and "v2" in response.get_data(as_text=True)
    with _look(sqlite_engine) as s:
        v2 = load_method(s)
    assert v2.version == "v2" and v2.green_at == 85 and v2.draws == 500 and v2.weights["P01"] == 2
    assert v2.safety_aspects == ("fire_safety", "elevator")

    recompute = (["idx-nav.href", "idx-recompute-feedback.children"], [("idx-recompute.n_clicks", 1)],
                 [("idx-view.data", {"month": MONTH, "version": "v1"})])  # fmt: skip
    assert _call(viewer, *recompute).status_code == 403
    response = _call(admin, *recompute)
    assert response.status_code == 200 and "done=recomputed" in response.get_data(as_text=True)
    with _look(sqlite_engine) as s:
        versions = set(s.scalars(select(EstateIndex.method_version).where(EstateIndex.month == MONTH)))
    assert versions == {"v1", "v2"}


def test_printable_report_and_notice(web, sqlite_engine):
    from tests.test_web import login

    app, place = web
    anonymous = app.server.test_client()
    assert anonymous.get(f"/estate-index/report?month={MONTH}").status_code == 302
    viewer = app.server.test_client()
    login(viewer, "c1_viewer", "pw-viewer")
    zh = viewer.get(f"/estate-index/report?month={MONTH}&lang=zh").get_data(as_text=True)
    assert "小区运行指数月报 · 2026年10月" in zh and "红色预警" in zh and "整改事项" in zh and "电梯很好" in zh
    en = viewer.get(f"/estate-index/report?month={MONTH}&lang=en&estate=e1").get_data(as_text=True)
    assert "Estate running index · October 2026" in en and "Red warning" in en and "Estate Two" not in en
    assert viewer.get("/estate-index/report?month=2020-01").status_code == 404
    assert viewer.get("/estate-index/notice?estate=e1").status_code == 403

    worker = app.server.test_client()
    login(worker, "c1_grid_worker", "pw-grid_worker")
    sheet = worker.get("/estate-index/notice?estate=e1&lang=en")
    text = sheet.get_data(as_text=True)
    assert sheet.status_code == 200 and text.count('class="slip"') == 10 and "household code" in text
    assert worker.get("/estate-index/notice?estate=e1&month=2020-01").status_code == 400
    assert worker.get("/estate-index/notice?estate=o1").status_code == 404
    with _look(sqlite_engine) as s:
        assert s.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity == "ballot_code")) == 1


def test_api_returns_each_estates_result_to_machine_and_wall_tokens(web, sqlite_engine):
    from data_access.tokens import issue_token

    app, place = web
    other_community = tiny_community(sqlite_engine, code="c2", with_users=False)["community_id"]
    with writing(sqlite_engine) as s:
        wall = issue_token(s, "wall", "wall", RUN_AT, community_id=place["community_id"])
        elsewhere = issue_token(s, "machine", "other", RUN_AT, community_id=other_community)
        open311 = issue_token(s, "open311", "o", RUN_AT)
    client = app.server.test_client()
    assert client.get("/api/v1/estate-index").status_code == 401
    assert client.get("/api/v1/estate-index", headers={"Authorization": f"Bearer {open311}"}).status_code == 401
    auth = {"Authorization": f"Bearer {wall}"}
    body = client.get(f"/api/v1/estate-index?month={MONTH}", headers=auth).get_json()
    assert body["month"] == MONTH and body["method_version"] == "v1"
    assert body["parameters"]["sub_weights"] == DEFAULT_PARAMETERS["sub_weights"]
    red = next(e for e in body["estates"] if e["estate"] == "e1")
    assert red["level"] == "red" and red["safety_override"] == ["fire_safety"] and red["red_share"] == 1.0
    assert red["rank"] == 2 and red["rank_interval"] == [2, 2] and red["sub_indices"]["property"] == 55.0
    assert client.get("/api/v1/estate-index", headers=auth).get_json()["month"] == MONTH  # latest by default
    assert client.get("/api/v1/estate-index?month=2026-13", headers=auth).status_code == 400
    assert client.get("/api/v1/estate-index?version=v9", headers=auth).status_code == 404
    other = client.get(f"/api/v1/estate-index?month={MONTH}", headers={"Authorization": f"Bearer {elsewhere}"})
    assert other.status_code == 200 and other.get_json()["estates"] == []
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/estate-index" in spec["paths"]


def test_message_families_are_complete():
    from i18n import MESSAGES

    families = {
        "idx.level": ("green", "yellow", "red", "none"),
        "idx.group": ("residents", "property", "committee"),
        "idx.trend": ("improved", "better_still_red", "worse", "same", "not_rated"),
        "idx.case.status": ("open", "closed"),
        "idx.attendee": ("grid_leader", "committee", "property_manager"),
        "idx.error": ("forbidden", "not_found", "closed", "note_too_long", "name_too_long", "dates", "no_change",
                      "close_note", "parameters", "recompute"),
        "idx.m.problem": ("sub_weights", "thresholds", "safety_floor", "safety_aspects", "turnout_floor",
                          "min_coverage", "draws", "seed", "jitter", "interval", "weights"),
        "idx.upload_error": ("empty", "xls", "not_readable", "no_header", "too_large", "forbidden", "bad_month"),
        "idx.problem": ("missing", "unknown_estate", "unknown_indicator", "bad_score", "out_of_range", "duplicate",
                        "wrong_month", "too_many"),
        "idx.field": ("estate", "month", "indicator", "score", "file"),
        "idx.log_action": ("create", "replace", "delete"),
        "idx.change": ("interview_on", "due_on", "grid_leader", "committee", "property_manager"),
        "vote.error": ("code", "already", "estate"),
        "vote.rating": ("1", "2", "3", "4", "5"),
    }  # fmt: skip
    assert [f"{k}.{v}" for k, vs in families.items() for v in vs if f"{k}.{v}" not in MESSAGES] == []


# --- the demo ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory, sqlite_template):
    """The demo on SQLite only: the job's SQL runs on both engines above, and the demo's sameness across engines is
    tests/test_demo.py's business."""
    import shutil

    from data_access.db import make_engine
    from data_access.demo import build_demo
    from tests.conftest import DEMO_AS_OF

    path = tmp_path_factory.mktemp("index-demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    build_demo(engine, as_of=DEMO_AS_OF, password="demo-pass-1")
    yield engine
    engine.dispose()


def test_the_demo_year_has_a_red_month_with_its_case_and_a_close_race(demo_sqlite):
    from tests.conftest import DEMO_AS_OF

    demo_engine = demo_sqlite
    summary = index_job.run(demo_engine, DEMO_AS_OF)  # nothing is computed yet: the month before as_of
    from jobs.__main__ import backfill
    from jobs.registry import job_specs
    from settings import load_config

    result = backfill(demo_engine, job_specs(load_config())["estate_index"], DEMO_AS_OF, 366, "Asia/Shanghai")
    assert summary["rows"] == 3 and result["backfilled_runs"] == 12 and result["failed_runs"] == 0
    with _look(demo_engine) as s:
        rows = s.execute(select(Estate.code, EstateIndex.month, EstateIndex.level, EstateIndex.rank_low,
                                EstateIndex.rank_high).join(Estate, Estate.id == EstateIndex.estate_id)).all()  # fmt: skip
        cases = s.scalars(select(Rectification)).all()
    assert len(rows) == 36 and len({m for _c, m, *_ in rows}) == 12
    red = [(c, m) for c, m, level, *_ in rows if level == "red"]
    assert red == [("fengshang", "2026-07")]
    assert [(s_.month, s_.status) for s_ in cases] == [("2026-07", "open")]
    assert [f["trend"] for f in cases[0].follow_up if f["kind"] == "result"] == ["improved"] * 3
    close = [(c, lo, hi) for c, m, _lvl, lo, hi in rows if m == "2026-09" and c in ("junjing", "yitian")]
    assert sorted(close) == [("junjing", 1, 2), ("yitian", 1, 2)]
