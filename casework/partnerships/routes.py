from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework import jp
from casework.audit.trail import record_event
from casework.auth.access import require
from casework.extensions import db
from casework.forms import choices, stale_version
from casework.paging import paginate
from casework.partnerships import bp
from casework.partnerships.forms import (
    ActivityForm,
    ContactForm,
    DeleteForm,
    OrganizationForm,
    OutcomeForm,
    PartnershipForm,
    StatusForm,
)
from casework.partnerships.models import (
    ACTIVITY_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    OUTCOME_UNITS,
    STATUS_BADGES,
    STATUS_LABELS,
    TRANSITIONS,
    Activity,
    Organization,
    OrganizationContact,
    Outcome,
    Partnership,
    place_text,
)
from casework.partnerships.services import (
    LIST_COLUMNS,
    PREFECTURES,
    PartnershipFilters,
    ServiceError,
    change_status,
    organizations_by_id,
    organizations_for_form,
    outcome_summary,
    partnerships_of,
    pipeline_query,
    pipeline_rows,
    save_organization,
    save_partnership,
    search_organizations,
    search_partnerships,
    staff_users,
)
from casework.web import record_links

READ, WRITE = "partnerships.read", "partnerships.write"
STALE = "他の人が先にこの記録を更新しました。最新の内容を表示しています。もう一度入力してください。"


def _paginate(query):
    return paginate(query)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _staff_choices(selected: int | None = None):
    users = staff_users()
    pairs = [(0, "（未定）")] + [(u.id, u.display_name) for u in users]
    if selected and selected not in {u.id for u in users}:
        from casework.auth.models import User

        user = db.session.get(User, selected)
        if user is not None:
            pairs.append((user.id, f"{user.display_name}（利用停止）"))
    return choices(pairs)


def _fiscal_years() -> list[int]:
    # Two statements: SQLite reads a lone MIN or MAX from the index end, both together by a scan.
    first = db.session.scalar(sa.select(sa.func.min(Partnership.agreed_on)))
    last = db.session.scalar(sa.select(sa.func.max(Partnership.agreed_on)))
    newest = max(jp.fiscal_year_of(last) if last else 0, jp.fiscal_year_of(jp.today()))
    oldest = jp.fiscal_year_of(first) if first else newest
    return list(range(newest, oldest - 1, -1))


class ListRow(NamedTuple):
    """One line of the partnership list with every cell ready to print. Called from the template,
    the link builder, the labels and the dates cost Jinja more than drawing the 50 rows."""
    cancelled: bool
    url: str
    name: str
    local: bool
    place: str
    kind: str
    agreed_on: str
    badge: str
    status: str
    ref: str


def _list_rows(items) -> list[ListRow]:
    partnership_url = record_links("partnerships.partnership_detail", "partnership_id")
    date_ja = jp.format_date_ja
    # Unpacked in the order of services.LIST_COLUMNS: a row's attributes by name cost 0.3 µs each.
    return [ListRow(status == "cancelled", partnership_url(id_), name, not outside_region,
                    place_text(prefecture, municipality), KIND_LABELS.get(kind, kind), date_ja(agreed_on),
                    STATUS_BADGES.get(status, ""), STATUS_LABELS.get(status, status), ref or "")
            for id_, ref, kind, status, agreed_on, name, outside_region, prefecture, municipality in items]


# --- Partnerships ----------------------------------------------------------------------------

@bp.route("/")
@require(READ)
def partnership_list():
    filters = PartnershipFilters(
        q=request.args.get("q", "").strip()[:100], kind=request.args.get("kind", ""),
        status=request.args.get("status", ""), prefecture=request.args.get("prefecture", ""),
        fiscal_year=_int_arg("fy"), sort=request.args.get("sort", "agreed_desc"))
    page = paginate(search_partnerships(filters), columns=LIST_COLUMNS)
    return render_template("partnerships/list.html", page=page, rows=_list_rows(page.items), filters=filters,
                           kinds=KIND_LABELS, statuses=STATUS_LABELS, prefectures=PREFECTURES,
                           fiscal_years=_fiscal_years())


def _searching(form: PartnershipForm) -> bool:
    """A name typed in a search box since the page was drawn: the form was sent (Enter in the
    box) to find organizations, not to be saved."""
    return any((form[name].data or "").strip() != (form[f"{name}_shown"].data or "").strip()
               for name in ("organization_q", "partner_q"))


def _offer_organizations(form: PartnershipForm, p: Partnership | None) -> dict[str, int | None]:
    """The organizations the form's lists offer: the ones chosen (saved, sent, or given in the
    link) and up to FORM_CHOICES matching each search box. A list of every organization was
    3.4 MB at 1,000,000 cases (33,000 organizations: 1.7 s a page); the lists stay bounded, and
    a choice sent is offered (so accepted) as long as the organization exists."""
    chosen = organizations_by_id([form.organization_id.data] if form.organization_id.data else [])
    found = [o for o in organizations_for_form(form.organization_q.data or "") if o not in chosen]
    if not chosen and len(found) == 1:
        form.organization_id.data = found[0].id
    form.organization_id.choices = choices([(0, "（選択してください）")] + [
        (o.id, f"{o.name}（{o.region_label}{'・' + o.prefecture if o.prefecture else ''}）") for o in chosen + found])
    partners = organizations_by_id(form.partner_ids.data or [], local=True)
    found_partners = [o for o in organizations_for_form(form.partner_q.data or "", local=True) if o not in partners]
    form.partner_ids.choices = choices((o.id, o.name) for o in partners + found_partners)
    form.staff_id.choices = _staff_choices(p.staff_id if p else None)
    for name in ("organization_q", "partner_q"):
        form[f"{name}_shown"].data = (form[name].data or "").strip()
    # How many each search found (None: nothing searched), for the page to say so.
    return {"organization_q": len(found) if form.organization_q_shown.data else None,
            "partner_q": len(found_partners) if form.partner_q_shown.data else None}


def _partnership_values(form: PartnershipForm) -> dict:
    return {
        "organization_id": form.organization_id.data, "kind": form.kind.data,
        "agreed_on": form.agreed_on.data, "ended_on": form.ended_on.data,
        "resource": form.resource.data or "", "staff_id": form.staff_id.data or None,
        "document_refs": form.document_refs.data or "", "ref": form.ref.data or "",
        "note": form.note.data or "",
    }


def _save_partnership(form, p):
    if not form.organization_id.data or db.session.get(Organization, form.organization_id.data) is None:
        form.organization_id.errors.append("連携先を選んでください")
        return None
    values = _partnership_values(form)
    if p is None:
        values["status"] = form.status.data
    try:
        return save_partnership(p, partner_ids=form.partner_ids.data or [], **values)
    except ServiceError as exc:
        db.session.rollback()
        getattr(form, exc.field).errors.append(exc.message)
        return None


@bp.route("/new", methods=["GET", "POST"])
@require(WRITE)
def partnership_new():
    form = PartnershipForm()
    if request.method == "GET":
        form.organization_id.data = _int_arg("organization_id") or 0
        form.staff_id.data = current_user.id
    searching = _searching(form)
    found = _offer_organizations(form, None)
    if not searching and form.validate_on_submit():
        p = _save_partnership(form, None)
        if p is not None:
            db.session.commit()
            flash(f"連携「{p.title}」を登録しました。", "success")
            return redirect(url_for("partnerships.partnership_detail", partnership_id=p.id))
    return render_template("partnerships/form.html", form=form, partnership=None, found=found)


def _partnership_or_404(partnership_id: int) -> Partnership:
    return db.session.get(Partnership, partnership_id) or abort(404)


@bp.route("/<int:partnership_id>")
@require(READ)
def partnership_detail(partnership_id: int):
    p = _partnership_or_404(partnership_id)
    outcome_form = OutcomeForm()
    outcome_form.occurred_on.data = jp.today()
    return render_template("partnerships/detail.html", p=p, outcome_form=outcome_form,
                           transitions=TRANSITIONS.get(p.status, ()), statuses=STATUS_LABELS,
                           summary=outcome_summary(p.id), outcome_labels=OUTCOME_LABELS,
                           units=OUTCOME_UNITS, delete_form=DeleteForm())


@bp.route("/<int:partnership_id>/edit", methods=["GET", "POST"])
@require(WRITE)
def partnership_edit(partnership_id: int):
    p = _partnership_or_404(partnership_id)
    form = PartnershipForm(obj=p)
    del form.status  # changed only through the workflow buttons
    if request.method == "GET":
        form.partner_ids.data = [link.organization_id for link in p.partner_links]
        form.staff_id.data = p.staff_id or 0
        form.ref.data = p.ref or ""
    searching = _searching(form)
    found = _offer_organizations(form, p)
    if not searching and form.validate_on_submit():
        if stale_version(p, form.version.data):
            flash(STALE, "error")
            return redirect(url_for("partnerships.partnership_edit", partnership_id=p.id))
        if _save_partnership(form, p) is not None:
            db.session.commit()
            flash(f"連携「{p.title}」を更新しました。", "success")
            return redirect(url_for("partnerships.partnership_detail", partnership_id=p.id))
    form.version.data = p.version
    return render_template("partnerships/form.html", form=form, partnership=p, found=found)


@bp.route("/<int:partnership_id>/status", methods=["POST"])
@require(WRITE)
def partnership_status(partnership_id: int):
    p = _partnership_or_404(partnership_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    if stale_version(p, form.version.data):
        flash(STALE, "error")
    else:
        try:
            change_status(p, form.status.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(f"状態を「{p.status_label}」にしました。", "success")
    return redirect(url_for("partnerships.partnership_detail", partnership_id=p.id))


@bp.route("/<int:partnership_id>/outcomes", methods=["POST"])
@require(WRITE)
def outcome_add(partnership_id: int):
    p = _partnership_or_404(partnership_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        db.session.add(Outcome(partnership_id=p.id, occurred_on=form.occurred_on.data, kind=form.kind.data,
                               amount=form.amount.data, description=(form.description.data or "").strip()))
        db.session.commit()
        flash(f"成果（{OUTCOME_LABELS[form.kind.data]} {form.amount.data:,}{OUTCOME_UNITS[form.kind.data]}）を記録しました。",
              "success")
        return redirect(url_for("partnerships.partnership_detail", partnership_id=p.id))
    return render_template("partnerships/detail.html", p=p, outcome_form=form,
                           transitions=TRANSITIONS.get(p.status, ()), statuses=STATUS_LABELS,
                           summary=outcome_summary(p.id), outcome_labels=OUTCOME_LABELS,
                           units=OUTCOME_UNITS, delete_form=DeleteForm()), 422


@bp.route("/<int:partnership_id>/outcomes/<int:outcome_id>/delete", methods=["POST"])
@require(WRITE)
def outcome_delete(partnership_id: int, outcome_id: int):
    outcome = db.session.get(Outcome, outcome_id)
    if outcome is None or outcome.partnership_id != partnership_id:
        abort(404)
    if DeleteForm().validate_on_submit():
        db.session.delete(outcome)
        db.session.commit()
        flash("成果の記録を削除しました。", "success")
    return redirect(url_for("partnerships.partnership_detail", partnership_id=partnership_id))


@bp.route("/outcomes")
@require(READ)
def outcomes():
    return render_template("partnerships/outcomes.html", summary=outcome_summary(),
                           outcome_labels=OUTCOME_LABELS, units=OUTCOME_UNITS)


@bp.route("/pipeline")
@require(READ)
def pipeline():
    days = _int_arg("days") or 365
    days = min(days, 3650)
    q = request.args.get("q", "").strip()[:100]
    prefecture = request.args.get("prefecture", "")
    sort = request.args.get("sort", "last_contact")
    page = _paginate(pipeline_query(days=days, q=q, prefecture=prefecture, sort=sort))
    return render_template("partnerships/pipeline.html", page=page, rows=pipeline_rows(list(page.items)),
                           days=days, q=q, prefecture=prefecture, sort=sort, prefectures=PREFECTURES)


# --- Organizations ---------------------------------------------------------------------------

@bp.route("/organizations")
@require(READ)
def organization_list():
    q = request.args.get("q", "").strip()[:100]
    region = request.args.get("region", "")
    prefecture = request.args.get("prefecture", "")
    sort = request.args.get("sort", "name")
    page = _paginate(search_organizations(q, region, prefecture, sort))
    return render_template("partnerships/organizations.html", page=page, q=q, region=region,
                           prefecture=prefecture, sort=sort, prefectures=PREFECTURES)


def _organization_values(form: OrganizationForm) -> dict:
    return {
        "name": form.name.data, "kana": form.kana.data or "",
        "corporate_number": form.corporate_number.data or "",
        "outside_region": form.region.data == "outside", "prefecture": form.prefecture.data or "",
        "municipality": form.municipality.data or "", "industry": form.industry.data or "",
        "note": form.note.data or "",
    }


def _save_organization(form, org):
    try:
        return save_organization(org, **_organization_values(form))
    except ServiceError as exc:
        db.session.rollback()
        getattr(form, exc.field).errors.append(exc.message)
        return None


@bp.route("/organizations/new", methods=["GET", "POST"])
@require(WRITE)
def organization_new():
    form = OrganizationForm()
    if form.validate_on_submit():
        org = _save_organization(form, None)
        if org is not None:
            db.session.commit()
            flash(f"「{org.name}」を登録しました。", "success")
            return redirect(url_for("partnerships.organization_detail", organization_id=org.id))
    return render_template("partnerships/organization_form.html", form=form, org=None)


def _organization_or_404(organization_id: int) -> Organization:
    return db.session.get(Organization, organization_id) or abort(404)


def _render_organization(org: Organization, contact_form=None, activity_form=None, status=200):
    own, as_partner = partnerships_of(org)
    contact_form = contact_form or ContactForm(formdata=None)
    if activity_form is None:
        activity_form = ActivityForm(formdata=None)
        activity_form.occurred_on.data = jp.today()
        activity_form.staff_id.data = current_user.id
    activity_form.staff_id.choices = _staff_choices()
    # Contacts are personal data of the organization's staff: the view is recorded.
    record_event("view", entity="organizations", entity_id=org.id)
    db.session.commit()
    return render_template("partnerships/organization.html", org=org, own=own, as_partner=as_partner,
                           contact_form=contact_form, activity_form=activity_form,
                           delete_form=DeleteForm(), activity_labels=ACTIVITY_LABELS), status


@bp.route("/organizations/<int:organization_id>")
@require(READ)
def organization_detail(organization_id: int):
    return _render_organization(_organization_or_404(organization_id))


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@require(WRITE)
def organization_edit(organization_id: int):
    org = _organization_or_404(organization_id)
    form = OrganizationForm(obj=org)
    if request.method == "GET":
        form.region.data = "outside" if org.outside_region else "local"
        form.corporate_number.data = org.corporate_number or ""
    if form.validate_on_submit():
        if stale_version(org, form.version.data):
            flash(STALE, "error")
            return redirect(url_for("partnerships.organization_edit", organization_id=org.id))
        if _save_organization(form, org) is not None:
            db.session.commit()
            flash(f"「{org.name}」を更新しました。", "success")
            return redirect(url_for("partnerships.organization_detail", organization_id=org.id))
    form.version.data = org.version
    return render_template("partnerships/organization_form.html", form=form, org=org)


@bp.route("/organizations/<int:organization_id>/contacts", methods=["POST"])
@require(WRITE)
def contact_add(organization_id: int):
    org = _organization_or_404(organization_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _render_organization(org, contact_form=form, status=422)
    db.session.add(OrganizationContact(
        organization_id=org.id, name=form.name.data.strip(), department=(form.department.data or "").strip(),
        phone=(form.phone.data or "").strip(), email=(form.email.data or "").strip()))
    db.session.commit()
    flash(f"担当者「{form.name.data.strip()}」を追加しました。", "success")
    return redirect(url_for("partnerships.organization_detail", organization_id=org.id))


@bp.route("/organizations/<int:organization_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@require(WRITE)
def contact_delete(organization_id: int, contact_id: int):
    contact = db.session.get(OrganizationContact, contact_id)
    if contact is None or contact.organization_id != organization_id:
        abort(404)
    if DeleteForm().validate_on_submit():
        db.session.delete(contact)
        db.session.commit()
        flash("担当者を削除しました。", "success")
    return redirect(url_for("partnerships.organization_detail", organization_id=organization_id))


@bp.route("/organizations/<int:organization_id>/activities", methods=["POST"])
@require(WRITE)
def activity_add(organization_id: int):
    org = _organization_or_404(organization_id)
    form = ActivityForm()
    form.staff_id.choices = _staff_choices()
    if not form.validate_on_submit():
        return _render_organization(org, activity_form=form, status=422)
    db.session.add(Activity(
        organization_id=org.id, occurred_on=form.occurred_on.data, kind=form.kind.data,
        title=form.title.data.strip(), staff_id=form.staff_id.data or None,
        note=form.note.data or "", next_step=(form.next_step.data or "").strip()))
    db.session.commit()
    flash(f"活動「{form.title.data.strip()}」を記録しました。", "success")
    return redirect(url_for("partnerships.organization_detail", organization_id=org.id))


@bp.route("/organizations/<int:organization_id>/activities/<int:activity_id>/delete", methods=["POST"])
@require(WRITE)
def activity_delete(organization_id: int, activity_id: int):
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.organization_id != organization_id:
        abort(404)
    if DeleteForm().validate_on_submit():
        db.session.delete(activity)
        db.session.commit()
        flash("活動の記録を削除しました。", "success")
    return redirect(url_for("partnerships.organization_detail", organization_id=organization_id))

