"""The `parking_overstay` job: half an hour after a lot's sharing window closes, a lot still fuller
than its usual level at that time (by more than the margin) raises a hotspot: a routine
illegal-parking case for the grid, opened once per lot and window.

Counts are read from the sample nearest each moment within `domain.parking.SAMPLE_TOLERANCE` (7 min
for 15-minute counters), and a check stays due for one more run within that tolerance, so a counter
that reports a few minutes off the quarter hour, or late, is still judged."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from data_access.case_intake import NewCase, open_case
from data_access.db import reading, writing
from data_access.parking import all_lots, counts_near, lot_place, lot_settings
from domain.parking import OVERSTAY_CHECK_AFTER, history_days, overstay, overstay_due, window_bounds

INTERVAL = timedelta(minutes=15)


def run(engine: Engine, now: datetime, margin: int = 15) -> dict:
    checked, raised = 0, []
    with reading(engine) as s:
        lots = [(lot.id, lot.code, lot_settings(lot)) for lot in all_lots(s)]
    for lot_id, code, settings in lots:
        check = overstay_due(now, settings, INTERVAL)
        if check is None:
            continue
        checked += 1
        # the same moment after each earlier window of the same day type: the lot's own baseline
        same_time = [window_bounds(day, settings)[1] + OVERSTAY_CHECK_AFTER for day in history_days(check, settings)]
        same_time = [moment for moment in same_time if moment < check]
        with reading(engine) as s:
            # the sample nearest each moment, within SAMPLE_TOLERANCE: counters need not report on the quarter hour
            history = counts_near(s, lot_id, same_time)
            latest = counts_near(s, lot_id, [check]).get(check)
            place = lot_place(s, lot_id)
        is_over, baseline = overstay(latest, list(history.values()), margin)
        if not is_over:
            continue
        latest, excess = int(latest), int(latest - baseline)
        with writing(engine) as s:
            _case_id, created = open_case(
                s,
                NewCase(
                    community_id=place["community_id"],
                    source="iot",
                    source_ref=f"overstay:{code}:{check:%Y-%m-%dT%H:%M}",
                    category="illegal_parking",
                    grade="routine",
                    description=(
                        f"{place['lot_zh']}共享时段结束30分钟后仍有 {latest} 辆车，比平时多约 {excess} 辆，"
                        f"请核查共享车辆是否超时停放。 / {place['lot_en']}: {latest} cars half an hour after the "
                        f"sharing window closed, about {excess} above usual; check for shared cars overstaying."
                    ),
                    actor_label="system",
                    estate_id=place["estate_id"],
                    grid_id=place["grid_id"],
                    lat=place["lat"],
                    lon=place["lon"],
                    cues=("overstay",),
                    confidence=1.0,
                ),
                now,
            )
        if created:
            raised.append(code)
    return {"rows": len(raised), "checked": checked, "raised": ", ".join(raised)}
