"""The audit log for administrators (pure): who read, revealed, changed or deleted personal data."""

from __future__ import annotations

import dash_ag_grid as dag

from components.common import fmt_time
from i18n import t
from i18n.grid_locale import grid_locale

ACTIONS = ("read", "reveal", "create", "update", "delete", "import")


def audit_rows(rows: list[dict], lang: str) -> list[dict]:
    return [
        {
            "at": fmt_time(r["at"]) + r["at"].strftime(":%S"),
            "user": r["username"],
            "action": t(f"aud.action_{r['action']}", lang) if r["action"] in ACTIONS else r["action"],
            "entity": r["entity"],
            "entity_id": r["entity_id"] or "",
            "detail": r["detail"] or "",
        }
        for r in rows
    ]


def audit_grid(rows: list[dict], lang: str) -> dag.AgGrid:
    columns = [("at", "aud.at", 170), ("user", "aud.user", 120), ("action", "aud.action", 110),
               ("entity", "aud.entity", 170), ("entity_id", "aud.entity_id", 120), ("detail", "aud.detail", 260)]  # fmt: skip
    return dag.AgGrid(
        id="aud-grid",
        rowData=audit_rows(rows, lang),
        columnDefs=[{"field": f, "headerName": t(k, lang), "minWidth": w} for f, k, w in columns],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "localeText": grid_locale(lang)},
        style={"height": "640px"},
        className="ag-theme-quartz",
    )
