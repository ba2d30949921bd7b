"""`flask --app wsgi import partnerships FILE`: columns per interfaces.md, all or nothing,
`line N: column: reason`, idempotent by ref, organizations matched by folded name."""

import sqlalchemy as sa

from casework.extensions import db
from casework.partnerships.models import Organization, Partnership
from casework.plans.sources import get_source

HEADER = "ref,organization,organization_prefecture,organization_municipality,kind,agreed_on,ended_on,status,note\n"


def _write(tmp_path, body, header=HEADER, encoding="utf-8-sig", name="partnerships.csv"):
    path = tmp_path / name
    path.write_bytes((header + body).encode(encoding))
    return str(path)


def _import(runner, path):
    return runner.invoke(args=["import", "partnerships", path])


def _state(app):
    with app.app_context():
        orgs = db.session.scalars(sa.select(Organization).order_by(Organization.id)).all()
        ps = db.session.scalars(sa.select(Partnership).order_by(Partnership.ref)).all()
        return ([(o.name, o.prefecture, o.municipality, o.outside_region) for o in orgs],
                [(p.ref, p.organization.name, p.kind, p.status, p.agreed_on.isoformat(),
                  p.ended_on.isoformat() if p.ended_on else None, p.note) for p in ps])


GOOD = (
    "K-001,株式会社サンプルフーズ,東京都,千代田区,商品開発,R4.7.1,,,数の子の新商品\n"
    "K-002,ｻﾝﾌﾟﾙﾌｰｽﾞ株式会社,,,共同試験研究,2023/4/1,2025/3/31,終了,\n"
    "K-003,(株)さんぷるふーず,東京,,joint_research,令和6年5月1日,,実施中,\n"
    "K-004,留萌みなと商事,北海道,留萌市,連携協定,2024-06-01,,cancelled,誤登録\n"
    "K-005,北海道大学,北海道,札幌市,,R7.1.10,,協議中,\n"
)


def test_import_creates_matches_organizations_and_is_idempotent(app, runner, tmp_path):
    path = _write(tmp_path, GOOD)
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "5行: 新規 5件、更新 0件、変更なし 0件" in result.output
    orgs, partnerships = _state(app)
    # ｻﾝﾌﾟﾙﾌｰｽﾞ株式会社 is not 株式会社サンプルフーズ (word order differs), (株)さんぷるふーず is.
    assert orgs == [
        ("株式会社サンプルフーズ", "東京都", "千代田区", True),
        ("ｻﾝﾌﾟﾙﾌｰｽﾞ株式会社", "", "", True),
        ("留萌みなと商事", "北海道", "留萌市", False),
        ("北海道大学", "北海道", "札幌市", True),
    ]
    assert partnerships == [
        ("K-001", "株式会社サンプルフーズ", "product_development", "concluded", "2022-07-01", None, "数の子の新商品"),
        ("K-002", "ｻﾝﾌﾟﾙﾌｰｽﾞ株式会社", "joint_research", "ended", "2023-04-01", "2025-03-31", ""),
        ("K-003", "株式会社サンプルフーズ", "joint_research", "active", "2024-05-01", None, ""),
        ("K-004", "留萌みなと商事", "agreement", "cancelled", "2024-06-01", None, "誤登録"),
        ("K-005", "北海道大学", "other", "negotiating", "2025-01-10", None, ""),
    ]
    # Counted: outside organizations only, cancelled never, talks not yet.
    with app.app_context():
        rows = db.session.execute(get_source("partnerships").rows()).mappings().all()
        counted = {db.session.get(Partnership, r["record_id"]).ref: r["event_date"] for r in rows}
    assert sorted(k for k, d in counted.items() if d is not None) == ["K-001", "K-002", "K-003"]
    assert counted["K-005"] is None and "K-004" not in counted

    again = _import(runner, path)
    assert again.exit_code == 0, again.output
    assert "5行: 新規 0件、更新 0件、変更なし 5件" in again.output
    assert _state(app) == (orgs, partnerships)


def test_reimport_by_ref_updates_and_empty_status_keeps_the_stored_one(app, runner, tmp_path):
    _import(runner, _write(tmp_path, GOOD))
    # CP932 as Excel writes it; the organization typed in another width and with ㈱.
    changed = _write(tmp_path, "K-001,㈱ｻﾝﾌﾟﾙﾌｰｽﾞ,,,進出・立地,R4.7.1,R8.3.31,,\n"
                               "K-003,株式会社サンプルフーズ,,,共同試験研究,令和6年5月1日,,,\n",
                     encoding="cp932", name="changed.csv")
    result = _import(runner, changed)
    assert result.exit_code == 0, result.output
    assert "2行: 新規 0件、更新 1件、変更なし 1件" in result.output
    orgs, partnerships = _state(app)
    assert len(orgs) == 4
    assert partnerships[0] == ("K-001", "株式会社サンプルフーズ", "siting", "concluded", "2022-07-01",
                               "2026-03-31", "")
    assert partnerships[2][3] == "active"  # empty status: still 実施中


def test_bad_rows_are_all_reported_and_nothing_is_written(app, runner, tmp_path):
    path = _write(tmp_path,
                  "E-1,有効な会社,東京都,,商品開発,R8.4.1,,,\n"
                  "E-2,,東京都,,商品開発,R8.4.1,,,\n"
                  "E-3,会社三,トウキョウ都,,宇宙開発,R8.2.30,,,\n"
                  "E-4,会社四,,,,2026-04-01,2026-03-01,保留,\n"
                  "E-1,会社五,,,,2026-04-01,,,\n"
                  "E-6,会社六,,,,2026-04-01,2026-03-01,,\n")
    result = _import(runner, path)
    assert result.exit_code != 0
    out = result.output
    assert "line 3: organization: 必須の項目が空です" in out
    assert "line 4: organization_prefecture: 「トウキョウ都」は都道府県名ではありません" in out
    assert "line 4: kind: 「宇宙開発」は使えません" in out
    assert "line 4: agreed_on: 「R8.2.30」は存在しない日付です" in out
    assert "line 5: status: 「保留」は使えません" in out
    assert "line 6: ref: ref「E-1」は2行目と重複しています" in out
    assert "何も書き込みませんでした" in out
    assert _state(app) == ([], [])
    # Row checks after parsing: the end before the agreement.
    result = _import(runner, _write(tmp_path, "E-6,会社六,,,,2026-04-01,2026-03-01,,\n", name="b.csv"))
    assert result.exit_code != 0
    assert "line 2: ended_on: 終了日が協定日より前です" in result.output
    assert _state(app) == ([], [])


def test_header_errors(app, runner, tmp_path):
    result = _import(runner, _write(tmp_path, "X-1,会社\n", header="ref,organization,partner\n"))
    assert result.exit_code != 0
    assert "line 1: partner: 不明な列です" in result.output
    assert "line 1: agreed_on: 必須の列がありません" in result.output


def test_upload_page_previews_then_imports(app, login_as):
    import io

    counter = login_as("counter")
    page = counter.get("/imports/partnerships").get_data(as_text=True)
    assert "域外企業との連携" in page and "organization_municipality" in page
    data = (HEADER + "W-1,ウェブ取込株式会社,大阪府,大阪市,人材交流,R8.4.1,,,\n").encode("utf-8")
    response = counter.post("/imports/partnerships", data={"file": (io.BytesIO(data), "p.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    preview = counter.get(response.headers["Location"]).get_data(as_text=True)
    assert "ウェブ取込株式会社" in preview
    assert _state(app) == ([], [])
    done = counter.post(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "新規 1件" in done
    assert _state(app)[1][0][:4] == ("W-1", "ウェブ取込株式会社", "personnel_exchange", "concluded")
    # A coordinator may import other kinds but not this one.
    coordinator = login_as("coordinator")
    assert coordinator.get("/imports/partnerships").status_code == 403
