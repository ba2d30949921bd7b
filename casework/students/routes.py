"""Pages of the coordinators' tool. Coordinators write; managers read; nobody else sees any of it."""

import calendar as pycalendar
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework import jp
from casework.audit.trail import record_event
from casework.auth.access import require
from casework.extensions import db
from casework.forms import choices, stale_version
from casework.paging import COUNT_LIMIT, Page, bounded_count, paginate, requested_page
from casework.people import services as people
from casework.people.guards import refuse_if_anonymized
from casework.people.models import Person
from casework.students import bp, services
from casework.students.forms import (
    CancelForm,
    ContactForm,
    DateRangeForm,
    EndForm,
    HostFamilyForm,
    ListFilterForm,
    MoveForm,
    PlacementForm,
    StepForm,
    StudentForm,
    UnavailableForm,
)
from casework.students.models import (
    CANCELLED,
    ENROLLED,
    FAMILY_STATUS_LABELS,
    REGISTERED,
    SENSITIVE_FIELDS,
    STUDENT_STATUS_LABELS,
    HostFamily,
    Placement,
    Student,
    StudentContact,
    UnavailablePeriod,
    family_status_label,
    household_name,
)
from casework.students.services import NEXT_STATUSES, Refused
from casework.web import record_links

READ, WRITE, SENSITIVE = "students.read", "students.write", "students.sensitive"
WEEKDAYS = "月火水木金土日"


def _student(student_id: int) -> Student:
    return db.session.get(Student, student_id) or abort(404)


def _family(family_id: int) -> HostFamily:
    return db.session.get(HostFamily, family_id) or abort(404)


def _placement(placement_id: int) -> Placement:
    return db.session.get(Placement, placement_id) or abort(404)


def _date_arg(name: str, default: date | None = None) -> date | None:
    try:
        return jp.parse_date(request.args.get(name, "")) or default
    except ValueError:
        flash(f"日付「{request.args.get(name, '')[:20]}」が読めません。", "warning")
        return default


def next_term_start(today: date) -> date:
    """The next 1 April (start of the school year)."""
    start = date(today.year, 4, 1)
    return start if start > today else date(today.year + 1, 4, 1)


def _person_fields(form) -> people.PersonFields:
    return people.PersonFields(
        family_name=form.family_name.data.strip(), given_name=form.given_name.data.strip(),
        family_name_kana=form.family_name_kana.data.strip(), given_name_kana=form.given_name_kana.data.strip(),
        birth_date=form.birth_date.data, phone=(form.phone.data or "").strip(),
        email=(form.email.data or "").strip(), postal_code=(form.postal_code.data or "").strip(),
        address=(form.address.data or "").strip())


def _resolve_person(form):
    """The person a new record is for: an existing one the user picked among the possible
    duplicates, or a new one. None while the user still has to choose."""
    fields = _person_fields(form)
    candidates = people.possible_duplicates(fields.family_name_kana, fields.given_name_kana,
                                            fields.birth_date, fields.phone)
    choice = form.person_choice.data
    if candidates and not choice:
        form.person_choice.choices = choices(
            [(str(p.id), f"{p.full_name}（{p.full_kana}）{jp.format_date_ja(p.birth_date)} {p.phone}") for p in candidates]
            + [("new", "別の人として新しく登録する")])
        flash("同じ人かもしれない登録があります。選んでからもう一度保存してください。", "warning")
        return None
    if choice and choice != "new":
        person = next((p for p in candidates if str(p.id) == choice), None)
        if person is None:
            abort(400)
        people.update_person(person, fields, keep_empty=True)
        return person
    return people.create_person(fields)


def _sort(query, options: dict, key: str):
    return query.order_by(*options.get(key) or next(iter(options.values())))


def _paginate_sorted(model, conditions: list, options: dict, key: str, columns: tuple | None = None):
    """A page of the model's list (joined to its person). In furigana order (the default) the
    person index is walked (people.in_kana_order): no sort of every record per page.
    `columns`: rows of these columns (of the model and its person) instead of records."""
    listed = sa.select(model).join(model.person).where(*conditions)
    if (key if key in options else next(iter(options))) == "kana":
        return paginate(lambda window: people.in_kana_order(model, conditions, window),
                        count=listed.with_only_columns(model.id), columns=columns)
    return paginate(_sort(listed, options, key), columns=columns)


def _gaps_page(day: date, page: int | None = None) -> tuple[Page, list[services.Gap]]:
    """A page of the enrolled students without a bed the night of `day`, in furigana order, with
    the reasons."""
    conditions = services.without_bed(day)
    found = paginate(lambda window: people.in_kana_order(Student, conditions, window),
                     count=sa.select(Student.id).where(*conditions), page=page)
    return found, services.gaps(found.items, day)


# --- overview --------------------------------------------------------------------------------
@bp.route("/")
@require(READ)
def index():
    """Tonight's students without a bed are the first page of that list (students.unplaced);
    the new term's are counted up to paging.COUNT_LIMIT."""
    today = jp.today()
    term = next_term_start(today)
    gaps_page, gaps_today = _gaps_page(today, page=1)
    return render_template(
        "students/index.html", today=today, term=term, gaps_today=gaps_today, gaps_page=gaps_page,
        gaps_term=bounded_count(sa.select(Student.id).where(*services.without_bed(term)), limit=COUNT_LIMIT),
        count_limit=COUNT_LIMIT,
        conflicts=services.upcoming_conflicts(today), renewals=services.renewals_due(today),
        screenings=services.screenings_open(), free=services.free_summary(today).total)


# --- students --------------------------------------------------------------------------------
STUDENT_SORTS = {
    "kana": (Person.kana_key, Student.id),
    "ref": (Student.ref, Student.id),
    "school": (Student.school, Student.grade, Person.kana_key, Student.id),
    "new": (Student.id.desc(),),
}
STUDENT_SORT_LABELS = {"kana": "ふりがな順", "ref": "番号順", "school": "学校・学年順", "new": "登録の新しい順"}


@bp.route("/list")
@require(READ)
def students():
    form = ListFilterForm(request.args)
    form.status.choices = choices([("", "すべて")] + [(k, str(v)) for k, v in STUDENT_STATUS_LABELS.items()])
    form.sort.choices = choices(STUDENT_SORT_LABELS.items())
    conditions = []
    text = (form.q.data or "").strip()
    if text:
        matching_people = people.search(text).with_only_columns(Person.id).order_by(None)
        conditions.append(sa.or_(Student.person_id.in_(matching_people),
                                 Student.ref.contains(text, autoescape=True),
                                 Student.school.contains(text, autoescape=True)))
    if form.status.data:
        conditions.append(Student.status == form.status.data)
    page = _paginate_sorted(Student, conditions, STUDENT_SORTS, form.sort.data)
    today = jp.today()
    ids = [s.id for s in page.items]
    current = {p.student_id: p for p in db.session.scalars(
        sa.select(Placement).where(Placement.student_id.in_(ids), Placement.status != CANCELLED,
                                   Placement.started_on <= today,
                                   sa.or_(Placement.ended_on.is_(None), Placement.ended_on >= today)))}
    return render_template("students/students.html", page=page, form=form, current=current)


@bp.route("/new", methods=["GET", "POST"])
@require(WRITE)
def student_new():
    form = StudentForm()
    if not current_user.can(SENSITIVE):
        for name in SENSITIVE_FIELDS:
            delattr(form, name)
    if form.validate_on_submit():
        person = _resolve_person(form)
        if person is not None:
            if db.session.scalar(sa.select(Student.id).where(Student.person_id == person.id)):
                db.session.rollback()
                flash("この人は既に学生として登録されています。", "error")
            elif form.ref.data and db.session.scalar(sa.select(Student.id).where(Student.ref == form.ref.data.strip())):
                db.session.rollback()
                form.ref.errors = ["この学生番号は既に使われています。"]
            else:
                student = Student(person_id=person.id, ref=(form.ref.data or "").strip() or None)
                _fill_student(student, form)
                db.session.add(student)
                db.session.commit()
                flash(f"学生「{person.full_name}」を登録しました。", "success")
                return redirect(url_for("students.student", student_id=student.id))
    return render_template("students/student_form.html", form=form, student=None)


def _fill_student(student: Student, form) -> None:
    for name in ("gender", "home_prefecture", "home_municipality", "school", "grade",
                 "expected_graduation_on", "status", "note"):
        value = getattr(form, name).data
        setattr(student, name, value.strip() if isinstance(value, str) else value)
    if current_user.can(SENSITIVE):
        student.allergens = (form.allergens.data or "").strip()
        student.medical_notes = (form.medical_notes.data or "").strip()
        student.needs_no_pets = bool(form.needs_no_pets.data)
        student.needs_no_smoking = bool(form.needs_no_smoking.data)


@bp.route("/<int:student_id>")
@require(READ)
def student(student_id: int):
    student = _student(student_id)
    placements = list(db.session.scalars(
        sa.select(Placement).where(Placement.student_id == student.id).order_by(Placement.started_on, Placement.id)))
    record_event("view", entity="students", entity_id=student.id, person_id=student.person_id)
    db.session.commit()
    today = jp.today()
    current = next((p for p in placements if not p.cancelled and p.covers(today)), None)
    upcoming = next((p for p in placements if not p.cancelled and p.started_on > today), None)
    return render_template("students/student.html", student=student, placements=placements, current=current,
                           upcoming=upcoming, contact_form=ContactForm(), show_sensitive=current_user.can(SENSITIVE))


@bp.route("/<int:student_id>/edit", methods=["GET", "POST"])
@require(WRITE)
def student_edit(student_id: int):
    student = _student(student_id)
    person = student.person
    if (refused := refuse_if_anonymized(person)) is not None:
        return refused
    form = StudentForm(obj=student)
    del form.person_choice
    if not current_user.can(SENSITIVE):
        for name in SENSITIVE_FIELDS:
            delattr(form, name)
    if request.method == "GET":
        for name in people.PERSON_FIELDS:
            if hasattr(form, name):
                getattr(form, name).data = getattr(person, name)
    if form.validate_on_submit():
        if stale_version(student, form.version.data):
            flash("他の人が先にこの学生の記録を更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("students.student_edit", student_id=student.id))
        ref = (form.ref.data or "").strip() or None
        if ref and db.session.scalar(sa.select(Student.id).where(Student.ref == ref, Student.id != student.id)):
            form.ref.errors = ["この学生番号は既に使われています。"]
        else:
            fields = _person_fields(form)
            fields.note = person.note
            people.update_person(person, fields)
            student.ref = ref
            _fill_student(student, form)
            db.session.commit()
            flash("保存しました。", "success")
            return redirect(url_for("students.student", student_id=student.id))
    form.version.data = student.version
    return render_template("students/student_form.html", form=form, student=student)


@bp.route("/<int:student_id>/contacts", methods=["POST"])
@require(WRITE)
def contact_add(student_id: int):
    student = _student(student_id)
    form = ContactForm()
    if form.validate_on_submit():
        db.session.add(StudentContact(student_id=student.id, **{
            name: (getattr(form, name).data or "").strip()
            for name in ("kind", "name", "relation", "phone", "email", "address", "note")}))
        db.session.commit()
        flash("連絡先を追加しました。", "success")
    else:
        flash("連絡先を追加できませんでした: " + " ".join(
            f"{getattr(form, n).label.text}: {' '.join(e)}" for n, e in form.errors.items()), "error")
    return redirect(url_for("students.student", student_id=student.id) + "#contacts")


@bp.route("/<int:student_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@require(WRITE)
def contact_delete(student_id: int, contact_id: int):
    contact = db.session.get(StudentContact, contact_id)
    if contact is None or contact.student_id != student_id:
        abort(404)
    db.session.delete(contact)
    db.session.commit()
    flash("連絡先を削除しました。", "success")
    return redirect(url_for("students.student", student_id=student_id) + "#contacts")


@bp.route("/<int:student_id>/match")
@require(READ)
def match(student_id: int):
    student = _student(student_id)
    today = jp.today()
    form = DateRangeForm(request.args)
    start = _date_arg("start", today if services.anyone_without_bed(today) else next_term_start(today))
    end = _date_arg("end")
    if end is not None and end < start:
        flash("最終泊日は開始日以降にしてください。", "error")
        end = None
    form.start.data, form.end.data = start, end
    matches = services.match_families(student, start, end, sensitive=current_user.can(SENSITIVE))
    return render_template("students/match.html", student=student, form=form, start=start, end=end,
                           matches=matches, show_sensitive=current_user.can(SENSITIVE))


# --- host families ---------------------------------------------------------------------------
FAMILY_SORTS = {
    "kana": (Person.kana_key, HostFamily.id),
    "ref": (HostFamily.ref, HostFamily.id),
    "capacity": (HostFamily.capacity.desc(), Person.kana_key, HostFamily.id),
    "renewal": (HostFamily.renewal_due_on.is_(None), HostFamily.renewal_due_on, Person.kana_key, HostFamily.id),
}
FAMILY_SORT_LABELS = {"kana": "ふりがな順", "ref": "番号順", "capacity": "定員の多い順", "renewal": "更新期限の近い順"}


class FamilyRow(NamedTuple):
    """One line of the host-family list with every cell ready to print: the link builder, the free
    places looked up by family, the labels and the date filter called from the template cost Jinja
    more than drawing the 50 rows."""
    css_class: str
    ref: str
    url: str
    household: str
    full_name: str
    full_kana: str
    address: str
    phone: str
    capacity: int
    blocked: str  # why the family cannot take anyone tonight; "" when it can
    free: int
    renewal_due_on: str
    status: str


def _family_rows(items, places: list[services.FreePlaces], statuses: dict[str, str]) -> list[FamilyRow]:
    """`places`: services.free_places of these very rows, in their order."""
    family_url = record_links("students.family", "family_id")
    date_ja = jp.format_date_ja
    # Unpacked in the order of services.FAMILY_LIST_COLUMNS: a row's attributes by name cost 0.3 µs each.
    return [FamilyRow("cancelled" if status == CANCELLED else "" if status == REGISTERED else "inactive", ref or "",
                      family_url(id_), household_name(family_name), full_name, full_kana, address, phone, capacity,
                      tonight.blocked, tonight.free, date_ja(renewal_due_on), statuses.get(status, status))
            for (id_, ref, status, capacity, _registered_on, renewal_due_on, family_name, full_name, full_kana,
                 address, phone), tonight in zip(items, places, strict=True)]


@bp.route("/families")
@require(READ)
def families():
    form = ListFilterForm(request.args)
    form.q.label.text = "検索（氏名・ふりがな・番号・住所）"
    statuses = {code: family_status_label(code) for code in FAMILY_STATUS_LABELS}
    form.status.choices = choices([("", "すべて")] + list(statuses.items()))
    form.sort.choices = choices(FAMILY_SORT_LABELS.items())
    conditions = []
    text = (form.q.data or "").strip()
    if text:
        matching_people = people.search(text).with_only_columns(Person.id).order_by(None)
        conditions.append(sa.or_(HostFamily.person_id.in_(matching_people),
                                 HostFamily.ref.contains(text, autoescape=True),
                                 Person.address.contains(text, autoescape=True)))
    if form.status.data:
        conditions.append(HostFamily.status == form.status.data)
    page = _paginate_sorted(HostFamily, conditions, FAMILY_SORTS, form.sort.data,
                            columns=services.FAMILY_LIST_COLUMNS)
    rows = _family_rows(page.items, services.free_places(jp.today(), families=page.items), statuses)
    return render_template("students/families.html", page=page, rows=rows, form=form)


def _fill_family(family: HostFamily, form) -> None:
    for name in ("household_members", "contacts", "rooms", "accepts_boys", "accepts_girls", "has_pets",
                 "pets_note", "smoking", "allergies_handled", "meals", "training_on", "training_note",
                 "renewal_due_on", "note"):
        value = getattr(form, name).data
        setattr(family, name, value.strip() if isinstance(value, str) else value)


@bp.route("/families/new", methods=["GET", "POST"])
@require(WRITE)
def family_new():
    form = HostFamilyForm()
    if request.method == "GET":
        form.accepts_boys.data = form.accepts_girls.data = True
        form.capacity.data = 1
        form.applied_on.data = jp.today()
    if form.validate_on_submit():
        ref = (form.ref.data or "").strip() or None
        if ref and db.session.scalar(sa.select(HostFamily.id).where(HostFamily.ref == ref)):
            form.ref.errors = ["この家庭番号は既に使われています。"]
        else:
            person = _resolve_person(form)
            if person is None:
                return render_template("students/family_form.html", form=form, family=None)
            family = HostFamily(person_id=person.id, ref=ref, capacity=form.capacity.data, status="applied")
            family.person = person
            _fill_family(family, form)
            db.session.add(family)
            db.session.flush()
            services.set_status(family, "applied", form.applied_on.data or jp.today(), user=current_user,
                                note="申込を受付", follow_workflow=False)
            db.session.commit()
            flash(f"受入家庭「{family.name}」の申込を登録しました。", "success")
            return redirect(url_for("students.family", family_id=family.id))
    return render_template("students/family_form.html", form=form, family=None)


@bp.route("/families/<int:family_id>")
@require(READ)
def family(family_id: int):
    family = _family(family_id)
    today = jp.today()
    placements = list(db.session.scalars(
        sa.select(Placement).where(Placement.host_family_id == family.id)
        .order_by(Placement.started_on.desc(), Placement.id.desc())))
    record_event("view", entity="host_families", entity_id=family.id, person_id=family.person_id)
    db.session.commit()
    step_form = StepForm()
    step_form.status.choices = choices((s, str(FAMILY_STATUS_LABELS[s])) for s in NEXT_STATUSES.get(family.status, ()))
    step_form.done_on.data = today
    now = services.free_places(today, families=[family])[0]
    return render_template("students/family.html", family=family, placements=placements, today=today,
                           step_form=step_form, unavailable_form=UnavailableForm(), now=now)


@bp.route("/families/<int:family_id>/edit", methods=["GET", "POST"])
@require(WRITE)
def family_edit(family_id: int):
    family = _family(family_id)
    person = family.person
    if (refused := refuse_if_anonymized(person)) is not None:
        return refused
    form = HostFamilyForm(obj=family)
    del form.applied_on
    del form.person_choice
    if request.method == "GET":
        for name in people.PERSON_FIELDS:
            if hasattr(form, name):
                getattr(form, name).data = getattr(person, name)
    if form.validate_on_submit():
        if stale_version(family, form.version.data):
            flash("他の人が先にこの家庭の記録を更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("students.family_edit", family_id=family.id))
        ref = (form.ref.data or "").strip() or None
        if ref and db.session.scalar(sa.select(HostFamily.id).where(HostFamily.ref == ref, HostFamily.id != family.id)):
            form.ref.errors = ["この家庭番号は既に使われています。"]
        else:
            try:
                services.set_capacity(family, form.capacity.data)
            except Refused as exc:
                db.session.rollback()
                form.capacity.errors = [exc.reason]
            else:
                fields = _person_fields(form)
                fields.note = person.note
                people.update_person(person, fields)
                family.ref = ref
                _fill_family(family, form)
                db.session.commit()
                flash("保存しました。", "success")
                return redirect(url_for("students.family", family_id=family.id))
    form.version.data = family.version
    return render_template("students/family_form.html", form=form, family=family)


@bp.route("/families/<int:family_id>/steps", methods=["POST"])
@require(WRITE)
def family_step(family_id: int):
    family = _family(family_id)
    form = StepForm()
    if form.validate_on_submit():
        try:
            services.set_status(family, form.status.data, form.done_on.data, user=current_user,
                                note=(form.note.data or "").strip())
        except Refused as exc:
            db.session.rollback()
            flash(exc.reason, "error")
        else:
            db.session.commit()
            flash(f"「{FAMILY_STATUS_LABELS[form.status.data]}」を記録しました。", "success")
    else:
        flash("記録できませんでした: " + " ".join(" ".join(e) for e in form.errors.values()), "error")
    return redirect(url_for("students.family", family_id=family.id))


@bp.route("/families/<int:family_id>/unavailable", methods=["POST"])
@require(WRITE)
def unavailable_add(family_id: int):
    family = _family(family_id)
    form = UnavailableForm()
    if form.validate_on_submit():
        try:
            period, affected = services.add_unavailable(family, form.starts_on.data, form.ends_on.data,
                                                        (form.reason.data or "").strip())
        except Refused as exc:
            db.session.rollback()
            flash(exc.reason, "error")
        else:
            db.session.commit()
            flash("受入不可期間を追加しました。", "success")
            if affected:
                flash("この期間に配置されている学生がいます。別の家庭を探してください: " + "、".join(
                    p.student.person.full_name for p in affected), "warning")
    else:
        flash("追加できませんでした: " + " ".join(" ".join(e) for e in form.errors.values()), "error")
    return redirect(url_for("students.family", family_id=family.id) + "#unavailable")


@bp.route("/families/<int:family_id>/unavailable/<int:period_id>/delete", methods=["POST"])
@require(WRITE)
def unavailable_delete(family_id: int, period_id: int):
    period = db.session.get(UnavailablePeriod, period_id)
    if period is None or period.host_family_id != family_id:
        abort(404)
    db.session.delete(period)
    db.session.commit()
    flash("受入不可期間を削除しました。", "success")
    return redirect(url_for("students.family", family_id=family_id) + "#unavailable")


# --- placements ------------------------------------------------------------------------------
def _family_choices(exclude: int | None = None):
    rows = db.session.scalars(sa.select(HostFamily).join(HostFamily.person)
                              .where(HostFamily.status == REGISTERED).order_by(Person.kana_key))
    return choices([(f.id, f"{f.name}（{f.person.full_name}・定員{f.capacity}人）") for f in rows if f.id != exclude])


def _student_choices():
    rows = db.session.scalars(sa.select(Student).join(Student.person)
                              .where(Student.status == ENROLLED).order_by(Person.kana_key))
    return choices([(s.id, f"{s.person.full_name}（{s.person.full_kana}）{s.school} {s.grade}") for s in rows])


@bp.route("/placements/new", methods=["GET", "POST"])
@require(WRITE)
def placement_new():
    form = PlacementForm()
    form.student_id.choices = _student_choices()
    form.host_family_id.choices = _family_choices()
    if request.method == "GET":
        form.student_id.data = request.args.get("student_id", type=int)
        form.host_family_id.data = request.args.get("host_family_id", type=int)
        form.started_on.data = _date_arg("start")
        form.ended_on.data = _date_arg("end")
    if form.validate_on_submit():
        ref = (form.ref.data or "").strip() or None
        if ref and db.session.scalar(sa.select(Placement.id).where(Placement.ref == ref)):
            form.ref.errors = ["この配置番号は既に使われています。"]
        else:
            try:
                placement = services.place(form.student_id.data, form.host_family_id.data, form.started_on.data,
                                           form.ended_on.data, ref=ref, note=(form.note.data or "").strip())
            except Refused as exc:
                db.session.rollback()
                flash(f"配置できません: {exc.reason}", "error")
            else:
                db.session.commit()
                flash(f"{placement.student.person.full_name}さんを{placement.host_family.name}に配置しました。", "success")
                return redirect(url_for("students.student", student_id=placement.student_id))
    return render_template("students/placement_form.html", form=form)


@bp.route("/placements/<int:placement_id>")
@require(READ)
def placement(placement_id: int):
    placement = _placement(placement_id)
    end_form = EndForm(version=placement.version)
    end_form.ended_on.data = placement.ended_on or jp.today()
    move_form = MoveForm()
    move_form.host_family_id.choices = _family_choices(exclude=placement.host_family_id)
    record_event("view", entity="placements", entity_id=placement.id, person_id=placement.student.person_id)
    db.session.commit()
    return render_template("students/placement.html", placement=placement, end_form=end_form,
                           move_form=move_form, cancel_form=CancelForm(version=placement.version))


@bp.route("/placements/<int:placement_id>/end", methods=["POST"])
@require(WRITE)
def placement_end(placement_id: int):
    placement = _placement(placement_id)
    form = EndForm()
    if not form.validate_on_submit():
        flash("記録できませんでした: " + " ".join(" ".join(e) for e in form.errors.values()), "error")
    elif stale_version(placement, form.version.data):
        flash("他の人が先にこの配置を更新しました。最新の内容を確かめてください。", "error")
    else:
        try:
            services.change_period(placement, placement.started_on, form.ended_on.data,
                                   end_reason=(form.end_reason.data or "").strip())
        except Refused as exc:
            db.session.rollback()
            flash(exc.reason, "error")
        else:
            db.session.commit()
            flash(f"最終泊日を{jp.format_date_ja(form.ended_on.data)}にしました。", "success")
            return redirect(url_for("students.student", student_id=placement.student_id))
    return redirect(url_for("students.placement", placement_id=placement.id))


@bp.route("/placements/<int:placement_id>/cancel", methods=["POST"])
@require(WRITE)
def placement_cancel(placement_id: int):
    placement = _placement(placement_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash("取消の理由を書いてください。", "error")
    elif stale_version(placement, form.version.data):
        flash("他の人が先にこの配置を更新しました。最新の内容を確かめてください。", "error")
    else:
        services.cancel_placement(placement, form.reason.data.strip())
        db.session.commit()
        flash("配置を取消しました（誤登録として残し、数えません）。", "success")
        return redirect(url_for("students.student", student_id=placement.student_id))
    return redirect(url_for("students.placement", placement_id=placement.id))


@bp.route("/placements/<int:placement_id>/move", methods=["POST"])
@require(WRITE)
def placement_move(placement_id: int):
    placement = _placement(placement_id)
    form = MoveForm()
    form.host_family_id.choices = _family_choices(exclude=placement.host_family_id)
    if form.validate_on_submit():
        try:
            new = services.move(placement, form.host_family_id.data, form.first_night.data, form.ended_on.data,
                                reason=(form.reason.data or "").strip())
        except Refused as exc:
            db.session.rollback()
            flash(f"移動できません: {exc.reason}", "error")
        else:
            db.session.commit()
            flash(f"{new.student.person.full_name}さんは{jp.format_date_ja(new.started_on)}から"
                  f"{new.host_family.name}です。", "success")
            return redirect(url_for("students.student", student_id=placement.student_id))
    else:
        flash("移動できませんでした: " + " ".join(" ".join(e) for e in form.errors.values()), "error")
    return redirect(url_for("students.placement", placement_id=placement.id))


# --- the coordinator's views -----------------------------------------------------------------
def _families_named(text: str) -> sa.CompoundSelect:
    """Ids of the families whose household head people.search finds (by the start of a name or
    of a phone number), or whose number contains the text. Each way of matching reads its own
    index range: as people.search's one OR of them, SQLite read all 870,000 people and then
    every family (0.5-1 s a page at 1,000,000 cases)."""
    found = sa.union(*(sa.select(Person.id).where(Person.merged_into_id.is_(None), way)
                       for way in people.match_conditions(text)))
    return sa.union(sa.select(HostFamily.id).where(HostFamily.person_id.in_(found)),
                    sa.select(HostFamily.id).where(HostFamily.ref.contains(text, autoescape=True)))


def _calendar_families(first: date, last: date, text: str) -> Page:
    """A page of the bed calendar's families in furigana order, those the text finds if any."""
    conditions = [services.on_the_calendar(first, last)]
    if text and people.match_conditions(text):  # (else the text finds everyone: no filter)
        if sum(people.MatchingRecords(HostFamily, text).sizes) <= people.MANY_PEOPLE:
            # A few hundred families for a common name: they are sorted, where walking the
            # furigana index of everyone would read most of it to find them.
            conditions.append(HostFamily.id.in_(_families_named(text)))
            return paginate(sa.select(HostFamily).join(HostFamily.person).where(*conditions)
                            .order_by(Person.kana_key, HostFamily.id),
                            count=sa.select(HostFamily.id).where(*conditions))
        # Most of the town (the start of the phone number): sorting their families took 1-3 s;
        # each person is asked as the furigana index is walked.
        conditions.append(sa.or_(people.matches(text), HostFamily.ref.contains(text, autoescape=True)))
        return paginate(lambda window: people.in_kana_order(HostFamily, conditions, window),
                        count=sa.select(HostFamily.id).join(HostFamily.person).where(*conditions))
    return paginate(lambda window: people.in_kana_order(HostFamily, conditions, window),
                    count=services.calendar_family_ids(first, last))


@bp.route("/calendar")
@require(READ)
def calendar():
    today = jp.today()
    try:
        year, month = (int(x) for x in request.args.get("month", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    last = jp.month_end(first)
    text = (request.args.get("q") or "").strip()
    page = _calendar_families(first, last, text)
    rows = services.bed_calendar(first, last, list(page.items))
    days = [first + timedelta(days=i) for i in range(pycalendar.monthrange(first.year, first.month)[1])]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render_template("students/calendar.html", rows=rows, days=days, first=first, page=page, q=text,
                           previous=previous, following=following, weekdays=WEEKDAYS, today=today)


def _page_by_free_beds(summary: services.FreeSummary, start: date, end: date | None) -> Page:
    """A page of the registered families, most free beds first (then furigana): the summary
    gives the total, so nothing is counted."""
    per_page = current_app.config["PAGE_SIZE"]
    number = requested_page()
    offset = (number - 1) * per_page
    families = services.families_by_free_beds(summary, start, end, offset, per_page)
    total = summary.families
    return Page(items=families, page=number, per_page=per_page, has_next=offset + per_page < total,
                total=total if total <= COUNT_LIMIT else None)


@bp.route("/free")
@require(READ)
def free():
    """Every registered family's free beds, a page at a time, and the free beds in all."""
    today = jp.today()
    form = DateRangeForm(request.args)
    start = _date_arg("start", today)
    end = _date_arg("end")
    if end is not None and end < start:
        flash("最終泊日は開始日以降にしてください。", "error")
        end = None
    form.start.data, form.end.data = start, end
    summary = services.free_summary(start, end)
    sort = request.args.get("sort", "free")
    if sort == "free":
        page = _page_by_free_beds(summary, start, end)
    else:
        registered = [HostFamily.status == REGISTERED]
        page = paginate(lambda window: people.in_kana_order(HostFamily, registered, window),
                        count=sa.select(HostFamily.id).where(*registered))
    rows = services.free_places(start, end, families=page.items)
    occupants = {}
    for p in db.session.scalars(sa.select(Placement).where(
            Placement.host_family_id.in_([family.id for family in page.items]), Placement.status != CANCELLED,
            Placement.started_on <= start, sa.or_(Placement.ended_on.is_(None), Placement.ended_on >= start))
            .order_by(Placement.started_on, Placement.id)):
        occupants.setdefault(p.host_family_id, []).append(p)
    return render_template("students/free.html", rows=rows, form=form, start=start, end=end, page=page,
                           occupants=occupants, sort=sort, total=summary.total)


@bp.route("/unplaced")
@require(READ)
def unplaced():
    today = jp.today()
    on = _date_arg("on", today)
    page, gaps = _gaps_page(on)
    upcoming = sorted({u.starts_on for u, _p in services.upcoming_conflicts(today)} | {next_term_start(today)})
    return render_template("students/unplaced.html", gaps=gaps, page=page, on=on, upcoming=upcoming, today=today)
