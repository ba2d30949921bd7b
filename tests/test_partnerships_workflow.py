"""Partnerships: the form, local partners, the status workflow (取消 never counts), the list's
filters (fiscal year of agreement: 3/31 and 4/1) and the rollup source."""

import re
from datetime import date

import sqlalchemy as sa

from casework.extensions import db
from casework.partnerships.models import Partnership
from casework.partnerships.services import save_organization, save_partnership
from casework.plans.sources import get_source
from tests.conftest import table_row


def _orgs(app):
    with app.app_context():
        outside = save_organization(None, name="東京フーズ株式会社", kana="とうきょうふーず",
                                    outside_region=True, prefecture="東京都")
        osaka = save_organization(None, name="なにわ研究所", outside_region=True, prefecture="大阪府")
        local = save_organization(None, name="留萌水産加工協同組合", outside_region=False,
                                  prefecture="北海道", municipality="留萌市")
        local2 = save_organization(None, name="るもい農園", outside_region=False)
        db.session.commit()
        return outside.id, osaka.id, local.id, local2.id


def _form(org_id, **changes):
    data = {"organization_id": org_id, "kind": "product_development", "status": "negotiating",
            "agreed_on": "", "ended_on": "", "resource": "未利用魚（ニシンの白子）の商品化",
            "staff_id": "0", "document_refs": "留商第123号", "ref": "", "note": ""}
    data.update(changes)
    return data


def _get(app, pid):
    with app.app_context():
        return db.session.get(Partnership, pid)


def _counted(app):
    source = get_source("partnerships")
    with app.app_context():
        rows = db.session.execute(source.rows()).mappings().all()
    return {r["record_id"]: r["event_date"] for r in rows}


def test_create_with_local_partners_and_see_it_everywhere(app, login_as):
    outside, _, local, local2 = _orgs(app)
    counter = login_as("counter")
    response = counter.post("/partnerships/new", data=_form(
        outside, status="concluded", agreed_on="R8.4.1", partner_ids=[local, local2],
        staff_id=counter.user.id), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "連携「東京フーズ株式会社（商品開発）」を登録しました" in page
    assert "令和8年4月1日（2026-04-01）" in page and "令和8年度" in page
    assert "留萌水産加工協同組合" in page and "るもい農園" in page and "留商第123号" in page
    # The local partner's page lists it as a partnership it takes part in.
    page = counter.get(f"/partnerships/organizations/{local}").get_data(as_text=True)
    assert "地域内の連携先として" in page and "東京フーズ株式会社（商品開発）" in page


def test_concluded_needs_an_agreement_date_and_end_follows_start(app, login_as):
    outside, *_ = _orgs(app)
    counter = login_as("counter")
    page = counter.post("/partnerships/new", data=_form(outside, status="concluded")).get_data(as_text=True)
    assert "「締結」の連携には協定日が必要です" in page
    page = counter.post("/partnerships/new", data=_form(
        outside, status="concluded", agreed_on="2026-04-01", ended_on="2026-03-31")).get_data(as_text=True)
    assert "終了日が協定日より前です" in page
    page = counter.post("/partnerships/new", data=_form(outside, organization_id="0")).get_data(as_text=True)
    assert "連携先を選んでください" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Partnership)) == 0


def test_workflow_negotiating_to_ended_and_cancelled_never_counts(app, login_as):
    outside, *_ = _orgs(app)
    counter = login_as("counter")
    counter.post("/partnerships/new", data=_form(outside))
    pid = _get_only_id(app)
    # In talks: listed by the source but not yet countable (no date places it).
    assert _counted(app) == {pid: None}

    def move(status):
        p = _get(app, pid)
        return counter.post(f"/partnerships/{pid}/status", data={"status": status, "version": p.version},
                            follow_redirects=True).get_data(as_text=True)

    assert "協定日が必要です" in move("concluded")
    p = _get(app, pid)
    counter.post(f"/partnerships/{pid}/edit", data=_form(outside, version=p.version, agreed_on="令和8年5月10日"))
    assert "状態を「締結」にしました" in move("concluded")
    assert _counted(app) == {pid: date(2026, 5, 10)}
    assert "「締結」から「協議中」には変更できません" in move("negotiating")
    assert "状態を「実施中」にしました" in move("active")
    p = _get(app, pid)
    edited = counter.post(f"/partnerships/{pid}/edit", data=_form(
        outside, version=p.version, agreed_on="令和8年5月10日", document_refs="留商第200号"))
    assert edited.status_code == 302
    assert _get(app, pid).document_refs == "留商第200号" and _get(app, pid).status == "active"
    assert "状態を「終了」にしました" in move("ended")
    assert _get(app, pid).status == "ended"
    assert "状態を「取消」にしました" in move("cancelled")
    assert _counted(app) == {}
    page = counter.get(f"/partnerships/{pid}").get_data(as_text=True)
    assert "取消（誤登録）です。件数には数えません" in page
    assert "にする</button>" not in page  # no way out of 取消
    assert "「取消」から「実施中」には変更できません" in move("active")


def _get_only_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(Partnership.id))


def test_stale_status_change_and_stale_edit_change_nothing(app, login_as):
    outside, *_ = _orgs(app)
    counter = login_as("counter")
    counter.post("/partnerships/new", data=_form(outside, status="concluded", agreed_on="2026-04-01"))
    pid = _get_only_id(app)
    p = _get(app, pid)
    counter.post(f"/partnerships/{pid}/edit", data=_form(outside, version=p.version, agreed_on="2026-04-01",
                                                          note="先の保存"))
    page = counter.post(f"/partnerships/{pid}/status", data={"status": "cancelled", "version": p.version},
                        follow_redirects=True).get_data(as_text=True)
    assert "他の人が先に" in page
    page = counter.post(f"/partnerships/{pid}/edit", data=_form(outside, version=p.version, agreed_on="2026-04-01",
                                                                 note="後の保存"), follow_redirects=True)
    assert "他の人が先に" in page.get_data(as_text=True)
    p = _get(app, pid)
    assert p.status == "concluded" and p.note == "先の保存"


def test_only_outside_organizations_count(app):
    outside, _, local, _ = _orgs(app)
    with app.app_context():
        a = save_partnership(None, organization_id=outside, status="concluded", agreed_on=date(2026, 4, 1))
        save_partnership(None, organization_id=local, status="concluded", agreed_on=date(2026, 4, 1))
        db.session.commit()
        a_id = a.id
        source = get_source("partnerships")
        described = db.session.execute(source.describe(sa.select(Partnership.id))).mappings().all()
    assert _counted(app) == {a_id: date(2026, 4, 1)}
    assert {(d["title"], d["person"]) for d in described} == {
        ("その他", "東京フーズ株式会社"), ("その他", "留萌水産加工協同組合")}


def test_list_filters_by_fiscal_year_kind_status_prefecture(app, login_as):
    outside, osaka, *_ = _orgs(app)
    with app.app_context():
        save_partnership(None, ref="P-0331", organization_id=outside, kind="agreement", status="concluded",
                         agreed_on=date(2026, 3, 31))
        save_partnership(None, ref="P-0401", organization_id=osaka, kind="joint_research", status="active",
                         agreed_on=date(2026, 4, 1))
        save_partnership(None, ref="P-TALK", organization_id=osaka, kind="siting", status="negotiating")
        db.session.commit()
    manager = login_as("manager")

    def refs(query):
        page = manager.get(f"/partnerships/?{query}").get_data(as_text=True)
        return {r for r in ("P-0331", "P-0401", "P-TALK") if f"<td>{r}</td>" in page}

    assert refs("") == {"P-0331", "P-0401", "P-TALK"}
    assert refs("fy=2025") == {"P-0331"}
    assert refs("fy=2026") == {"P-0401"}
    assert refs("kind=joint_research") == {"P-0401"}
    assert refs("status=negotiating") == {"P-TALK"}
    assert refs("prefecture=東京都") == {"P-0331"}
    assert refs("q=ﾅﾆﾜ&sort=agreed_asc") == {"P-0401", "P-TALK"}
    assert refs("q=とうきょう&sort=organization") == {"P-0331"}
    page = manager.get("/partnerships/?sort=agreed_asc").get_data(as_text=True)
    assert page.index("P-0331") < page.index("P-0401")
    assert "連携を登録" not in page  # the manager reads only


def test_partner_cannot_be_the_partnership_itself_and_edit_replaces_partners(app, login_as):
    outside, _, local, local2 = _orgs(app)
    counter = login_as("counter")
    counter.post("/partnerships/new", data=_form(outside, partner_ids=[local]))
    pid = _get_only_id(app)
    p = _get(app, pid)
    counter.post(f"/partnerships/{pid}/edit", data=_form(outside, version=p.version, partner_ids=[local2]))
    with app.app_context():
        p = db.session.get(Partnership, pid)
        assert [o.name for o in p.partners] == ["るもい農園"]


def test_list_rows_show_what_the_partnership_says(app, login_as):
    # The list reads columns, not partnerships (paging.paginate(columns=...)): each row must
    # still say what the records' own properties say (place, kind, status label and badge).
    outside, _, local, _ = _orgs(app)
    with app.app_context():
        agreed = save_partnership(None, ref="P-1", organization_id=outside, kind="siting", status="concluded",
                                  agreed_on=date(2026, 4, 1))
        cancelled = save_partnership(None, organization_id=local, kind="joint_research", status="negotiating")
        cancelled.status = "cancelled"
        db.session.commit()
        ids = agreed.id, cancelled.id
        expected = {p.id: (p.organization.place, p.kind_label, p.status_label, p.status_badge)
                    for p in db.session.scalars(sa.select(Partnership))}
    page = login_as("counter").get("/partnerships/").get_data(as_text=True)
    assert table_row(page, f'href="/partnerships/{ids[0]}"') == (
        f'<tr> <td><a href="/partnerships/{ids[0]}">東京フーズ株式会社</a></td> <td>東京都</td> <td>進出・立地</td> '
        '<td>令和8年4月1日（2026-04-01）</td> <td><span class="badge badge-ok">締結</span></td> <td>P-1</td> </tr>')
    assert table_row(page, f'href="/partnerships/{ids[1]}"') == (
        f'<tr class="cancelled"> <td><a href="/partnerships/{ids[1]}">留萌水産加工協同組合</a> '
        '<span class="badge">市内・地域内</span></td> <td>北海道留萌市</td> <td>共同試験研究</td> <td></td> '
        '<td><span class="badge badge-bad">取消</span></td> <td></td> </tr>')
    assert expected == {ids[0]: ("東京都", "進出・立地", "締結", "badge-ok"),
                        ids[1]: ("北海道留萌市", "共同試験研究", "取消", "badge-bad")}


def _options(page: str, name: str) -> list[str]:
    """The labels of the options of the form's select `name`, selected ones marked with *."""
    select = page[page.index(f'name="{name}"'):]
    select = select[:select.index("</select>")]
    return [("*" if "selected" in attributes else "") + label
            for attributes, label in re.findall(r"<option([^>]*)>([^<]*)</option>", select)]


def test_the_form_offers_the_organizations_chosen_and_found_not_all_of_them(app, login_as):
    """33,000 organizations made the form 3.4 MB: it lists the organizations chosen and those a
    name typed in a search box finds (Enter sends the form to search, not to save)."""
    outside, osaka, _local, local2 = _orgs(app)
    counter = login_as("counter")
    page = counter.get("/partnerships/new").get_data(as_text=True)
    assert _options(page, "organization_id") == ["*（選択してください）"] and _options(page, "partner_ids") == []
    page = counter.get(f"/partnerships/new?organization_id={osaka}").get_data(as_text=True)
    assert _options(page, "organization_id") == ["（選択してください）", "*なにわ研究所（域外・大阪府）"]

    # A search typed since the page was drawn: the form comes back with the matches, nothing saved.
    page = counter.post("/partnerships/new", data=_form(
        0, organization_q="ﾄｳｷｮｳ", partner_q="るもい")).get_data(as_text=True)
    assert _options(page, "organization_id") == ["（選択してください）", "*東京フーズ株式会社（域外・東京都）"]
    assert _options(page, "partner_ids") == ["るもい農園"]  # local ones only
    assert "「るもい」の候補を下の一覧に出しました（1件）" in page and "留商第123号" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Partnership)) == 0
    page = counter.post("/partnerships/new", data=_form(
        outside, organization_q="ﾄｳｷｮｳ", partner_q="該当なし", partner_ids=[local2])).get_data(as_text=True)
    assert "「該当なし」に該当する企業・機関はありません" in page
    assert _options(page, "partner_ids") == ["*るもい農園"]  # the chosen stay offered

    # The same searches sent again: the form is saved with what was chosen.
    response = counter.post("/partnerships/new", data=_form(
        outside, organization_q="ﾄｳｷｮｳ", organization_q_shown="ﾄｳｷｮｳ", partner_q="るもい", partner_q_shown="るもい",
        partner_ids=[local2]))
    assert response.status_code == 302
    pid = _get_only_id(app)
    with app.app_context():
        p = db.session.get(Partnership, pid)
        assert p.organization_id == outside and [o.name for o in p.partners] == ["るもい農園"]
    page = counter.get(f"/partnerships/{pid}/edit").get_data(as_text=True)
    assert _options(page, "organization_id") == ["（選択してください）", "*東京フーズ株式会社（域外・東京都）"]
    assert _options(page, "partner_ids") == ["*るもい農園"]
