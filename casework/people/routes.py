from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework import jp
from casework.audit.trail import record_event
from casework.auth.access import require
from casework.extensions import db
from casework.forms import stale_version
from casework.paging import paginate
from casework.people import bp, services
from casework.people.forms import SORTS, MergeForm, PeopleSearchForm, PersonForm
from casework.people.guards import refuse_if_anonymized
from casework.people.models import Person
from casework.people.programs import readable_programs
from casework.web import record_links

# What the list of people shows of each (paging.paginate(..., columns=LIST_COLUMNS)).
LIST_COLUMNS = (Person.id, Person.full_name, Person.full_kana, Person.birth_date, Person.phone, Person.address)


class ListRow(NamedTuple):
    """One line of the list of people with every cell ready to print: the link builder and the date
    filter called from the template, and a row's attributes read by name there, cost Jinja more than
    drawing the 50 rows."""
    url: str
    full_name: str
    full_kana: str
    birth_date: str
    phone: str
    address: str


def _list_rows(items) -> list[ListRow]:
    person_url = record_links("people.show", "person_id")
    date_ja = jp.format_date_ja
    # Unpacked in the order of LIST_COLUMNS: a row's attributes by name cost 0.3 µs each.
    return [ListRow(person_url(id_), full_name, full_kana, date_ja(birth_date), phone, address)
            for id_, full_name, full_kana, birth_date, phone, address in items]


def _survivor(person: Person) -> Person:
    seen = set()
    while person.merged_into_id is not None and person.id not in seen:
        seen.add(person.id)
        person = db.session.get(Person, person.merged_into_id)
    return person


def _visible_person(person_id: int) -> Person:
    """The live person, visible to the user; 404 for a missing or hidden one."""
    person = db.session.get(Person, person_id)
    if person is None or person.merged_into_id is not None or not services.can_see(current_user, person):
        abort(404)
    return person


@bp.route("/")
@require("people.read")
def index():
    form = PeopleSearchForm(request.args)
    q = (form.q.data or "").strip()[:100]
    sort = form.sort.data if form.sort.data in SORTS else "kana"
    search = services.PersonSearch(q, current_user, sort)
    page = paginate(search.people, count=search.ids, columns=LIST_COLUMNS, params=search.params)
    return render_template("people/index.html", form=form, page=page, rows=_list_rows(page.items), q=q)


@bp.route("/<int:person_id>")
@require("people.read")
def show(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    if person.merged_into_id is not None:
        survivor = _survivor(person)
        if not services.can_see(current_user, survivor):
            abort(404)
        flash(f"この人（#{person.id}）は #{survivor.id} に統合されています。", "warning")
        return redirect(url_for("people.show", person_id=survivor.id))
    if not services.can_see(current_user, person):
        abort(404)
    programs = [(program, program.cases_of(person.id)) for program in readable_programs(current_user)]
    merged = db.session.scalars(sa.select(Person).where(Person.merged_into_id == person.id)
                                .order_by(Person.id)).all()
    record_event("view", entity="people", entity_id=person.id, person_id=person.id)
    db.session.commit()
    return render_template("people/show.html", person=person, programs=programs, merged=merged)


@bp.route("/new", methods=["GET", "POST"])
@require("people.write")
def new():
    form = PersonForm()
    duplicates = []
    if form.validate_on_submit():
        fields = form.fields()
        duplicates = services.possible_duplicates(fields.family_name_kana, fields.given_name_kana,
                                                  fields.birth_date, fields.phone)
        if not duplicates or form.confirm_new.data:
            person = services.create_person(fields)
            db.session.commit()
            flash(f"{person.full_name}さんを登録しました。", "success")
            return redirect(url_for("people.show", person_id=person.id))
        flash("同じ人が既に登録されているかもしれません。確認してください。", "warning")
    return render_template("people/form.html", form=form, person=None, duplicates=duplicates)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@require("people.write")
def edit(person_id: int):
    person = _visible_person(person_id)
    if (refused := refuse_if_anonymized(person)) is not None:
        return refused
    form = PersonForm(obj=person)
    duplicates = []
    if form.validate_on_submit():
        if stale_version(person, form.version.data):
            flash("他の人が先にこの対象者を更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("people.edit", person_id=person.id))
        fields = form.fields()
        duplicates = services.possible_duplicates(fields.family_name_kana, fields.given_name_kana,
                                                  fields.birth_date, fields.phone, exclude_id=person.id)
        if not duplicates or form.confirm_new.data:
            services.update_person(person, fields)
            db.session.commit()
            flash(f"{person.full_name}さんの情報を更新しました。", "success")
            return redirect(url_for("people.show", person_id=person.id))
        flash("同じ人が別に登録されているかもしれません。統合するか、別人として保存してください。", "warning")
    form.version.data = person.version
    return render_template("people/form.html", form=form, person=person, duplicates=duplicates)


@bp.route("/<int:person_id>/merge", methods=["GET", "POST"])
@require("people.write")
def merge(person_id: int):
    """Merge another person INTO this one: this person stays, the other is marked merged."""
    survivor = _visible_person(person_id)
    if (refused := refuse_if_anonymized(survivor)) is not None:
        return refused
    form = MergeForm()
    if form.validate_on_submit():
        try:
            other = _visible_person(int(form.other_id.data))
        except ValueError:
            abort(404)
        if (refused := refuse_if_anonymized(other)) is not None:
            return refused
        try:
            moved = services.merge(survivor, other)
        except ValueError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("people.show", person_id=survivor.id))
        db.session.commit()
        count = sum(moved.values())
        flash(f"#{other.id} を {survivor.full_name}さん（#{survivor.id}）に統合しました（移した記録 {count}件）。",
              "success")
        return redirect(url_for("people.show", person_id=survivor.id))
    other = None
    other_id = request.args.get("other", type=int)
    if other_id is not None:
        other = _visible_person(other_id)
        if other.id == survivor.id:
            abort(404)
        if (refused := refuse_if_anonymized(other)) is not None:
            return refused
        form.other_id.data = other.id
        record_event("view", entity="people", entity_id=other.id, person_id=other.id)
        db.session.commit()
        return render_template("people/merge.html", survivor=survivor, other=other, form=form)
    q = request.args.get("q", "").strip()[:100]
    candidates = services.possible_duplicates(survivor.family_name_kana, survivor.given_name_kana,
                                              survivor.birth_date, survivor.phone, exclude_id=survivor.id)
    found = []
    if q:
        search = services.PersonSearch(q, current_user)
        found = db.session.scalars(search.people(51).where(Person.id != survivor.id).limit(50),
                                   search.params).all()
    return render_template("people/merge_pick.html", survivor=survivor, candidates=candidates,
                           found=found, q=q)
