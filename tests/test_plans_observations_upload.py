"""The observations upload page: preview, confirm, and the pending file is gone afterwards."""

import io


def test_a_manager_uploads_observations_previews_and_confirms(app, login_as, runner):
    assert runner.invoke(args=["plan", "load"]).exit_code == 0
    m = login_as("manager")
    csv = "indicator_code,fiscal_year,month,value,source\n1-01-02-1,2026,,650,税務課\n".encode()
    r = m.post("/plans/observations/import", data={"file": (io.BytesIO(csv), "o.csv")})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    page = m.get(r.headers["Location"]).get_data(as_text=True)
    assert "新規 1件" in page
    r2 = m.post(r.headers["Location"], data={}, follow_redirects=True)
    assert "取り込みました" in r2.get_data(as_text=True)
    assert m.get(r.headers["Location"]).status_code == 404
