from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.routing import BuildError

from casework import jp
from casework.audit.exports import record_export
from casework.audit.trail import record_event
from casework.auth.access import ask_password_again, recently_authenticated, require
from casework.extensions import db
from casework.forms import choices, stale_version
from casework.imports.columns import decimal_value
from casework.imports.framework import OUTCOME_LABELS, run_import
from casework.imports.services import import_confirmed, keep_upload, pending_upload
from casework.plans import bp, export
from casework.plans.chart import monthly_chart
from casework.plans.dashboard import card_drawing, cards, drawn_once
from casework.plans.forms import (
    ConfirmForm,
    FreezeForm,
    ObservationForm,
    ObservationUploadForm,
    RuleForm,
    TargetForm,
)
from casework.plans.imports import ObservationsKind
from casework.plans.models import (
    MEASURE_LABELS,
    WINDOW_LABELS,
    Chapter,
    CountingRule,
    Indicator,
    Observation,
    Target,
)
from casework.plans.rollup import (
    DrillCursor,
    RuleSpec,
    drilldown,
    month_index,
    months_elapsed,
    observations_behind,
    plan_years,
    rollup,
    rollups,
    year_end_value,
)
from casework.plans.rules import can_see_indicator, rule_sentence
from casework.plans.services import (
    PlanError,
    current_rule,
    drift,
    freeze_year,
    frozen_version,
    frozen_year,
    record_observation,
    save_rule,
    save_target,
)
from casework.plans.sources import get_source, sources
from casework.web import (
    CP932,
    NotEncodable,
    csv_response,
    file_response,
    not_encodable_page,
    record_links,
    requested_csv_encoding,
)

VIEW = ("dashboard.all", "dashboard.own")


def _fiscal_year() -> int:
    fy = request.args.get("fy", type=int)
    if fy is None:
        return jp.fiscal_year_of(jp.today())
    if not 1990 <= fy <= 2200:
        abort(404)
    return fy


def _year_choices(fy: int) -> list[int]:
    years = set(plan_years()) | {jp.fiscal_year_of(jp.today()), fy}
    return sorted(years)


def _visible(item) -> bool:
    return can_see_indicator(current_user, item)


def _indicator_or_404(code: str, fy: int):
    """(Indicator row, its rollup for fy); 404 when missing or not the user's."""
    indicator = db.session.scalar(sa.select(Indicator).where(Indicator.code == code)) or abort(404)
    result = rollup(fy)
    item = result.get(code) or abort(404)
    if not _visible(item):
        abort(404)
    return indicator, item, result


def _drill_links(item, fy: int) -> list[str]:
    return [url_for("plans.records", code=item.code, fy=fy, month=m) for m in _months(fy)]


def _months(fy: int) -> list[str]:
    from casework.plans.rollup import month_keys

    return month_keys(fy)


@bp.route("/")
@require(*VIEW)
def dashboard():
    fy = _fiscal_year()
    result, last_year = rollups(fy, fy - 1)
    confirmed = frozen_version(fy)
    elapsed = months_elapsed(fy)
    years = _year_choices(fy)

    def draw() -> str:
        frozen = frozen_year(fy) if confirmed else None
        drifts = drift(frozen, result) if frozen else {}
        index, rows = cards(result, last_year, _visible, frozen=frozen, drifts=drifts)
        drawings = {card.item.code: card_drawing(card, result, elapsed) for card in rows}
        return render_template("plans/_dashboard_body.html", fy=fy, years=years, rows=rows, index=index,
                               months=result.months, drawings=drawings, frozen=frozen, drifts=drifts)

    key = None
    if result.token is not None and (last_year is None or last_year.token is not None):
        key = (request.script_root, str(get_locale()), current_user.role, fy, result.token,
               last_year.token if last_year else None, elapsed, confirmed,
               tuple(years))
    page = render_template("plans/dashboard.html", fy=fy, body=drawn_once(key, draw))
    db.session.commit()  # keeps a freshly computed rollup; after rendering, which it would expire
    return page


@bp.route("/plan")
@require(*VIEW)
def plan_text():
    chapters = db.session.scalars(sa.select(Chapter).order_by(Chapter.code)).all()
    return render_template("plans/plan.html", chapters=chapters)


@bp.route("/indicators/<code>")
@require(*VIEW)
def indicator(code: str):
    fy = _fiscal_year()
    ind, item, result = _indicator_or_404(code, fy)
    last = rollup(fy - 1).get(code)
    rules = db.session.scalars(sa.select(CountingRule).where(CountingRule.indicator_id == ind.id)
                               .order_by(CountingRule.number.desc())).all()
    rule = next((r for r in rules if r.current), None)
    sentence = rule_sentence(rule.source, rule.measure, rule.window, rule.window_start, fy) if rule else ""
    observations = observations_behind(ind.id, fy) if ind.observed else []
    elapsed = months_elapsed(fy)
    chart = monthly_chart(item.values, last.values if last else None, item.target,
                          links=_drill_links(item, fy), elapsed=elapsed, unit=item.unit,
                          title=f"{item.name}の月別推移", pace_start=last.values[-1] if last else None,
                          pace_kind=item.window or "")
    increases = _increases(item, last)
    db.session.commit()
    return render_template("plans/indicator.html", fy=fy, ind=ind, item=item, last=last,
                           increases=increases,
                           months=result.months, rules=rules, rule=rule, sentence=sentence,
                           observations=observations, chart=chart, years=_year_choices(fy),
                           measure_labels=MEASURE_LABELS, window_labels=WINDOW_LABELS)


def _increases(item, last) -> list:
    """What each month added: the count of the records placed in that month."""
    out = []
    for i, value in enumerate(item.values):
        if value is None or item.observed:
            out.append(None)
            continue
        if i > 0:
            previous = item.values[i - 1]
        elif item.window == "annual":
            previous = 0
        else:
            previous = last.values[-1] if last and last.values[-1] is not None else None
        out.append(None if previous is None else value - previous)
    return out


def _drilled(code: str):
    """(fiscal year, rollup, indicator's rollup, month, month index, scope) of a drill-down URL;
    404 when the indicator is missing or not the user's, or the month or scope unknown."""
    fy = _fiscal_year()
    result = rollup(fy)
    item = result.get(code)
    if item is None or not _visible(item):
        abort(404)
    month = request.args.get("month") or result.months[-1]
    try:
        index = month_index(fy, month)
    except ValueError:
        abort(404)
    scope = request.args.get("scope", "to_date")
    if scope not in ("to_date", "month", "undated"):
        abort(404)
    return fy, result, item, month, index, scope


@bp.route("/indicators/<code>/records")
@require(*VIEW)
def records(code: str):
    fy, result, item, month, index, scope = _drilled(code)
    page = request.args.get("page", 1, type=int)
    value = item.values[index]
    if item.observed:
        ind = db.session.get(Indicator, item.id) or abort(404)
        observations = observations_behind(ind.id, fy)
        used = item.observation_ids[index]
        db.session.commit()
        return render_template("plans/observed_records.html", fy=fy, ind=ind, item=item, month=month,
                               value=value, observations=observations, used=used)
    if item.rule_id is None or item.source is None:
        abort(404)
    # The rule the rollup counted with: the number and its records come from the same rule.
    spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
    per_page = current_app.config["PAGE_SIZE"]
    listing = drilldown(spec, fy, month, scope=scope, page=page, per_page=per_page, counted=item,
                        after=DrillCursor.parse(request.args.get("after")),
                        before=DrillCursor.parse(request.args.get("before")))
    html = render_template(
        "plans/records.html", fy=fy, ind=item, item=item, month=month, index=index, scope=scope,
        value=value, listing=listing, links=_record_links(listing),
        sentence=rule_sentence(spec.source, spec.measure, spec.window, spec.window_start, fy),
        measure=spec.measure,
        personal=listing.source is not None and export.holds_personal_data(listing.source))
    _end_reading()
    record_event("view", entity="plan_drilldown", entity_id=item.code,
                 detail=f"{item.code} fy={fy} month={month} scope={scope} page={listing.page} ({listing.total}件)")
    db.session.commit()
    return html


@bp.route("/indicators/<code>/records.csv")
@require(*VIEW)
def records_csv(code: str):
    return _export_records(code, "csv")


@bp.route("/indicators/<code>/records.xlsx")
@require(*VIEW)
def records_xlsx(code: str):
    return _export_records(code, "xlsx")


def _export_records(code: str, kind: str):
    """Every record the drill-down lists, as a file. Personal data: the password entered within
    REAUTH_MINUTES, and the audit log keeps the export with the people in it."""
    fy, _result, item, month, _index, scope = _drilled(code)
    source = get_source(item.source) if item.source and item.rule_id is not None else None
    if item.observed or source is None:
        abort(404)
    if export.holds_personal_data(source) and not recently_authenticated():
        return ask_password_again()
    encoding = requested_csv_encoding() if kind == "csv" else None
    spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
    try:
        written = export.write_file(kind, f"{code} 元になった記録", source, spec, fy, month, scope, encoding)
    except NotEncodable as error:
        db.session.rollback()
        return not_encodable_page(error)
    _end_reading()
    label = "xlsx" if kind == "xlsx" else ("CSV Shift_JIS" if encoding == CP932 else "CSV")
    record_export(entity="plan_drilldown", entity_id=code, person_ids=written.people,
                  detail=f"{label} {code} fy={fy} month={month} scope={scope}"
                         f" ({written.count}件, {len(written.people)}人)")
    db.session.commit()
    name = export.filename(code, fy, month, scope, "xlsx" if kind == "xlsx" else "csv")
    if kind == "xlsx":
        return file_response(written.file, name, export.XLSX)
    return csv_response(written.file, name, encoding)


def _end_reading() -> None:
    """End the request's read-only transaction, keeping what it loaded (the user among it), so
    that the view's audit entry is written in a transaction of its own that begins with the
    insert. On SQLite that write then waits its turn for the one write lock and holds it for the
    insert alone; a read transaction asking for the lock instead fails at once when another
    worker holds it, and the whole request runs again holding the lock."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _record_links(listing) -> dict[int, str | None]:
    """{record id: link to its page}; no links to a program page not built yet."""
    source, ids = listing.source, [row.record_id for row in listing.rows]
    if source is None or not ids:
        return {}
    try:
        link = record_links(source.record_endpoint, source.record_id_arg)
    except BuildError:
        return dict.fromkeys(ids)
    return {i: link(i) for i in ids}


@bp.route("/indicators/<code>/rule", methods=["GET", "POST"])
@require("plans.edit")
def rule_edit(code: str):
    ind = db.session.scalar(sa.select(Indicator).where(Indicator.code == code)) or abort(404)
    if ind.observed:
        abort(404)
    rule = current_rule(ind.id)
    form = RuleForm()
    known = sources()
    source_choices = [(name, f"{s.label}（{name}）") for name, s in sorted(known.items())]
    if rule is not None and rule.source not in known:
        source_choices.append((rule.source, f"{rule.source}（未登録）"))
    form.source.choices = choices(source_choices)
    if request.method == "GET" and rule is not None:
        form.source.data, form.measure.data, form.window.data = rule.source, rule.measure, rule.window
        form.window_start.data = rule.window_start
    if request.method == "GET":
        form.current_rule_id.data = str(rule.id) if rule else ""
    preview = None
    if form.validate_on_submit():
        if (str(rule.id) if rule else "") != (form.current_rule_id.data or ""):
            flash("他の人が先にこの集計ルールを変更しました。最新のルールを表示しています。", "error")
            return redirect(url_for("plans.rule_edit", code=code))
        start = form.window_start.data if form.window.data == "cumulative" else None
        candidate = RuleSpec(form.source.data, form.measure.data, form.window.data, start)
        if form.save.data:
            if rule is not None and rule.same_as(candidate.source, candidate.measure, candidate.window, candidate.window_start):
                flash("集計ルールは変わっていません。", "warning")
                return redirect(url_for("plans.indicator", code=code))
            new = save_rule(ind, candidate.source, candidate.measure, candidate.window,
                            candidate.window_start, form.reason.data.strip())
            db.session.commit()
            flash(f"集計ルールを保存しました（第{new.number}版）。", "success")
            return redirect(url_for("plans.indicator", code=code))
        years = _year_choices(jp.fiscal_year_of(jp.today()))
        before_spec = RuleSpec.of(rule) if rule else None
        preview = []
        for year in years:
            before = year_end_value(before_spec, year) if before_spec else (None, 0)
            after = year_end_value(candidate, year)
            preview.append({"fy": year, "before": before[0], "after": after[0],
                            "undated_before": before[1], "undated_after": after[1]})
        db.session.rollback()  # a preview writes nothing
        preview = {"rows": preview, "sentence": rule_sentence(candidate.source, candidate.measure,
                                                              candidate.window, candidate.window_start)}
    sentence = rule_sentence(rule.source, rule.measure, rule.window, rule.window_start) if rule else ""
    return render_template("plans/rule_form.html", ind=ind, form=form, rule=rule,
                           sentence=sentence, preview=preview)


@bp.route("/indicators/<code>/targets/<int:fiscal_year>", methods=["GET", "POST"])
@require("plans.edit")
def target_edit(code: str, fiscal_year: int):
    ind = db.session.scalar(sa.select(Indicator).where(Indicator.code == code)) or abort(404)
    target = db.session.scalar(sa.select(Target).where(
        Target.indicator_id == ind.id, Target.fiscal_year == fiscal_year)) or abort(404)
    form = TargetForm()
    if form.validate_on_submit():
        if stale_version(target, form.version.data):
            flash("他の人が先にこの目標値を更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("plans.target_edit", code=code, fiscal_year=fiscal_year))
        try:
            value = decimal_value(form.value.data)
        except ValueError as exc:
            form.value.errors.append(str(exc))
        else:
            if value is None or value < 0:
                form.value.errors.append("0以上の数値を入力してください。")
            else:
                changed = save_target(target, value)
                db.session.commit()
                flash("目標値を保存しました。" if changed else "目標値は変わっていません。",
                      "success" if changed else "warning")
                return redirect(url_for("plans.indicator", code=code, fy=fiscal_year))
    if request.method == "GET":
        form.value.data = format(target.exact_value, "f")
    form.version.data = target.version
    return render_template("plans/target_form.html", ind=ind, target=target, form=form)


@bp.route("/indicators/<code>/observations/new", methods=["GET", "POST"])
@require("observations.write")
def observation_new(code: str):
    ind = db.session.scalar(sa.select(Indicator).where(Indicator.code == code)) or abort(404)
    if not ind.observed:
        abort(404)
    form = ObservationForm()
    if request.method == "GET":
        form.fiscal_year.data = request.args.get("fy", type=int) or jp.fiscal_year_of(jp.today())
        form.month.data = request.args.get("month", "")
        form.source.data = ind.provider
    if form.validate_on_submit():
        try:
            value = decimal_value(form.value.data)
            if value is None:
                raise ValueError("値を入力してください")
        except ValueError as exc:
            form.value.errors.append(str(exc))
        else:
            try:
                observation, outcome = record_observation(
                    ind, form.fiscal_year.data, form.month.data or "", value,
                    (form.source.data or "").strip(), (form.note.data or "").strip())
            except PlanError as exc:
                db.session.rollback()
                form.month.errors.append(str(exc))
            else:
                db.session.commit()
                flash({"created": "観測値を登録しました。", "updated": "観測値を更新しました（前の値は履歴に残ります）。",
                       "unchanged": "値は変わっていません。"}[outcome], "success" if outcome != "unchanged" else "warning")
                return redirect(url_for("plans.observation", observation_id=observation.id))
    return render_template("plans/observation_form.html", ind=ind, form=form)


@bp.route("/observations/<int:observation_id>")
@require("dashboard.all")
def observation(observation_id: int):
    obs = db.session.get(Observation, observation_id) or abort(404)
    return render_template("plans/observation.html", obs=obs, ind=obs.indicator)


@bp.route("/observations/import", methods=["GET", "POST"])
@require("observations.write")
def observations_upload():
    kind = ObservationsKind()
    form = ObservationUploadForm()
    if form.validate_on_submit():
        pending = keep_upload(kind.name, form.file.data, current_user.id)
        return redirect(url_for("plans.observations_preview", pending_id=pending.id))
    return render_template("plans/observations_upload.html", kind=kind, form=form)


@bp.route("/observations/import/<int:pending_id>", methods=["GET", "POST"])
@require("observations.write")
def observations_preview(pending_id: int):
    kind = ObservationsKind()
    pending = pending_upload(pending_id, current_user.id, kind.name) or abort(404)
    data, filename = pending.data, pending.filename
    form = ConfirmForm()
    if form.validate_on_submit():
        result = import_confirmed(kind, pending)
        if result.committed:
            flash(f"{kind.label}: {result.summary()}を取り込みました。", "success")
            return redirect(url_for("plans.dashboard"))
        flash("取り込めませんでした。内容を直してからもう一度アップロードしてください。", "error")
        return render_template("plans/observations_preview.html", kind=kind, result=result, form=None,
                               filename=filename, labels=OUTCOME_LABELS, pending=None)
    result = run_import(kind, data, commit=False, filename=filename)
    return render_template("plans/observations_preview.html", kind=kind, result=result,
                           form=form if result.ok else None, filename=filename,
                           labels=OUTCOME_LABELS, pending=pending)


@bp.route("/years/<int:fiscal_year>/confirm", methods=["GET", "POST"])
@require("plans.edit")
def freeze(fiscal_year: int):
    if not 1990 <= fiscal_year <= 2200:
        abort(404)
    form = FreezeForm()
    frozen = frozen_year(fiscal_year)
    if form.validate_on_submit():
        freeze_year(fiscal_year, (form.note.data or "").strip())
        db.session.commit()
        flash(f"{jp.fiscal_year_label(fiscal_year)}の数値を確定しました。", "success")
        return redirect(url_for("plans.dashboard", fy=fiscal_year))
    result = rollup(fiscal_year)
    drifts = drift(frozen, result) if frozen else {}
    db.session.commit()
    return render_template("plans/freeze.html", fy=fiscal_year, form=form, frozen=frozen,
                           result=result, drifts=drifts, Decimal=Decimal)
