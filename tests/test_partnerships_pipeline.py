"""The pipeline: outside organizations contacted recently without an agreement yet, and
partnerships still in talks, with the last contact and the next step."""

from datetime import date, timedelta

from casework import jp
from casework.extensions import db
from casework.partnerships.models import Activity
from casework.partnerships.services import save_organization, save_partnership


def _org(name, outside=True, prefecture="東京都"):
    return save_organization(None, name=name, outside_region=outside, prefecture=prefecture)


def test_pipeline_lists_talks_with_last_contact_and_next_step(app, login_as):
    today = jp.today()
    with app.app_context():
        seminar = _org("セミナー参加株式会社")
        talks = _org("協議中フーズ株式会社", prefecture="大阪府")
        agreed = _org("締結済み工業株式会社")
        old = _org("昔の名刺株式会社")
        local = _org("地元商店", outside=False, prefecture="北海道")
        db.session.add_all([
            Activity(organization_id=seminar.id, occurred_on=today - timedelta(days=40), kind="seminar",
                     title="企業立地セミナー（東京）で名刺交換", next_step="資料送付"),
            Activity(organization_id=seminar.id, occurred_on=today - timedelta(days=10), kind="call",
                     title="電話でフォロー", next_step="11月に現地視察を案内"),
            Activity(organization_id=agreed.id, occurred_on=today - timedelta(days=5), kind="visit", title="訪問"),
            Activity(organization_id=old.id, occurred_on=today - timedelta(days=800), kind="visit", title="昔の訪問"),
            Activity(organization_id=local.id, occurred_on=today - timedelta(days=3), kind="visit", title="地元訪問"),
        ])
        save_partnership(None, organization_id=talks.id, kind="siting", status="negotiating")
        save_partnership(None, organization_id=agreed.id, kind="agreement", status="concluded",
                         agreed_on=date(2025, 4, 1))
        db.session.commit()
    counter = login_as("counter")
    page = counter.get("/partnerships/pipeline").get_data(as_text=True)
    assert "セミナー参加株式会社" in page and "協議中フーズ株式会社" in page
    assert "締結済み工業株式会社" not in page and "昔の名刺株式会社" not in page and "地元商店" not in page
    # The latest contact and its next step; the talks link to the partnership.
    assert "電話でフォロー" in page and "11月に現地視察を案内" in page and "資料送付" not in page
    assert "進出・立地" in page
    # Most recent contact first; organizations without any contact last.
    assert page.index("セミナー参加株式会社") < page.index("協議中フーズ株式会社")
    # A longer window brings the old contact back; filters narrow.
    assert "昔の名刺株式会社" in counter.get("/partnerships/pipeline?days=1825").get_data(as_text=True)
    page = counter.get("/partnerships/pipeline?prefecture=大阪府").get_data(as_text=True)
    assert "協議中フーズ株式会社" in page and "セミナー参加株式会社" not in page
    page = counter.get("/partnerships/pipeline?q=ｾﾐﾅｰ&sort=name").get_data(as_text=True)
    assert "セミナー参加株式会社" in page and "協議中フーズ株式会社" not in page


def test_activity_is_logged_through_the_organization_page(app, login_as):
    with app.app_context():
        org_id = _org("記録テスト株式会社").id
        db.session.commit()
    counter = login_as("counter")
    page = counter.post(f"/partnerships/organizations/{org_id}/activities", data={
        "occurred_on": "R8.10.15", "kind": "seminar", "title": "企業立地セミナー（札幌）",
        "staff_id": counter.user.id, "note": "水産加工に関心", "next_step": "工場見学の日程調整"},
        follow_redirects=True).get_data(as_text=True)
    assert "活動「企業立地セミナー（札幌）」を記録しました" in page
    assert "令和8年10月15日（2026-10-15）" in page and "工場見学の日程調整" in page
    bad = counter.post(f"/partnerships/organizations/{org_id}/activities", data={
        "occurred_on": "", "kind": "seminar", "title": "", "staff_id": "0"})
    assert bad.status_code == 422
    assert "日付を入力してください" in bad.get_data(as_text=True)
