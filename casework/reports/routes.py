from flask import Response, abort, render_template, request
from flask_login import current_user

from casework import jp
from casework.audit.trail import record_event
from casework.auth.access import require
from casework.extensions import db
from casework.plans.rollup import months_elapsed, plan_years, rollup
from casework.plans.rules import can_see_indicator
from casework.reports import bp
from casework.reports.exports import review as review_rows
from casework.reports.exports import review_table, rollup_table, to_csv, to_xlsx
from casework.web import (
    CP932,
    NotEncodable,
    csv_response,
    not_encodable_page,
    requested_csv_encoding,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _fiscal_year() -> int:
    fy = request.args.get("fy", type=int)
    if fy is None:
        return jp.fiscal_year_of(jp.today())
    if not 1990 <= fy <= 2200:
        abort(404)
    return fy


def _visible(item) -> bool:
    return can_see_indicator(current_user, item)


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def _review_years() -> list[int]:
    years = plan_years()
    return years or [jp.fiscal_year_of(jp.today())]


@bp.route("/")
@require("reports.export")
def index():
    fy = jp.fiscal_year_of(jp.today())
    return render_template("reports/index.html", fy=fy, years=sorted(set(_review_years()) | {fy}))


@bp.route("/rollup.csv")
@require("reports.export")
def rollup_csv():
    fy = _fiscal_year()
    encoding = requested_csv_encoding()
    header, rows = rollup_table(rollup(fy), _visible)
    try:
        data = to_csv(header, rows, encoding)
    except NotEncodable as error:
        return not_encodable_page(error)
    kind = "CSV Shift_JIS" if encoding == CP932 else "CSV"
    record_event("export", entity="rollup", detail=f"{kind} fy={fy} ({len(rows)}指標)")
    db.session.commit()
    return csv_response(data, f"rollup_{fy}.csv", encoding)


@bp.route("/rollup.xlsx")
@require("reports.export")
def rollup_xlsx():
    fy = _fiscal_year()
    header, rows = rollup_table(rollup(fy), _visible)
    record_event("export", entity="rollup", detail=f"xlsx fy={fy} ({len(rows)}指標)")
    db.session.commit()
    note = f"総合計画 指標の月別実績 {jp.fiscal_year_label(fy)}（各月末時点）"
    return _download(to_xlsx(f"{fy}年度", header, rows, note=note), f"rollup_{fy}.xlsx", XLSX)


@bp.route("/review")
@require("reports.export")
def review():
    years = _review_years()
    rows = review_rows(years, _visible)
    record_event("export", entity="review", detail=f"年度評価シート（画面） {years[0]}-{years[-1]}")
    db.session.commit()
    return render_template("reports/review.html", rows=rows, years=years,
                           running={y: months_elapsed(y) for y in years})


@bp.route("/review.xlsx")
@require("reports.export")
def review_xlsx():
    years = _review_years()
    header, rows = review_table(review_rows(years, _visible), years)
    record_event("export", entity="review", detail=f"年度評価シート xlsx {years[0]}-{years[-1]}")
    db.session.commit()
    note = "数値目標の達成状況（目標と実績。実績は年度末の値、年度途中は最新の月末の値）"
    return _download(to_xlsx("数値目標", header, rows, note=note), "review.xlsx", XLSX)
