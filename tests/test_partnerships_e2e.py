"""In a real browser: the 域外企業 team records a company met at a seminar, the talk shows in
the pipeline, and the pages pass axe-core."""

from playwright.sync_api import expect

from tests.browser import log_in, serious_accessibility_violations


def test_seminar_contact_to_pipeline_in_the_browser(page, live_url):
    log_in(page, live_url, "counter")
    page.goto(live_url + "/partnerships/organizations/new")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("名称", exact=True).fill("ブラウザ確認食品株式会社")
    page.get_by_label("名称のふりがな").fill("ぶらうざかくにんしょくひん")
    page.get_by_label("法人番号（13桁）").fill("7000012050003")
    page.get_by_label("都道府県").select_option("東京都")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("法人番号の検査用数字（先頭の1桁）が合いません")).to_be_visible()
    page.get_by_label("法人番号（13桁）").fill("7000012050002")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("「ブラウザ確認食品株式会社」を登録しました")).to_be_visible()

    page.get_by_label("件名").fill("企業立地セミナー（東京）で名刺交換")
    page.get_by_label("次の一手").fill("工場見学を案内")
    page.get_by_role("button", name="活動を記録").click()
    expect(page.get_by_text("活動「企業立地セミナー（東京）で名刺交換」を記録しました")).to_be_visible()
    assert serious_accessibility_violations(page) == []

    page.goto(live_url + "/partnerships/pipeline")
    row = page.get_by_role("row").filter(has_text="ブラウザ確認食品株式会社")
    expect(row.get_by_text("工場見学を案内")).to_be_visible()
    assert serious_accessibility_violations(page) == []

    page.goto(live_url + "/partnerships/new")
    assert serious_accessibility_violations(page) == []
    page.goto(live_url + "/partnerships/")
    assert serious_accessibility_violations(page) == []
