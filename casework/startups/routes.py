import re
from datetime import date
from functools import partial
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework import jp
from casework.audit.trail import record_event
from casework.auth.access import require
from casework.auth.models import User
from casework.extensions import db
from casework.forms import choices, stale_version
from casework.paging import paginate
from casework.people import services as people
from casework.people.models import Person
from casework.startups import bp, services
from casework.startups.forms import (
    SORTS,
    CaseEditForm,
    CertificateForm,
    ConsultationForm,
    CounterForm,
    StatusForm,
    staff_choices,
)
from casework.startups.models import BODY_LABELS, STATUS_LABELS, StartupCase, case_title
from casework.startups.services import StartupError
from casework.web import record_links

ORDERINGS = {
    "first_desc": (StartupCase.first_consulted_on.desc().nulls_last(), StartupCase.id.desc()),
    "first_asc": (StartupCase.first_consulted_on.asc().nulls_last(), StartupCase.id),
    "kana": (Person.kana_key, StartupCase.id),
    "status": (StartupCase.status, StartupCase.first_consulted_on.desc().nulls_last(), StartupCase.id),
    "updated": (StartupCase.updated_at.desc(), StartupCase.id.desc()),
}


class ListRow(NamedTuple):
    """One line of the case list with every cell ready to print. Called from the template, the
    link builder, the labels and the dates cost Jinja more than drawing the 50 rows."""
    url: str
    label: str
    cancelled: bool
    full_name: str
    full_kana: str
    title: str
    status: str
    first_consulted_on: str
    staff: str
    body: str
    certificate_issued_on: str


def _list_rows(items, staff_names: dict[int, str]) -> list[ListRow]:
    case_url = record_links("startups.case", "case_id")
    date_ja = jp.format_date_ja
    # Unpacked in the order of services.LIST_COLUMNS: a row's attributes by name cost 0.3 µs each.
    return [ListRow(case_url(id_), ref or f"#{id_}", status == "cancelled", full_name, full_kana, case_title(idea),
                    STATUS_LABELS.get(status, status), date_ja(first), staff_names.get(staff_id, ""),
                    BODY_LABELS.get(body, body), date_ja(certificate))
            for id_, ref, status, idea, first, staff_id, body, certificate, full_name, full_kana in items]


PERSON_FIELDS = ("family_name", "given_name", "family_name_kana", "given_name_kana", "birth_date", "phone")


def _case(case_id: int) -> StartupCase:
    case = db.session.get(StartupCase, case_id)
    if case is None or not people.can_see(current_user, case.person):
        abort(404)
    return case


def _live_person(value) -> Person | None:
    try:
        person = db.session.get(Person, int(value))
    except (TypeError, ValueError):
        return None
    if (person is None or person.merged_into_id is not None or person.anonymized
            or not people.can_see(current_user, person)):
        return None
    return person


def _focus(form, name: str) -> None:
    field = getattr(form, name)
    field.render_kw = {**(field.render_kw or {}), "autofocus": True}


def _prefill_from_search(form: CounterForm, q: str) -> None:
    """What was typed in the search box becomes the new person's name, furigana or phone."""
    parts = [p for p in re.split(r"\s+", q.replace("\u3000", " ").strip()) if p]
    if not parts:
        return
    if jp.normalize_phone(q) and jp.normalize_phone(q) == jp.fold(q).replace("ー", ""):
        form.phone.data = q
    elif jp.is_kana(q):
        form.family_name_kana.data = parts[0]
        form.given_name_kana.data = " ".join(parts[1:])
    else:
        form.family_name.data = parts[0]
        form.given_name.data = " ".join(parts[1:])


@bp.route("/")
@require("startups.read")
def index():
    if current_user.can("startups.write"):
        return redirect(url_for("startups.counter"))
    return redirect(url_for("startups.cases"))


@bp.route("/counter", methods=["GET", "POST"])
@require("startups.write")
def counter():
    """窓口受付: from "someone is at the counter" to a saved person, case and first consultation."""
    form = CounterForm()
    form.staff_id.choices = staff_choices()
    q = (request.values.get("q") or "").strip()[:100]
    form.q.data = q
    search = people.PersonSearch(q, current_user)
    hits = db.session.scalars(search.people(20).limit(20), search.params).all() if q else []
    duplicates: list[Person] = []
    chosen = None

    if request.method == "GET":
        form.held_on.data = jp.today()
        form.staff_id.data = current_user.id
        preset = _live_person(request.args.get("person_id"))
        if preset is not None:
            chosen = preset
            form.person.data = str(preset.id)
            _focus(form, "business_idea")
        elif hits:
            form.person.data = str(hits[0].id)
        else:
            form.person.data = "new"
            if q:
                _prefill_from_search(form, q)
                _focus(form, next((n for n in PERSON_FIELDS[:4] if not getattr(form, n).data), "birth_date"))

    valid = form.validate_on_submit()
    new_person = (form.person.data or "new") == "new"
    if request.method == "POST" and new_person:
        for name, message in (("family_name", "姓を入力してください。"),
                              ("family_name_kana", "ふりがなを入力してください。")):
            if not (getattr(form, name).data or "").strip():
                form[name].errors = [*form[name].errors, message]
                valid = False
    if valid:
        person = None
        if new_person:
            fields = people.PersonFields(
                family_name=form.family_name.data.strip(), given_name=(form.given_name.data or "").strip(),
                family_name_kana=form.family_name_kana.data.strip(),
                given_name_kana=(form.given_name_kana.data or "").strip(),
                birth_date=form.birth_date.data, phone=(form.phone.data or "").strip())
            duplicates = people.possible_duplicates(fields.family_name_kana, fields.given_name_kana,
                                                    fields.birth_date, fields.phone)
            if duplicates and not form.confirm_new.data:
                form.person.data = str(duplicates[0].id)
                form.offered.data = ",".join(str(d.id) for d in duplicates)
                flash("同じ人が既に登録されているかもしれません。既存の人を使うか、別人として登録してください。",
                      "warning")
            else:
                person = people.create_person(fields)
        else:
            person = _live_person(form.person.data)
            offered = (form.offered.data or "").split(",")
            typed = any((form[n].data or "").strip() for n in ("family_name", "family_name_kana"))
            if person is not None and typed and str(person.id) not in offered:
                # A found person is chosen but a new name was typed: ask rather than guess.
                person = None
                form.person.errors = [*form.person.errors, "見つかった人が選ばれていますが、新しい人の氏名も入力されています。"
                                      "新しい人なら「新しい人として登録する」を選んでください。"]
            elif person is None:
                form.person.errors = [*form.person.errors, "選んだ対象者が見つかりません。もう一度検索してください。"]
        if person is not None:
            staff_id = form.staff_id.data
            try:
                case = services.open_case(person, business_idea=form.business_idea.data or "",
                                          industry=form.industry.data or "",
                                          supporting_body=form.supporting_body.data, staff_id=staff_id,
                                          first_consulted_on=form.held_on.data)
                services.add_consultation(case, held_on=form.held_on.data, channel=form.channel.data,
                                          staff_id=staff_id, topics=form.topics.data,
                                          minutes=form.minutes.data, notes=form.notes.data or "")
            except StartupError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(f"{person.full_name}さんの創業相談を受け付けました（案件 #{case.id}）。", "success")
                return redirect(url_for("startups.case", case_id=case.id))
    if request.method == "POST":
        chosen = chosen or _live_person(form.person.data)
        first_error = next((f.name for f in form if f.errors), None)
        if first_error and first_error != "person":
            _focus(form, first_error)
    candidates = list(dict.fromkeys([*duplicates, *([chosen] if chosen else []), *hits]))
    return render_template("startups/counter.html", form=form, q=q, candidates=candidates,
                           duplicates=duplicates, searched=bool(q))


def _date_arg(name: str) -> date | None:
    try:
        return jp.parse_date(request.args.get(name, ""))
    except ValueError:
        flash(f"日付「{request.args.get(name)}」を読み取れません。", "error")
        return None


@bp.route("/cases")
@require("startups.read")
def cases():
    args = request.args
    q = args.get("q", "").strip()[:100]
    conditions = []
    status = args.get("status", "")
    if status == "open":
        conditions.append(StartupCase.status.in_(("consulting", "supporting", "supported")))
    elif status in STATUS_LABELS:
        conditions.append(StartupCase.status == status)
    body = args.get("body", "")
    if body in BODY_LABELS:
        conditions.append(StartupCase.supporting_body == body)
    staff = args.get("staff", type=int)
    few_of_staff = bool(staff) and services.has_few_cases(staff)
    if staff:
        conditions.append(services.of_staff(staff, few=few_of_staff))
    fy = args.get("fy", type=int)
    if fy and 1989 <= fy <= 2100:
        start, end = jp.fiscal_year_bounds(fy)
        conditions.append(StartupCase.first_consulted_on.between(start, end))
    date_from, date_to = _date_arg("from"), _date_arg("to")
    if date_from:
        conditions.append(StartupCase.first_consulted_on >= date_from)
    if date_to:
        conditions.append(StartupCase.first_consulted_on <= date_to)
    sort = args.get("sort", "first_desc")
    if sort not in ORDERINGS:
        sort = "first_desc"
    if q:
        # The person searched for (people.search's ways of matching) or the case's own number.
        matches = people.MatchingRecords(StartupCase, q, also=StartupCase.ref == q)
        if sort == "kana":
            cases_in_order = partial(matches.in_kana_order, conditions)
        else:
            cases_in_order = partial(matches.in_order, services.cases_query(), conditions, ORDERINGS[sort],
                                     walk=sort == "first_desc")
        page = paginate(cases_in_order, count=partial(matches.count, conditions), columns=services.LIST_COLUMNS)
    elif sort == "kana" and not few_of_staff:
        # By the person's furigana: walk the people index rather than sort every case.
        page = paginate(lambda window: people.in_kana_order(StartupCase, conditions, window),
                        count=sa.select(StartupCase.id).where(*conditions), columns=services.LIST_COLUMNS)
    else:
        # Every case has its person: the cases are counted alone (joined with their people,
        # counting 1,001 cases read 1,001 people: 2 ms).
        # (A staff member's few cases by furigana: sorted, as people.in_kana_order orders them.)
        order = (*people.SEARCH_ORDER, StartupCase.id) if sort == "kana" else ORDERINGS[sort]
        page = paginate(services.cases_query().where(*conditions).order_by(*order),
                        count=sa.select(StartupCase.id).where(*conditions), columns=services.LIST_COLUMNS)
    staff_users = db.session.scalars(
        # EXISTS: one index seek per user, not a scan of every case (bench/README.md).
        sa.select(User).where(sa.select(StartupCase.staff_id).where(StartupCase.staff_id == User.id).exists())
        .order_by(User.display_name)).all()
    this_fy = jp.fiscal_year_of(jp.today())
    rows = _list_rows(page.items, {u.id: u.display_name for u in staff_users})
    return render_template("startups/cases.html", page=page, rows=rows, q=q, status=status, body=body,
                           staff=staff, fy=fy, date_from=args.get("from", ""), date_to=args.get("to", ""),
                           sort=sort, sorts=SORTS, statuses=STATUS_LABELS, bodies=BODY_LABELS,
                           staff_users=staff_users, fiscal_years=range(this_fy + 1, 2018, -1))


def _case_page(case: StartupCase, consultation_form=None, status_form=None, certificate_form=None):
    if consultation_form is None:
        consultation_form = ConsultationForm(formdata=None)
        consultation_form.held_on.data = jp.today()
        consultation_form.consult_staff_id.data = current_user.id
    consultation_form.consult_staff_id.choices = staff_choices(keep=case.staff_id)
    status_form = status_form or StatusForm(formdata=None, version=case.version)
    status_form.status.choices = choices((s, STATUS_LABELS[s]) for s in services.allowed_next(case))
    certificate_form = certificate_form or CertificateForm(formdata=None, version=case.version)
    record_event("view", entity="startup_cases", entity_id=case.id, person_id=case.person_id)
    db.session.commit()
    return render_template("startups/case.html", case=case, progress=services.specific_support(case),
                           consultation_form=consultation_form, status_form=status_form,
                           certificate_form=certificate_form, allowed=services.allowed_next(case))


@bp.route("/cases/<int:case_id>")
@require("startups.read")
def case(case_id: int):
    return _case_page(_case(case_id))


@bp.route("/cases/<int:case_id>/consultations", methods=["POST"])
@require("startups.write")
def add_consultation(case_id: int):
    case = _case(case_id)
    form = ConsultationForm()
    form.consult_staff_id.choices = staff_choices(keep=case.staff_id)
    if form.validate_on_submit():
        try:
            entry = services.add_consultation(case, held_on=form.held_on.data, channel=form.channel.data,
                                              staff_id=form.consult_staff_id.data, topics=form.topics.data,
                                              minutes=form.minutes.data, notes=form.notes.data or "")
        except StartupError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"{jp.format_date_ja(entry.held_on)}の相談記録を追加しました。", "success")
            return redirect(url_for("startups.case", case_id=case.id))
    else:
        flash("相談記録を追加できませんでした。入力内容を確認してください。", "error")
    return _case_page(case, consultation_form=form)


def _stale(case: StartupCase, version) -> bool:
    if stale_version(case, version):
        flash("他の人が先にこの案件を更新しました。最新の内容を表示しています。", "error")
        return True
    return False


@bp.route("/cases/<int:case_id>/status", methods=["POST"])
@require("startups.write")
def change_status(case_id: int):
    case = _case(case_id)
    form = StatusForm()
    if form.validate_on_submit() and not _stale(case, form.version.data):
        try:
            services.change_status(case, form.status.data, founded_on=form.founded_on.data)
        except StartupError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"状態を「{case.status_label}」にしました。", "success")
    elif form.errors:
        flash("状態を変更できませんでした: " + " ".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("startups.case", case_id=case.id))


@bp.route("/cases/<int:case_id>/certificate", methods=["POST"])
@require("startups.write")
def certificate(case_id: int):
    case = _case(case_id)
    form = CertificateForm()
    if form.validate_on_submit():
        if _stale(case, form.version.data):
            return redirect(url_for("startups.case", case_id=case.id))
        try:
            services.record_certificate(case, form.certificate_number.data, form.certificate_issued_on.data)
        except StartupError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("特定創業支援等事業の証明書を記録しました。", "success")
            return redirect(url_for("startups.case", case_id=case.id))
    return _case_page(case, certificate_form=form)


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@require("startups.write")
def edit(case_id: int):
    case = _case(case_id)
    form = CaseEditForm(obj=case)
    form.staff_id.choices = staff_choices(keep=case.staff_id)
    has_logs = bool(case.consultations)
    if form.validate_on_submit():
        if _stale(case, form.version.data):
            return redirect(url_for("startups.edit", case_id=case.id))
        ref = (form.ref.data or "").strip() or None
        if ref and db.session.scalar(sa.select(StartupCase.id).where(StartupCase.ref == ref,
                                                                    StartupCase.id != case.id)):
            form.ref.errors.append("この整理番号は別の案件で使われています。")
        elif case.status == "founded" and form.founded_on.data is None:
            form.founded_on.errors.append("創業済の案件には創業日が必要です。")
        else:
            case.business_idea = (form.business_idea.data or "").strip()
            case.industry = (form.industry.data or "").strip()
            case.supporting_body = form.supporting_body.data
            case.staff_id = form.staff_id.data
            case.founded_on = form.founded_on.data
            case.ref = ref
            case.note = (form.note.data or "").strip()
            if has_logs:
                services.sync_first_consulted(case)
            else:
                case.first_consulted_on = form.first_consulted_on.data
            db.session.commit()
            flash("案件を更新しました。", "success")
            return redirect(url_for("startups.case", case_id=case.id))
    form.version.data = case.version
    return render_template("startups/edit.html", form=form, case=case, has_logs=has_logs)
