"""Organizations: 法人番号 with its check digit, one record per folded name, search, contacts."""

import sqlalchemy as sa

from casework.extensions import db
from casework.partnerships.models import Organization


def _org_form(**changes):
    data = {"name": "株式会社北海サンプル", "kana": "ほっかいさんぷる", "corporate_number": "",
            "region": "outside", "prefecture": "東京都", "municipality": "千代田区", "industry": "食品製造"}
    data.update(changes)
    return data


def _organizations(app):
    with app.app_context():
        return db.session.scalars(sa.select(Organization).order_by(Organization.id)).all()


def test_valid_corporate_numbers_are_accepted_in_any_width_with_hyphens(app, login_as):
    counter = login_as("counter")
    # 7000012050002 is the 国税庁's own number; typed full-width with hyphens as in a letterhead.
    response = counter.post("/partnerships/organizations/new", data=_org_form(
        corporate_number="７-００００-１２０５-０００２"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "「株式会社北海サンプル」を登録しました" in page
    assert "7000012050002" in page
    [org] = _organizations(app)
    assert org.corporate_number == "7000012050002" and org.outside_region


def test_wrong_check_digit_and_wrong_length_are_refused_nothing_written(app, login_as):
    counter = login_as("counter")
    page = counter.post("/partnerships/organizations/new",
                        data=_org_form(corporate_number="8000012050002")).get_data(as_text=True)
    assert "検査用数字" in page
    page = counter.post("/partnerships/organizations/new",
                        data=_org_form(corporate_number="700001205000")).get_data(as_text=True)
    assert "13桁の数字" in page
    page = counter.post("/partnerships/organizations/new",
                        data=_org_form(corporate_number="70000120500O2")).get_data(as_text=True)
    assert "13桁の数字" in page
    assert _organizations(app) == []


def test_corporate_number_is_unique_and_optional(app, login_as):
    counter = login_as("counter")
    counter.post("/partnerships/organizations/new", data=_org_form(corporate_number="5010401089998"))
    page = counter.post("/partnerships/organizations/new", data=_org_form(
        name="別の会社", corporate_number="5010-4010-8999-8")).get_data(as_text=True)
    assert "この法人番号は「株式会社北海サンプル」として既に登録されています" in page
    counter.post("/partnerships/organizations/new", data=_org_form(name="法人番号なし協会"))
    counter.post("/partnerships/organizations/new", data=_org_form(name="もう一つの協会"))
    assert [o.corporate_number for o in _organizations(app)] == ["5010401089998", None, None]


def test_same_name_in_another_width_or_legal_form_spelling_is_the_same_organization(app, login_as):
    counter = login_as("counter")
    counter.post("/partnerships/organizations/new", data=_org_form(name="㈱ﾎｯｶｲ ｻﾝﾌﾟﾙ"))
    page = counter.post("/partnerships/organizations/new",
                        data=_org_form(name="株式会社ホッカイサンプル")).get_data(as_text=True)
    assert "同じ名称の組織「㈱ﾎｯｶｲ ｻﾝﾌﾟﾙ」が既に登録されています" in page
    assert len(_organizations(app)) == 1


def test_search_by_name_or_kana_in_any_script_filters_and_sorts(app, login_as):
    counter = login_as("counter")
    counter.post("/partnerships/organizations/new", data=_org_form(name="東京シーフード株式会社", kana="とうきょうしーふーど"),
                 follow_redirects=True)
    counter.post("/partnerships/organizations/new", data=_org_form(
        name="留萌水産加工", kana="るもいすいさんかこう", region="local", prefecture="北海道", municipality="留萌市"),
        follow_redirects=True)
    page = counter.get("/partnerships/organizations?q=ﾄｳｷｮｳ").get_data(as_text=True)
    assert "東京シーフード株式会社" in page and "留萌水産加工" not in page
    page = counter.get("/partnerships/organizations?q=シーフード").get_data(as_text=True)
    assert "東京シーフード株式会社" in page
    page = counter.get("/partnerships/organizations?region=local").get_data(as_text=True)
    assert "留萌水産加工" in page and "東京シーフード株式会社" not in page
    page = counter.get("/partnerships/organizations?prefecture=東京都&sort=new").get_data(as_text=True)
    assert "東京シーフード株式会社" in page and "留萌水産加工" not in page


def test_organization_list_pages(app, login_as):
    counter = login_as("counter")
    with app.app_context():
        from casework.partnerships.services import save_organization

        for i in range(55):
            save_organization(None, name=f"企業{i:02d}", outside_region=True)
        db.session.commit()
    page = counter.get("/partnerships/organizations").get_data(as_text=True)
    assert "1 / 2 ページ" in page
    assert "企業54" in counter.get("/partnerships/organizations?page=2").get_data(as_text=True)


def test_contacts_are_added_and_removed_and_the_view_is_audited(app, login_as):
    from casework.audit.models import AuditEntry

    counter = login_as("counter")
    counter.post("/partnerships/organizations/new", data=_org_form())
    org_id = _organizations(app)[0].id
    page = counter.post(f"/partnerships/organizations/{org_id}/contacts", data={
        "name": "鈴木 一郎", "department": "営業部 部長", "phone": "03-1234-5678",
        "email": "suzuki@example.co.jp"}, follow_redirects=True).get_data(as_text=True)
    assert "担当者「鈴木 一郎」を追加しました" in page and "営業部 部長" in page
    counter.post(f"/partnerships/organizations/{org_id}/contacts", data={"name": "佐藤 花子"})
    bad = counter.post(f"/partnerships/organizations/{org_id}/contacts", data={"name": "", "email": "not-mail"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "担当者名を入力してください" in text and "メールアドレスの形式ではありません" in text
    with app.app_context():
        org = db.session.get(Organization, org_id)
        assert [c.name for c in org.contacts] == ["鈴木 一郎", "佐藤 花子"]
        contact_id = org.contacts[0].id
        views = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.entity == "organizations")).all()
        assert views and views[0].entity_id == str(org_id)
    counter.post(f"/partnerships/organizations/{org_id}/contacts/{contact_id}/delete")
    with app.app_context():
        assert [c.name for c in db.session.get(Organization, org_id).contacts] == ["佐藤 花子"]


def test_edit_checks_the_version_and_the_corporate_number(app, login_as):
    counter = login_as("counter")
    counter.post("/partnerships/organizations/new", data=_org_form())
    org = _organizations(app)[0]
    ok = counter.post(f"/partnerships/organizations/{org.id}/edit", data=_org_form(
        version=org.version, industry="水産加工", corporate_number="7000012050002"))
    assert ok.status_code == 302
    stale = counter.post(f"/partnerships/organizations/{org.id}/edit", data=_org_form(
        version=org.version, industry="上書き"), follow_redirects=True)
    assert "他の人が先に" in stale.get_data(as_text=True)
    wrong = counter.post(f"/partnerships/organizations/{org.id}/edit", data=_org_form(
        version=org.version + 1, corporate_number="7000012050003")).get_data(as_text=True)
    assert "検査用数字" in wrong
    org = _organizations(app)[0]
    assert org.industry == "水産加工" and org.corporate_number == "7000012050002"


def test_manager_reads_without_write_buttons(app, login_as):
    counter = login_as("counter")
    counter.post("/partnerships/organizations/new", data=_org_form())
    org_id = _organizations(app)[0].id
    manager = login_as("manager")
    page = manager.get(f"/partnerships/organizations/{org_id}").get_data(as_text=True)
    assert "株式会社北海サンプル" in page
    assert "担当者を追加" not in page and "活動を記録" not in page
    assert manager.post(f"/partnerships/organizations/{org_id}/contacts", data={"name": "x"}).status_code == 403


def test_contacts_are_in_the_register_of_personal_data(app):
    from casework.admin.privacy import personal_data_register

    fields = {(f.table, f.column) for f in personal_data_register(db.metadata)}
    assert {("organization_contacts", "name"), ("organization_contacts", "phone"),
            ("organization_contacts", "email")} <= fields
