"""In a real browser: logging in and out, the Japanese pages, accessibility, keyboard use."""

from playwright.sync_api import expect

from tests.browser import ROLES, log_in, serious_accessibility_violations


def test_login_page_is_accessible_and_japanese(page, live_url):
    page.goto(live_url + "/login")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", name="ログイン").is_visible()
    assert serious_accessibility_violations(page) == []


def test_wrong_password_is_refused_in_japanese(page, live_url):
    page.goto(live_url + "/login")
    page.get_by_label("ユーザー名").fill("counter")
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="ログイン").click()
    # The answer is a new page: wait for it (a busy machine answers later than the check runs).
    expect(page.get_by_text("ユーザー名またはパスワードが正しくありません")).to_be_visible()


def test_keyboard_only_login_and_logout(page, live_url):
    page.goto(live_url + "/login")
    # The user name field has focus on arrival (autofocus lands a moment after load, so wait
    # for it rather than lose the first keystrokes); then Tab, type, Enter: no mouse.
    expect(page.get_by_label("ユーザー名")).to_be_focused()
    page.keyboard.type("counter")
    page.keyboard.press("Tab")
    page.keyboard.type("browser-test-password")
    page.keyboard.press("Enter")
    page.wait_for_url(live_url + "/")
    assert page.get_by_role("heading", name="ようこそ").is_visible()
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(live_url + "/login")
    assert page.get_by_text("ログアウトしました").is_visible()


def test_every_role_home_is_accessible(page, live_url):
    for role in ROLES:
        log_in(page, live_url, role)
        assert serious_accessibility_violations(page) == [], role
        page.get_by_role("button", name="ログアウト").click()
        page.wait_for_url(live_url + "/login")
