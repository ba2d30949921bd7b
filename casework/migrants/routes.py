from datetime import date
from functools import partial
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework import jp
from casework.audit.trail import record_event
from casework.auth.access import require
from casework.extensions import db
from casework.forms import choices, stale_version
from casework.migrants import bp, reporting, services
from casework.migrants.forms import (
    SORTS,
    CaseEditForm,
    CaseFilterForm,
    CaseNewForm,
    ContactForm,
    DeleteForm,
    FollowUpFilterForm,
    FollowUpForm,
    MemberForm,
    StatusForm,
    SupportEditForm,
    SupportForm,
)
from casework.migrants.models import (
    RELATIONSHIP_SUGGESTIONS,
    STATUS_LABELS,
    SUPPORT_LABELS,
    Contact,
    FollowUp,
    HouseholdMember,
    MigrationCase,
    SupportItem,
    origin_text,
)
from casework.paging import paginate
from casework.people import services as people
from casework.people.models import Person
from casework.web import record_links

READ = ("migrants.read", "migrants.student_families")
WRITE = "migrants.write"
FIRST_FY = 2010  # 地域おこし協力隊 since FY2010


def _case(case_id: int) -> MigrationCase:
    case = db.session.get(MigrationCase, case_id)
    if case is None or not services.can_open(current_user, case):
        abort(404)
    return case


def _child(model, child_id: int, case: MigrationCase):
    record = db.session.get(model, child_id)
    if record is None or record.case_id != case.id:
        abort(404)
    return record


def _fy_choices(blank: str) -> list:
    this_fy = jp.fiscal_year_of(jp.today())
    return choices([("", blank)] + [(str(y), jp.fiscal_year_label(y)) for y in range(this_fy + 1, FIRST_FY - 1, -1)])


def _open_followup(which: str):
    today = jp.today()
    limit = FollowUp.due_on < today if which == "overdue" else FollowUp.due_on <= jp.month_end(today)
    return services.with_open_followup(FollowUp.outcome.is_(None), limit)


class ListRow(NamedTuple):
    """One line of the case list with every cell ready to print. Called from the template, the
    link builder, the labels and the 和暦 dates cost Jinja more than drawing the 50 rows."""
    cancelled: bool
    url: str
    full_name: str
    full_kana: str
    ref: str
    status: str
    inquired_on: str
    origin: str
    household_size: int
    moved_in_on: str


def _list_rows(items) -> list[ListRow]:
    case_url = record_links("migrants.case_detail", "case_id")
    wareki = jp.to_wareki  # as the template's `wareki` filter: "" for no date
    # Unpacked in the order of services.LIST_COLUMNS: a row's attributes by name cost 0.3 µs each.
    return [ListRow(status == "cancelled", case_url(id_), full_name, full_kana, ref or "",
                    STATUS_LABELS.get(status, status), wareki(inquired) if inquired else "",
                    origin_text(prefecture, municipality), household_size, wareki(moved_in) if moved_in else "")
            for id_, ref, status, inquired, prefecture, municipality, household_size, moved_in, full_name, full_kana
            in items]


# --- lists -----------------------------------------------------------------------------------

@bp.route("/")
@require(*READ)
def cases():
    form = CaseFilterForm(request.args)
    form.fy.choices = _fy_choices("すべて")
    conditions = services.visible(current_user)
    args = request.args
    if (status := args.get("status")) in STATUS_LABELS:
        conditions.append(MigrationCase.status == status)
    if (fy := args.get("fy", "")).isdigit():
        start, end = jp.fiscal_year_bounds(int(fy))
        conditions += [reporting.cohort_date() >= start, reporting.cohort_date() <= end]
    if origin := (args.get("origin") or "").strip():
        conditions.append(sa.or_(MigrationCase.origin_prefecture.contains(origin, autoescape=True),
                                 MigrationCase.origin_municipality.contains(origin, autoescape=True)))
    if (kind := args.get("support")) in SUPPORT_LABELS:
        conditions.append(sa.exists().where(SupportItem.case_id == MigrationCase.id, SupportItem.kind == kind))
    if (which := args.get("followup")) in ("due", "overdue"):
        conditions += [_open_followup(which), MigrationCase.status != "cancelled"]
    sort = args.get("sort") if args.get("sort") in SORTS else "new"
    order = {
        "new": (reporting.cohort_date().desc(), MigrationCase.id.desc()),
        "old": (reporting.cohort_date(), MigrationCase.id),
        "moved_in": (MigrationCase.moved_in_on.desc(), MigrationCase.id.desc()),
        "name": (Person.kana_key, MigrationCase.id),
        "household": (MigrationCase.household_size.desc(), MigrationCase.id),
    }[sort]
    query = sa.select(MigrationCase).join(Person, Person.id == MigrationCase.person_id)
    q = (args.get("q") or "").strip()
    if q and people.matches(q) is not None:  # (a text of spaces and marks matches everyone)
        matches = people.MatchingRecords(MigrationCase, q)
        # An index holds these orders: a page reads it from the top (people.MatchingRecords).
        walk = sort in ("new", "old", "moved_in")
        page = paginate(partial(matches.in_order, query, conditions, order, walk=walk),
                        count=partial(matches.count, conditions), columns=services.LIST_COLUMNS)
    else:
        page = paginate(query.where(*conditions).order_by(*order), columns=services.LIST_COLUMNS)
    return render_template("migrants/cases.html", page=page, rows=_list_rows(page.items), form=form)


@bp.route("/followups")
@require(*READ)
def followups():
    form = FollowUpFilterForm(request.args)
    which = request.args.get("which") if request.args.get("which") in ("due", "month", "overdue") else "due"
    query = services.due_followups(current_user, which=which)
    page = paginate(query)
    return render_template("migrants/followups.html", page=page, form=form, which=which)


@bp.route("/funnel")
@require("migrants.read")
def funnel():
    this_fy = jp.fiscal_year_of(jp.today())
    fy_text = request.args.get("fy", "")
    fy = int(fy_text) if fy_text.isdigit() and FIRST_FY <= int(fy_text) <= this_fy + 1 else this_fy
    return render_template("migrants/funnel.html", fy=fy, stages=reporting.funnel(fy),
                           totals=reporting.year_totals(fy), settlement=reporting.kyoryokutai_settlement(),
                           fy_choices=_fy_choices("")[1:])


# --- one case --------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@require(WRITE)
def case_new():
    form = CaseNewForm()
    candidates: list[Person] = []
    if form.validate_on_submit():
        fields = people.PersonFields(
            family_name=form.family_name.data.strip(), given_name=(form.given_name.data or "").strip(),
            family_name_kana=form.family_name_kana.data.strip(),
            given_name_kana=(form.given_name_kana.data or "").strip(),
            birth_date=form.birth_date.data, phone=(form.phone.data or "").strip(),
            email=(form.email.data or "").strip())
        candidates = people.possible_duplicates(fields.family_name_kana, fields.given_name_kana,
                                                fields.birth_date, fields.phone)
        choice = form.person_choice.data or ""
        person = None
        if choice == "new" or (not candidates and not choice):
            person = people.create_person(fields)
        elif choice.isdigit() and int(choice) in {p.id for p in candidates}:
            person = next(p for p in candidates if p.id == int(choice))
        if person is not None:
            case = MigrationCase(person_id=person.id, status="consulting", **_case_values(form))
            case.household_size = form.household_size.data
            db.session.add(case)
            db.session.flush()
            db.session.commit()
            flash(f"{person.full_name} さんの移住相談を登録しました。", "success")
            return redirect(url_for("migrants.case_detail", case_id=case.id))
        flash("同じ人がすでに登録されているかもしれません。該当する人を選ぶか、新しい人として登録してください。",
              "warning")
    return render_template("migrants/case_new.html", form=form, candidates=candidates)


def _case_values(form) -> dict:
    return {
        "inquired_on": form.inquired_on.data,
        "channel": form.channel.data or "",
        "origin_prefecture": (form.origin_prefecture.data or "").strip(),
        "origin_municipality": (form.origin_municipality.data or "").strip(),
        "wants": ",".join(form.wants.data or []),
        "note": (form.note.data or "").strip(),
    }


def _timeline(case: MigrationCase) -> list[dict]:
    items = []
    if case.inquired_on:
        text = "、".join(filter(None, [case.channel_label, case.origin and f"{case.origin}から",
                                       "・".join(case.want_labels)]))
        items.append({"on": case.inquired_on, "what": "移住相談", "text": text})
    for contact in case.contacts:
        items.append({"on": contact.contacted_on, "what": f"対応（{contact.channel_label}）",
                      "text": contact.note, "who": contact.staff})
    for support in case.supports:
        text = support.note
        if support.amount is not None:
            text = f"{support.amount:,}円 {text}"
        items.append({"on": support.given_on, "what": f"支援: {support.kind_label}", "text": text})
    if case.moved_in_on:
        items.append({"on": case.moved_in_on, "what": "転入", "text": f"{case.household_size}人世帯"})
    if case.moved_out_on:
        items.append({"on": case.moved_out_on, "what": "転出", "text": ""})
    for followup in case.followups:
        if followup.outcome:
            items.append({"on": followup.checked_on, "what": f"定住確認（{followup.year_mark}年）",
                          "text": followup.outcome_label + (f" {followup.note}" if followup.note else ""),
                          "who": followup.staff})
        else:
            items.append({"on": followup.due_on, "what": f"定住確認の予定（{followup.year_mark}年）",
                          "text": "期限切れ" if followup.due_on < jp.today() else "予定", "planned": True})
    return sorted(items, key=lambda i: (i["on"] or date.min), reverse=True)


def _person_url(person: Person | None) -> str | None:
    """The person page, when the people pages exist and the user may see this person."""
    if person is None or "people.show" not in current_app.view_functions or not people.can_see(current_user, person):
        return None
    return url_for("people.show", person_id=person.id)


def _render_case(case: MigrationCase, **forms):
    status_form = forms.get("status_form") or StatusForm(formdata=None, version=case.version)
    status_form.status.choices = choices((s, STATUS_LABELS[s]) for s in services.allowed_statuses(case))
    member_form = forms.get("member_form") or MemberForm(formdata=None)
    support_form = forms.get("support_form") or SupportForm(formdata=None)
    contact_form = forms.get("contact_form") or ContactForm(formdata=None, staff=current_user.display_name)
    return render_template(
        "migrants/case.html", case=case, timeline=_timeline(case), repayment=services.repayment(case),
        status_form=status_form, member_form=member_form, support_form=support_form,
        contact_form=contact_form, delete_form=DeleteForm(formdata=None),
        relationships=RELATIONSHIP_SUGGESTIONS, can_write=current_user.can(WRITE),
        person_url=_person_url(case.person), student_url=_person_url(case.student))


@bp.route("/<int:case_id>")
@require(*READ)
def case_detail(case_id: int):
    case = _case(case_id)
    record_event("view", entity="migration_cases", entity_id=case.id, person_id=case.person_id)
    db.session.commit()
    return _render_case(case)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@require(WRITE)
def case_edit(case_id: int):
    case = _case(case_id)
    form = CaseEditForm(obj=case)
    if request.method == "GET":
        form.wants.data = case.want_codes
        form.version.data = case.version
    if form.validate_on_submit():
        if stale_version(case, form.version.data):
            flash("他の人が先にこの案件を更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("migrants.case_edit", case_id=case.id))
        smallest = services.smallest_household(case)
        if form.household_size.data < smallest:
            form.household_size.errors.append(
                f"世帯員が{len(case.members)}人記録されているため、{smallest}以上にしてください。")
        else:
            for name, value in _case_values(form).items():
                setattr(case, name, value)
            case.household_size = form.household_size.data
            case.moved_in_on = form.moved_in_on.data
            case.moved_out_on = form.moved_out_on.data
            case.followup_requested = bool(form.followup_requested.data)
            db.session.flush()
            services.schedule_followups(case)
            db.session.commit()
            flash("案件を更新しました。", "success")
            return redirect(url_for("migrants.case_detail", case_id=case.id))
    return render_template("migrants/case_edit.html", form=form, case=case)


@bp.route("/<int:case_id>/status", methods=["POST"])
@require(WRITE)
def case_status(case_id: int):
    case = _case(case_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_case(case, status_form=form)
    if stale_version(case, form.version.data):
        flash("他の人が先にこの案件を更新しました。最新の内容を表示しています。", "error")
        return redirect(url_for("migrants.case_detail", case_id=case.id))
    try:
        services.change_status(case, form.status.data)
        db.session.flush()
        services.schedule_followups(case)
    except services.CaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"状態を「{case.status_label}」にしました。", "success")
    return redirect(url_for("migrants.case_detail", case_id=case.id))


@bp.route("/<int:case_id>/members", methods=["POST"])
@require(WRITE)
def member_add(case_id: int):
    case = _case(case_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_case(case, member_form=form)
    services.add_member(case, family_name=form.family_name.data or case.person.family_name,
                        given_name=form.given_name.data, relationship=form.relationship.data,
                        birth_date=form.birth_date.data)
    db.session.commit()
    flash(f"世帯員を追加しました（世帯人数 {case.household_size}人）。", "success")
    return redirect(url_for("migrants.case_detail", case_id=case.id))


@bp.route("/<int:case_id>/members/<int:member_id>/delete", methods=["POST"])
@require(WRITE)
def member_delete(case_id: int, member_id: int):
    case = _case(case_id)
    member = _child(HouseholdMember, member_id, case)
    if DeleteForm().validate_on_submit():
        services.remove_member(case, member)
        db.session.commit()
        flash(f"世帯員を削除しました（世帯人数 {case.household_size}人）。", "success")
    return redirect(url_for("migrants.case_detail", case_id=case.id))


def _student(form) -> Person | None:
    if form.kind.data != "student_family":
        return None
    return people.same_person(form.student_family_name_kana.data or "", form.student_given_name_kana.data or "",
                              form.student_birth_date.data)


def _fill_support(item: SupportItem, form) -> None:
    item.kind = form.kind.data
    item.given_on = form.given_on.data
    item.amount = form.amount.data if form.kind.data == "grant" else None
    is_member = form.kind.data == "kyoryokutai"
    item.term_start = form.term_start.data if is_member else None
    item.term_end = form.term_end.data if is_member else None
    item.stayed_after = {"yes": True, "no": False}.get(form.stayed_after.data) if is_member else None
    item.note = (form.note.data or "").strip()


@bp.route("/<int:case_id>/supports", methods=["POST"])
@require(WRITE)
def support_add(case_id: int):
    case = _case(case_id)
    form = SupportForm()
    if not form.validate_on_submit():
        return _render_case(case, support_form=form)
    student = _student(form)
    if form.kind.data == "student_family" and student is None:
        form.student_birth_date.errors.append("このふりがなと生年月日の生徒が見つかりません。")
        return _render_case(case, support_form=form)
    item = SupportItem()
    _fill_support(item, form)
    services.add_support(case, item, student)
    db.session.commit()
    flash(f"支援「{item.kind_label}」を記録しました。", "success")
    return redirect(url_for("migrants.case_detail", case_id=case.id))


@bp.route("/<int:case_id>/supports/<int:support_id>", methods=["GET", "POST"])
@require(WRITE)
def support_edit(case_id: int, support_id: int):
    case = _case(case_id)
    item = _child(SupportItem, support_id, case)
    form = SupportEditForm(obj=item)
    if request.method == "GET":
        form.stayed_after.data = {True: "yes", False: "no"}.get(item.stayed_after, "")
        form.version.data = item.version
        if item.kind == "student_family" and case.student is not None:
            form.student_family_name_kana.data = case.student.family_name_kana
            form.student_given_name_kana.data = case.student.given_name_kana
            form.student_birth_date.data = case.student.birth_date
    if form.validate_on_submit():
        if stale_version(item, form.version.data):
            flash("他の人が先にこの支援を更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("migrants.support_edit", case_id=case.id, support_id=item.id))
        student = _student(form)
        if form.kind.data == "student_family" and student is None:
            form.student_birth_date.errors.append("このふりがなと生年月日の生徒が見つかりません。")
        else:
            was_student_family = item.kind == "student_family"
            _fill_support(item, form)
            if student is not None:
                case.student_person_id = student.id
            elif was_student_family and not any(s.kind == "student_family" for s in case.supports):
                case.student_person_id = None
            db.session.flush()
            services.schedule_followups(case)
            db.session.commit()
            flash("支援を更新しました。", "success")
            return redirect(url_for("migrants.case_detail", case_id=case.id))
    return render_template("migrants/support_edit.html", form=form, case=case, item=item)


@bp.route("/<int:case_id>/supports/<int:support_id>/delete", methods=["POST"])
@require(WRITE)
def support_delete(case_id: int, support_id: int):
    case = _case(case_id)
    item = _child(SupportItem, support_id, case)
    if DeleteForm().validate_on_submit():
        services.remove_support(case, item)
        db.session.commit()
        flash("支援の記録を削除しました。", "success")
    return redirect(url_for("migrants.case_detail", case_id=case.id))


@bp.route("/<int:case_id>/contacts", methods=["POST"])
@require(WRITE)
def contact_add(case_id: int):
    case = _case(case_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _render_case(case, contact_form=form)
    case.contacts.append(Contact(contacted_on=form.contacted_on.data, channel=form.channel.data,
                                 staff=(form.staff.data or current_user.display_name).strip(),
                                 note=form.note.data.strip()))
    db.session.commit()
    flash("対応を記録しました。", "success")
    return redirect(url_for("migrants.case_detail", case_id=case.id))


@bp.route("/<int:case_id>/followups/<int:followup_id>", methods=["GET", "POST"])
@require(WRITE)
def followup_record(case_id: int, followup_id: int):
    case = _case(case_id)
    followup = _child(FollowUp, followup_id, case)
    form = FollowUpForm(obj=followup)
    if request.method == "GET":
        form.version.data = followup.version
        if not followup.checked_on:
            form.checked_on.data = jp.today()
    if form.validate_on_submit():
        if stale_version(followup, form.version.data):
            flash("他の人が先にこの確認を記録しました。最新の内容を表示しています。", "error")
            return redirect(url_for("migrants.followup_record", case_id=case.id, followup_id=followup.id))
        try:
            services.record_followup(case, followup, outcome=form.outcome.data, checked_on=form.checked_on.data,
                                     moved_out_on=form.moved_out_on.data, staff=current_user.display_name,
                                     note=(form.note.data or "").strip())
        except services.CaseError as exc:
            db.session.rollback()
            form.moved_out_on.errors.append(str(exc))
        else:
            db.session.commit()
            message = f"{followup.year_mark}年目の定住確認（{followup.outcome_label}）を記録しました。"
            repay = services.repayment(case)
            if repay is not None:
                message += f" 移住支援金の返還（{repay.label} {repay.due:,}円）が必要です。"
            flash(message, "warning" if repay else "success")
            return redirect(url_for("migrants.case_detail", case_id=case.id))
    return render_template("migrants/followup.html", form=form, case=case, followup=followup)
