"""Residents and households: imports (CSV and Excel; a bad row rejects the file; idempotent on
external_id), edits, masking per role with audited reveals — in data_access and through the Dash
endpoint as a logged-in role and anonymously — the aggregates, and the admins' audit page."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from data_access.db import reading, writing
from data_access.models import AuditLog, Grid, Household, Resident
from data_access.people import (
    PeopleError,
    building_households,
    import_people,
    reveal_resident,
    save_household,
    save_resident,
)
from data_access.population import buildings_of_estate, care_by_tag, foreign_by_language
from domain.masking import mask_name
from domain.people import CARE_TAGS, read_table
from tests.factories import NOW, tiny_community
from tests.test_web import _csrf_cookie, decoded, login

HOUSEHOLDS = (
    "external_id,estate,building,unit,room,size,tenure\n"
    "HH-1,e1,1,1,101,2,owner\n"
    "HH-2,e1,1,1,102,1,租住\n"
    "HH-3,e1,1,2,201,3,\n"
)
RESIDENTS = (
    "外部编号,住户,姓名,电话,出生年份,性别,国籍,语言,关爱标签,与户主关系\n"
    "RS-1,HH-1,王秀英,13812345678,1941,女,CN,zh,独居老人,本人\n"
    'RS-2,HH-1,Kim Minjun,13900001111,1990,M,KR,"ko,en,zh",,spouse\n'
    "RS-3,HH-2,李明,,2015,M,CN,zh,child,child\n"
)


def _import(engine, user_id: int, kind: str, text: str | bytes, filename: str = "f.csv") -> dict:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with writing(engine) as s:
        return import_people(s, user_id, kind, data, filename, NOW)


@pytest.fixture
def people(engine):
    place = tiny_community(engine)
    secretary = place["users"]["secretary"]
    assert _import(engine, secretary, "households", HOUSEHOLDS) == {"created": 3, "updated": 0, "unchanged": 0}
    assert _import(engine, secretary, "residents", RESIDENTS) == {"created": 3, "updated": 0, "unchanged": 0}
    return engine, place


def test_an_import_is_idempotent_and_updates_what_changed(people):
    engine, place = people
    secretary = place["users"]["secretary"]
    assert _import(engine, secretary, "households", HOUSEHOLDS) == {"created": 0, "updated": 0, "unchanged": 3}
    assert _import(engine, secretary, "residents", RESIDENTS) == {"created": 0, "updated": 0, "unchanged": 3}
    changed = RESIDENTS.replace("13812345678", "13812340000")
    assert _import(engine, secretary, "residents", changed) == {"created": 0, "updated": 1, "unchanged": 2}
    with reading(engine) as s:
        kim = s.scalar(select(Resident).where(Resident.external_id == "RS-2"))
        assert (kim.languages, kim.gender, kim.relation, kim.care_tags) == ("ko,en,zh", "M", "spouse", "")
        wang = s.scalar(select(Resident).where(Resident.external_id == "RS-1"))
        assert (wang.phone, wang.care_tags, wang.gender) == ("13812340000", "elderly_alone", "F")
        assert s.scalar(select(Household.tenure).where(Household.external_id == "HH-2")) == "tenant"
        imports = s.scalars(select(AuditLog.detail).where(AuditLog.action == "import")).all()
    assert len(imports) == 5 and "1 updated" in imports[-1]


def test_a_bad_row_rejects_the_whole_file_with_row_level_errors(people):
    engine, place = people
    secretary = place["users"]["secretary"]
    bad = (
        "external_id,household,name,birth_year,gender,nationality,care_tags\n"
        "RS-10,HH-3,张三,1980,M,CN,\n"  # fine
        "RS-11,HH-3,,1980,X,CHN,\n"  # no name, bad gender, bad country
        "RS-12,HH-404,李四,1899,F,CN,wizard\n"  # unknown tag, impossible year
        "RS-10,HH-3,王五,1980,M,CN,\n"  # repeats RS-10
    )
    outcome = _import(engine, secretary, "residents", bad)
    assert {(e.row, e.field, e.code) for e in outcome["errors"]} == {
        (2, "name", "missing"),
        (2, "gender", "bad_choice"),
        (2, "nationality", "bad_country"),
        (3, "birth_year", "bad_year"),
        (3, "care_tags", "bad_tag"),
        (4, "external_id", "duplicate"),
    }
    # rows that pass the field checks are checked against the store: an unknown household rejects too
    unknown = "external_id,household,name,birth_year,gender,nationality\nRS-10,HH-3,张三,1980,M,CN\nRS-12,HH-404,李四,1950,F,CN\n"
    outcome = _import(engine, secretary, "residents", unknown)
    assert [(e.row, e.field, e.code) for e in outcome["errors"]] == [(2, "household", "unknown_household")]
    taken = "external_id,estate,building,unit,room\nHH-9,e1,1,1,101\nHH-10,e9,1,1,101\n"
    outcome = _import(engine, secretary, "households", taken)
    assert {(e.row, e.field, e.code) for e in outcome["errors"]} == {
        (1, "room", "place_taken"),
        (2, "estate", "unknown_estate"),
    }
    with reading(engine) as s:
        assert s.scalar(select(func.count(Resident.id))) == 3 and s.scalar(select(func.count(Household.id))) == 3
    assert _import(engine, secretary, "residents", b"\x00\x01\x02garbage", "x.xlsx") == {"error": "not_table"}
    assert _import(engine, secretary, "residents", "name,phone\nA,1\n") == {"error": "no_header"}
    with pytest.raises(PeopleError, match="forbidden"):
        _import(engine, place["users"]["grid_worker"], "residents", RESIDENTS)


def test_excel_files_import_like_csv(people):
    engine, place = people
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "household", "name", "phone", "birth_year", "gender", "nationality", "languages"])
    sheet.append(["RS-20", "HH-3", "陈静", 13700001234, 1985, "F", "CN", "zh"])  # Excel keeps the phone as a number
    sheet.append(["RS-21", "HH-3", "Anna Müller", None, 1988.0, "F", "DE", "de,en"])
    out = io.BytesIO()
    book.save(out)
    assert _import(engine, place["users"]["admin"], "residents", out.getvalue(), "people.xlsx")["created"] == 2
    with reading(engine) as s:
        chen = s.scalar(select(Resident).where(Resident.external_id == "RS-20"))
        assert (chen.phone, chen.birth_year) == ("13700001234", 1985)
    rows, problem = read_table("外部编号,姓名\nX1,王\n".encode("gb18030"), "gbk.csv")
    assert problem is None and rows == [{"external_id": "X1", "name": "王"}]


def test_names_and_phones_are_masked_unless_the_role_may_reveal_and_each_reveal_is_audited(people):
    engine, place = people
    users = place["users"]
    with writing(engine) as s:
        building = place["building_id"]
        for role in ("viewer", "department"):
            assert building_households(s, users[role], building, NOW) is None
        admin = building_households(s, users["admin"], building, NOW)
        worker = building_households(s, users["grid_worker"], building, NOW)
    assert (admin["may_reveal"], admin["may_edit"], worker["may_reveal"], worker["may_edit"]) == (
        False,
        True,
        True,
        True,
    )
    members = [m for h in admin["households"] for m in h["members"]]
    assert {m["name"] for m in members} == {"王**", "K*** M***", "李*"}
    assert "13812345678" not in json.dumps(admin, default=str) and "王秀英" not in json.dumps(admin, default=str)
    assert next(m for m in members if m["name"] == "王**")["phone"] == "138****5678"

    rid = next(m["id"] for m in members if m["name"] == "王**")
    with writing(engine) as s:
        assert reveal_resident(s, users["grid_worker"], rid, NOW) == {"name": "王秀英", "phone": "13812345678"}
        assert reveal_resident(s, users["secretary"], rid, NOW)["name"] == "王秀英"
    for role in ("admin", "viewer", "street_cadre"):
        with pytest.raises(PeopleError, match="forbidden"), writing(engine) as s:
            reveal_resident(s, users[role], rid, NOW)
    # a grid worker of another grid may not, even in the same community
    with writing(engine) as s:
        other_grid = Grid(community_id=place["community_id"], code="G2", name_zh="第二网格", name_en="Grid 2")
        s.add(other_grid)
        s.flush()
        from data_access.users import create_user

        outsider = create_user(s, "c1_gw2", "pw", "grid_worker", NOW, display_name="gw2",
                               community_id=place["community_id"], grid_id=other_grid.id).id  # fmt: skip
    with pytest.raises(PeopleError, match="forbidden"), writing(engine) as s:
        reveal_resident(s, outsider, rid, NOW)
    with writing(engine) as s:
        assert building_households(s, outsider, place["building_id"], NOW) is None
    with reading(engine) as s:
        reveals = s.execute(
            select(AuditLog.username, AuditLog.entity_id).where(AuditLog.action == "reveal").order_by(AuditLog.id)
        ).all()
        reads = s.scalar(select(func.count()).where(AuditLog.entity == "building.households"))
    assert reveals == [("c1_grid_worker", str(rid)), ("c1_secretary", str(rid))]
    assert reads == 2  # the two lists that were shown


def test_edits_keep_masked_fields_unless_replaced_and_are_audited(people):
    engine, place = people
    users = place["users"]
    with reading(engine) as s:
        rid = s.scalar(select(Resident.id).where(Resident.external_id == "RS-1"))
        hid = s.scalar(select(Household.id).where(Household.external_id == "HH-1"))
    with writing(engine) as s:
        save_resident(s, users["grid_worker"], {"id": rid, "name": "", "phone": "", "birth_year": "1941", "gender": "F",
                                                "nationality": "CN", "languages": "zh", "care_tags": "elderly_alone,disabled",
                                                "relation": "self"}, NOW)  # fmt: skip
        save_household(s, users["secretary"], hid, 3, "tenant", NOW)
        new = save_resident(s, users["secretary"], {"household_id": hid, "name": "王小明", "birth_year": "2020",
                                                    "gender": "M", "nationality": "CN", "relation": "child"}, NOW)  # fmt: skip
    with reading(engine) as s:
        wang = s.get(Resident, rid)
        assert (wang.name, wang.phone, wang.care_tags) == ("王秀英", "13812345678", "disabled,elderly_alone")
        assert s.get(Household, hid).size == 3 and s.get(Resident, new).household_id == hid
        log = s.execute(
            select(AuditLog.action, AuditLog.entity, AuditLog.detail).where(AuditLog.action != "import")
        ).all()
    assert ("update", "resident", "care_tags") in log and ("create", "resident", "created") in log
    with pytest.raises(PeopleError, match="forbidden"), writing(engine) as s:
        save_resident(s, users["viewer"], {"id": rid, "name": "X"}, NOW)
    with pytest.raises(PeopleError, match="bad_phone"), writing(engine) as s:
        save_resident(s, users["secretary"], {"id": rid, "phone": "call me"}, NOW)


def test_the_counts(people):
    engine, place = people
    with reading(engine) as s:
        care = {r["tag"]: r["residents"] for r in care_by_tag(s, [place["community_id"]], tuple(CARE_TAGS))}
        languages = foreign_by_language(s, [place["community_id"]])
        estate = buildings_of_estate(s, [place["community_id"]], "e1")
    assert care["elderly_alone"] == 1 and care["child"] == 1 and care["elderly"] == 0
    assert languages == [{"language": "en", "residents": 1}, {"language": "ko", "residents": 1},
                         {"language": "zh", "residents": 1}]  # fmt: skip
    [building] = estate["buildings"]
    assert (building["households"], building["residents"], building["foreign"], building["care"]) == (3, 3, 1, 2)
    assert mask_name("  ") == "" and mask_name("欧阳娜娜") == "欧***"


# --- through the Dash endpoint ------------------------------------------------------------------------


@pytest.fixture
def web(people, tmp_path):
    from app import create_app

    engine, place = people
    app = create_app({"instance_dir": str(tmp_path / "instance"),
                      "database_url": engine.url.render_as_string(hide_password=False)})  # fmt: skip
    app.server.config["TESTING"] = True
    return app, engine, place


def _reveal(client, rid: int, headers: dict | None = None):
    payload = {
        "output": '{"rid":["MATCH"],"type":"pop-person"}.children',
        "outputs": {"id": {"type": "pop-person", "rid": rid}, "property": "children"},
        "inputs": [{"id": {"type": "pop-reveal", "rid": rid}, "property": "n_clicks", "value": 1}],
        "changedPropIds": [json.dumps({"type": "pop-reveal", "rid": rid}, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
        "state": [],
    }  # fmt: skip
    return client.post("/_dash-update-component", json=payload, headers=headers or {})


def _page(client, path: str, search: str = "") -> str:
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }  # fmt: skip
    response = client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(client)})
    assert response.status_code == 200
    return decoded(response)


def test_the_reveal_callback_checks_the_role_on_the_server(web):
    app, engine, place = web
    with reading(engine) as s:
        rid = s.scalar(select(Resident.id).where(Resident.external_id == "RS-1"))
    anonymous = app.server.test_client()
    assert _reveal(anonymous, rid).status_code == 401

    viewer = app.server.test_client()
    login(viewer, "c1_viewer", "pw-viewer")
    viewer.get("/")
    page = _page(viewer, "/data", "?estate=e1&building=" + str(place["building_id"]))
    assert "pop-households-hidden" in page and "王" not in page
    refused = _reveal(viewer, rid, {"X-CSRFToken": _csrf_cookie(viewer)})
    assert refused.status_code == 403 and "王秀英" not in refused.get_data(as_text=True)

    worker = app.server.test_client()
    login(worker, "c1_grid_worker", "pw-grid_worker")
    worker.get("/")
    page = _page(worker, "/data", "?estate=e1&building=" + str(place["building_id"]))
    assert "pop-households-table" in page and "王**" in page and "138****5678" in page and "王秀英" not in page
    assert _reveal(worker, rid).status_code == 403  # no CSRF header
    shown = _reveal(worker, rid, {"X-CSRFToken": _csrf_cookie(worker)})
    assert shown.status_code == 200 and "王秀英" in decoded(shown) and "13812345678" in decoded(shown)
    with reading(engine) as s:
        assert (
            s.scalar(select(func.count()).where(AuditLog.action == "reveal", AuditLog.username == "c1_grid_worker"))
            == 1
        )


def test_the_audit_page_is_for_administrators(web):
    app, _engine, _place = web
    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    admin.get("/")
    page = _page(admin, "/data/audit")
    assert "aud-grid" in page and "c1_secretary" in page and "HH-1" not in page
    secretary = app.server.test_client()
    login(secretary, "c1_secretary", "pw-secretary")
    secretary.get("/")
    assert "forbidden-note" in _page(secretary, "/data/audit")
    payload = {"output": "aud-grid.rowData", "outputs": {"id": "aud-grid", "property": "rowData"},
               "inputs": [{"id": "aud-action", "property": "value", "value": "import"},
                          {"id": "aud-subject", "property": "value", "value": "all"},
                          {"id": "aud-user", "property": "value", "value": ""},
                          {"id": "aud-days", "property": "value", "value": "30"}],
               "changedPropIds": ["aud-action.value"], "state": []}  # fmt: skip
    refused = secretary.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(secretary)})
    assert refused.status_code == 403
    allowed = admin.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(admin)})
    rows = allowed.get_json()["response"]["aud-grid"]["rowData"]
    assert len(rows) == 2 and {r["entity"] for r in rows} == {"households", "residents"}


def test_every_data_page_renders_for_the_roles_that_may_open_it(web):
    app, _engine, _place = web
    expect = {
        "admin": {"/data": "data-pyramid", "/data/devices": "dev-rules-table", "/data/access": "acc-privacy",
                  "/data/audit": "aud-grid", "/data/welfare": "forbidden-note"},
        "secretary": {"/data/welfare": "welf-enrol", "/data/devices": "dev-alarms", "/data/audit": "forbidden-note"},
        "grid_worker": {"/data/welfare": "welf-body", "/data/devices": "dev-grid"},
        "viewer": {"/data": "pop-drill", "/data/devices": "dev-grid", "/data/access": "acc-privacy",
                   "/data/welfare": "forbidden-note"},
    }  # fmt: skip
    for role, pages in expect.items():
        client = app.server.test_client()
        login(client, f"c1_{role}", f"pw-{role}")
        client.get("/")
        for path, marker in pages.items():
            page = _page(client, path)
            assert marker in page, (role, path)
            if role in ("admin", "viewer"):
                assert "dev-reg-save" not in page or role == "admin"
    anonymous = app.server.test_client()
    assert anonymous.get("/data/devices").status_code == 302
