"""The stable interfaces of the rollup (docs/interfaces.md): the CLI byte for byte, the JSON,
the API with and without a token, observed values by month, the observations import."""

import json

import sqlalchemy as sa

from tests.test_plans_fixtures import import_rows, load_plan, migration, startup

TARGETS_2026 = {
    "1-01-01-1": "2", "1-01-02-1": "660", "1-01-02-2": "171.0", "1-01-02-3": "574",
    "1-01-03-1": "1.50", "1-01-03-2": "100.0", "1-01-04-1": "6300", "1-01-04-2": "35",
    "1-01-05-1": "30", "1-01-05-2": "25", "1-01-06-1": "11",
}
MONTHS_2026 = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
               "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]


def _small_data_set(runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [
        startup("S1", "tanaka", "2026-04-01"), startup("S2", "sato", "2026-06-30")])
    import_rows(runner, tmp_path, "migration", [migration("M1", "sato", 3, "2026-05-15")])
    import_rows(runner, tmp_path, "observations", [
        {"indicator_code": "1-01-03-1", "fiscal_year": "2026", "month": "2026-05", "value": "1.48", "source": "ハローワーク"},
        {"indicator_code": "1-01-03-1", "fiscal_year": "2026", "month": "2026-08", "value": "1.52"},
        {"indicator_code": "1-01-02-2", "fiscal_year": "2026", "month": "", "value": "160.3", "source": "税務課"},
        {"indicator_code": "1-01-03-2", "fiscal_year": "2026", "month": "", "value": "98.50"},
    ])


EXPECTED_VALUES = {
    "1-01-01-1": ["1", "1"] + ["2"] * 10,
    "1-01-02-2": ["160.3"] * 12,
    "1-01-03-1": ["", "1.48", "1.48", "1.48"] + ["1.52"] * 8,
    "1-01-03-2": ["98.50"] * 12,
    "1-01-05-1": ["0"] + ["3"] * 11,
    "1-01-05-2": ["0"] * 12,
    "1-01-06-1": ["0"] * 12,
}


def _expected_csv() -> bytes:
    lines = ["code,fiscal_year,month,value,target"]
    for code in sorted(TARGETS_2026):
        values = EXPECTED_VALUES.get(code, [""] * 12)
        for month, value in zip(MONTHS_2026, values, strict=True):
            lines.append(f"{code},2026,{month},{value},{TARGETS_2026[code]}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_cli_csv_is_byte_exact(app, runner, tmp_path):
    _small_data_set(runner, tmp_path)
    result = runner.invoke(args=["rollup", "--fy", "2026"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == _expected_csv()
    # The second run is served from the cache and prints the same bytes.
    again = runner.invoke(args=["rollup", "--fy", "2026", "--format", "csv"])
    assert again.stdout_bytes == _expected_csv()


def test_cli_json_shape_and_exact_decimals(app, runner, tmp_path):
    _small_data_set(runner, tmp_path)
    result = runner.invoke(args=["rollup", "--fy", "2026", "--format", "json"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert '"target": 1.50' in text and '"baseline": 1.42' in text and '"target": 171.0' in text
    data = json.loads(text)
    assert data["fiscal_year"] == 2026
    assert [i["code"] for i in data["indicators"]] == sorted(TARGETS_2026)
    migrants = next(i for i in data["indicators"] if i["code"] == "1-01-05-1")
    assert migrants["name"] == "留萌市への移住受入支援数" and migrants["unit"] == "人"
    assert migrants["target"] == 30 and migrants["baseline"] == 0
    assert migrants["months"][0] == {"month": "2026-04", "value": 0}
    assert migrants["months"][1] == {"month": "2026-05", "value": 3}
    jobs = next(i for i in data["indicators"] if i["code"] == "1-01-03-1")
    assert jobs["months"][0]["value"] is None


def test_a_year_without_targets_prints_empty_targets(app, runner, tmp_path):
    load_plan(runner)
    result = runner.invoke(args=["rollup", "--fy", "2030"])
    lines = result.output.splitlines()
    assert lines[1] == "1-01-01-1,2030,2030-04,0,"
    assert "1-01-02-1,2030,2030-04,," in lines


def test_observed_value_is_latest_on_or_before_the_month(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "observations", [
        {"indicator_code": "1-01-03-1", "fiscal_year": "2026", "month": "2026-07", "value": "1.40"},
        {"indicator_code": "1-01-03-1", "fiscal_year": "2026", "month": "2027-02", "value": "1.55"},
        {"indicator_code": "1-01-03-1", "fiscal_year": "2025", "month": "2026-03", "value": "1.30"},
    ])
    from tests.test_plans_fixtures import values_of

    values = [str(v) if v is not None else None for v in values_of(app, 2026, "1-01-03-1")]
    assert values == [None, None, None, "1.40", "1.40", "1.40", "1.40", "1.40", "1.40", "1.40", "1.55", "1.55"]
    # A later import of the same period replaces the value; the old one stays in the history.
    import_rows(runner, tmp_path, "observations", [
        {"indicator_code": "1-01-03-1", "fiscal_year": "2026", "month": "2026-07", "value": "1.41"}])
    assert str(values_of(app, 2026, "1-01-03-1")[3]) == "1.41"
    from casework.extensions import db
    from casework.plans.models import ObservationRevision

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ObservationRevision)) == 4


def test_observations_import_refuses_case_indicators_and_bad_months(app, runner, tmp_path):
    load_plan(runner)
    result = import_rows(runner, tmp_path, "observations", [
        {"indicator_code": "1-01-01-1", "fiscal_year": "2026", "value": "3"},
        {"indicator_code": "1-01-03-1", "fiscal_year": "2026", "month": "2027-04", "value": "1.5"},
        {"indicator_code": "9-99", "fiscal_year": "2026", "value": "1"},
    ], expect_ok=False)
    assert result.exit_code != 0
    assert "line 2: indicator_code:" in result.output
    assert "line 3: month:" in result.output
    assert "line 4: indicator_code:" in result.output
    twice = import_rows(runner, tmp_path, "observations", [
        {"indicator_code": "1-01-02-1", "fiscal_year": "2026", "value": "600"},
        {"indicator_code": "1-01-02-1", "fiscal_year": "2026", "value": "601"},
    ], expect_ok=False)
    assert "line 3: month:" in twice.output  # one value per indicator and period
    bad_value = import_rows(runner, tmp_path, "observations", [
        {"indicator_code": "1-01-02-1", "fiscal_year": "2026", "value": "abc"}], expect_ok=False)
    assert "line 2: value:" in bad_value.output
    from casework.extensions import db
    from casework.plans.models import Observation

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 0


def test_api_without_credentials_is_401_json(client):
    response = client.get("/api/v1/rollup?fy=2026")
    assert response.status_code == 401
    assert response.is_json and "error" in response.get_json()


def test_api_with_token_same_json_as_cli_and_audited(app, runner, tmp_path, login_as):
    _small_data_set(runner, tmp_path)
    admin = login_as("admin")
    page = admin.post("/admin/tokens/", data={"name": "道の集計"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = html.split('<code class="token">')[1].split("</code>")[0]
    anonymous = app.test_client()
    response = anonymous.get("/api/v1/rollup?fy=2026", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    cli = runner.invoke(args=["rollup", "--fy", "2026", "--format", "json"]).output
    assert response.get_data(as_text=True) + "\n" == cli
    from casework.api.models import ApiToken
    from casework.audit.models import AuditEntry
    from casework.extensions import db

    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken)).one()
        assert token not in (stored.token_hash, stored.hint) and stored.last_used_at is not None
        used = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api")).all()
        assert len(used) == 1 and "fy=2026" in used[0].detail
        token_id = stored.id
    # Revoked: refused.
    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    again = anonymous.get("/api/v1/rollup?fy=2026", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
    wrong = anonymous.get("/api/v1/rollup?fy=2026", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_api_for_logged_in_users(runner, login_as):
    load_plan(runner)
    manager = login_as("manager")
    response = manager.get("/api/v1/rollup?fy=2026")
    assert response.status_code == 200 and response.get_json()["fiscal_year"] == 2026
    assert login_as("counter").get("/api/v1/rollup?fy=2026").status_code == 403
