"""Strings of the metrics page (综合评价) and of the case grid's drill-down note: {key: (zh, en)}."""

from __future__ import annotations

METRICS_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.metrics": ("综合评价", "Metrics"),
    "metric.title": ("综合评价", "Closed-loop metrics"),
    "metric.subtitle": (
        "结案率、按期结案率、返工率与处置时长，按网格、处置人、类别、来源或月份统计",
        "Closure, on-time closure and rework rates and handling time, by grid, handler, category, source or month",
    ),
    "metric.period": ("统计期", "Period"),
    "metric.period_month": ("本月", "This month"),
    "metric.period_3m": ("近3个月", "Last 3 months"),
    "metric.period_12m": ("近12个月", "Last 12 months"),
    "metric.period_range": ("统计期 {first} 至 {last}", "Months {first} to {last}"),
    "metric.months_range": ("{first} 至 {last}", "{first} to {last}"),
    "metric.click_hint": (
        "点击图中柱形、折线点或表中数字，查看对应事件",
        "Click a bar, a point or a number to list its cases",
    ),
    "metric.current": ("（当前）", " (current)"),
    "metric.dimension": ("统计维度", "Group by"),
    "metric.dim_grid": ("网格", "Grid"),
    "metric.dim_handler": ("处置人", "Handler"),
    "metric.dim_category": ("类别", "Category"),
    "metric.dim_source": ("来源", "Source"),
    "metric.dim_month": ("月份", "Month"),
    # the dimension inside a sentence ("Rates by grid")
    "metric.dim_text_grid": ("网格", "grid"),
    "metric.dim_text_handler": ("处置人", "handler"),
    "metric.dim_text_category": ("类别", "category"),
    "metric.dim_text_source": ("来源", "source"),
    "metric.dim_text_month": ("月份", "month"),
    "metric.closed_rate": ("结案率", "Closure rate"),
    "metric.on_time_rate": ("按期结案率", "On-time closure rate"),
    "metric.rework_rate": ("返工率", "Rework rate"),
    "metric.median_hours": ("处置时长中位数", "Median handling time"),
    "metric.closed_note": ("已结 {closed} / 应结 {due}", "{closed} closed of {due} due"),
    "metric.on_time_note": ("按期结 {on_time} / 应结 {due}", "{on_time} closed on time of {due} due"),
    "metric.rework_note": ("返工 {reopened} / 已处置 {resolved}", "{reopened} reopened of {resolved} resolved"),
    "metric.median_note": ("上报至处置，共 {n} 件", "Report to resolution, {n} cases"),
    "metric.hours": ("{h} 小时", "{h} h"),
    "metric.rates_by": ("各{dim}结案率、按期结案率与返工率", "Rates by {dim}"),
    "metric.trend": ("近{n}个月趋势", "The last {n} months"),
    "metric.levels": ("当前在办与超期事件（按{dim}、层级）", "Open and overdue now, by {dim} and level"),
    "metric.table": ("按{dim}明细", "Details by {dim}"),
    "metric.due": ("应结", "Due"),
    "metric.closed": ("已结", "Closed"),
    "metric.on_time": ("按期结", "On time"),
    "metric.resolved": ("已处置", "Resolved"),
    "metric.reopened": ("返工", "Reopened"),
    "metric.open": ("在办", "Open"),
    "metric.overdue": ("超期", "Overdue"),
    "metric.total": ("合计", "Total"),
    "metric.no_handler": ("尚未处置", "Not resolved yet"),
    "metric.no_grid": ("未划入网格", "No grid"),
    "metric.top_n": (
        "仅显示事件最多的 {n} 项（共 {total} 项），完整数据见下方明细表",
        "The busiest {n} of {total}; the table below lists all",
    ),
    "metric.rate_axis": ("比率（%）", "Rate (%)"),
    "metric.cases_axis": ("事件数", "Cases"),
    "metric.definitions_title": ("统计口径", "How these figures are counted"),
    "metric.definitions": (
        "应结：统计期内结案的事件，加上仍在办理、处置时限在统计期内届满的事件；已处置待核查的事件暂不计入，"
        "驳回和重复上报的事件不计入。结案率 = 已结 ÷ 应结；按期结案率 = 在时限内处置且未因超时升级的已结事件 ÷ 应结。"
        "返工率 = 被退回重新处置过的事件 ÷ 统计期内处置的事件。处置时长：从上报到最近一次处置，取中位数。"
        "处置人：最近一次处置该事件的工作人员。在办与超期为当前数量，按当前层级统计；按月份统计时按上报月份归类。",
        "Due: cases closed in the period, plus cases still being worked whose deadline passed in it; a resolved "
        "case awaiting verification is not yet due, and rejected or duplicate reports never are. Closure rate = "
        "closed ÷ due; on-time closure rate = closed cases resolved within their time limit and never escalated "
        "for lateness ÷ due. Rework rate = cases sent back for rework ÷ cases resolved in the period. Handling "
        "time: from report to the latest resolution, the median. Handler: the staff member who last resolved "
        "the case. Open and overdue are counts now, by current level; by month, they are grouped by the month "
        "the case was reported.",
    ),
    # the case grid's note when it was opened from a metric
    "metric.drill_note": ("钻取筛选：", "Drill-down filter:"),
    "metric.drill_clear": ("清除", "Clear"),
    "metric.drill_back": ("返回综合评价", "Back to the metrics"),
    "metric.drill_handler": ("处置人 {name}", "handled by {name}"),
    "metric.drill_month": ("{months} 上报", "reported in {months}"),
    "metric.drill_due": ("{months} 应结", "due to close in {months}"),
    "metric.drill_resolved": ("{months} 处置", "resolved in {months}"),
    "metric.drill_on_time": ("按期结案", "closed on time"),
    "metric.drill_reopened": ("返工过", "reopened"),
}
