"""Writes and queries of the partnerships area. Writes flush, never commit."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from casework import jp
from casework.auth.models import User
from casework.auth.permissions import Role, role_can
from casework.extensions import db
from casework.partnerships.models import (
    AGREED_STATUSES,
    KIND_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    Activity,
    Organization,
    Outcome,
    Partnership,
    PartnershipPartner,
    normalize_corporate_number,
    organization_key,
)

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)
HOME_MUNICIPALITY = "留萌市"
_PREFECTURE_BY_KEY = {jp.fold(p): p for p in PREFECTURES} | {
    jp.fold(p[:-1]): p for p in PREFECTURES if p != "北海道"}


def normalize_prefecture(text: str | None) -> str:
    """The official name of a prefecture written with or without 都/府/県 ("" for blank)."""
    key = jp.fold(text)
    if not key:
        return ""
    if key not in _PREFECTURE_BY_KEY:
        raise ValueError(f"「{(text or '')[:20]}」は都道府県名ではありません（例: 北海道、東京都、大阪府）")
    return _PREFECTURE_BY_KEY[key]


def is_home_municipality(municipality: str | None) -> bool:
    return jp.fold(municipality) == jp.fold(HOME_MUNICIPALITY)


class ServiceError(ValueError):
    """A rule a write breaks; `field` names the form field (or import column) concerned."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- Organizations ---------------------------------------------------------------------------

def corporate_number_problem(text: str | None) -> str | None:
    """A Japanese reason when the text is not a valid 法人番号, None when it is (or is blank)."""
    digits = normalize_corporate_number(text)
    if not digits:
        return None
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        return f"法人番号は13桁の数字です（「{digits[:20]}」）"
    if not jp.is_valid_corporate_number(digits):
        return "法人番号の検査用数字（先頭の1桁）が合いません。番号を確かめてください"
    return None


def find_organization(name: str) -> Organization | None:
    return db.session.scalar(sa.select(Organization).where(Organization.name_key == organization_key(name)))


def _check_organization(org: Organization) -> None:
    key = organization_key(org.name)
    if not key:
        raise ServiceError("name", "名称を入力してください")
    other = db.session.scalar(sa.select(Organization).where(
        Organization.name_key == key, Organization.id != (org.id or 0)))
    if other is not None:
        raise ServiceError("name", f"同じ名称の組織「{other.name}」が既に登録されています")
    if org.corporate_number:
        other = db.session.scalar(sa.select(Organization).where(
            Organization.corporate_number == org.corporate_number, Organization.id != (org.id or 0)))
        if other is not None:
            raise ServiceError("corporate_number", f"この法人番号は「{other.name}」として既に登録されています")


def save_organization(org: Organization | None, **values) -> Organization:
    """Create (org=None) or update an organization after checking its name and 法人番号."""
    if "corporate_number" in values:
        problem = corporate_number_problem(values["corporate_number"])
        if problem:
            raise ServiceError("corporate_number", problem)
        values["corporate_number"] = normalize_corporate_number(values["corporate_number"]) or None
    if org is None:
        org = Organization()
        db.session.add(org)
    for name, value in values.items():
        setattr(org, name, value.strip() if isinstance(value, str) else value)
    with db.session.no_autoflush:
        _check_organization(org)
    org.refresh_keys()
    db.session.flush()
    return org


def find_or_create_organization(name: str, prefecture: str = "", municipality: str = "") -> tuple[Organization, bool]:
    """The organization with this folded name, or a new one: outside the region unless its
    municipality is 留萌市. Blank places of a known organization are filled in."""
    org = find_organization(name)
    if org is not None:
        if prefecture and not org.prefecture:
            org.prefecture = prefecture
        if municipality and not org.municipality:
            org.municipality = municipality
        return org, False
    org = save_organization(None, name=name, prefecture=prefecture, municipality=municipality,
                            outside_region=not is_home_municipality(municipality))
    return org, True


# How many organizations a form offers for a name searched (the partnership form).
FORM_CHOICES = 20


def organizations_for_form(text: str, *, local: bool = False) -> list[Organization]:
    """At most FORM_CHOICES organizations matching the text as the organization list's search
    does (search_organizations), outside the region first; only local ones with `local`. None
    for a blank text."""
    if not organization_key(text):
        return []
    if local:
        query = search_organizations(text, region="local")
    else:
        query = search_organizations(text).order_by(None).order_by(
            Organization.outside_region.desc(), Organization.kana_key, Organization.name_key, Organization.id)
    return list(db.session.scalars(query.limit(FORM_CHOICES)))


def organizations_by_id(ids, *, local: bool = False) -> list[Organization]:
    """These organizations (only the local ones with `local`), outside the region first."""
    if not ids:
        return []
    query = sa.select(Organization).where(Organization.id.in_(ids))
    if local:
        query = query.where(Organization.outside_region.is_(False))
    return list(db.session.scalars(query.order_by(
        Organization.outside_region.desc(), Organization.kana_key, Organization.name_key, Organization.id)))


def staff_users() -> list[User]:
    """Accounts that may be in charge: active users who may write partnerships."""
    roles = [r.value for r in Role if role_can(r.value, "partnerships.write")]
    return list(db.session.scalars(sa.select(User).where(
        User.active.is_(True), User.role.in_(roles)).order_by(User.display_name)))


def search_organizations(q: str = "", region: str = "", prefecture: str = "", sort: str = "name") -> sa.Select:
    query = sa.select(Organization)
    key = organization_key(q)
    if key:
        query = query.where(sa.or_(Organization.name_key.contains(key, autoescape=True),
                                   Organization.kana_key.contains(jp.fold(q), autoescape=True)))
    if region in ("outside", "local"):
        query = query.where(Organization.outside_region.is_(region == "outside"))
    if prefecture:
        query = query.where(Organization.prefecture == prefecture)
    order = {
        "name": (Organization.kana_key, Organization.name_key),
        "new": (Organization.id.desc(),),
        "prefecture": (Organization.prefecture, Organization.kana_key, Organization.name_key),
    }.get(sort, (Organization.kana_key, Organization.name_key))
    return query.order_by(*order, Organization.id)


# --- Partnerships ----------------------------------------------------------------------------

def date_problems(status: str, agreed_on: date | None, ended_on: date | None) -> list[tuple[str, str]]:
    problems = []
    if status in AGREED_STATUSES and agreed_on is None:
        problems.append(("agreed_on", f"「{STATUS_LABELS[status]}」の連携には協定日が必要です"))
    if agreed_on and ended_on and ended_on < agreed_on:
        problems.append(("ended_on", "終了日が協定日より前です"))
    return problems


def check_partnership(p: Partnership) -> None:
    for field, message in date_problems(p.status, p.agreed_on, p.ended_on):
        raise ServiceError(field, message)
    if p.ref:
        other = db.session.scalar(sa.select(Partnership).where(
            Partnership.ref == p.ref, Partnership.id != (p.id or 0)))
        if other is not None:
            raise ServiceError("ref", f"整理番号「{p.ref}」は既に使われています")


def set_partners(p: Partnership, organization_ids) -> None:
    """Local partners as given; the partnership's own organization is never its own partner."""
    wanted = {int(i) for i in organization_ids if int(i) != p.organization_id}
    for link in list(p.partner_links):
        if link.organization_id not in wanted:
            p.partner_links.remove(link)
    have = {link.organization_id for link in p.partner_links}
    for org_id in sorted(wanted - have):
        p.partner_links.append(PartnershipPartner(organization_id=org_id))


def save_partnership(p: Partnership | None, *, partner_ids=(), **values) -> Partnership:
    if p is None:
        p = Partnership()
        db.session.add(p)
    for name, value in values.items():
        setattr(p, name, value.strip() if isinstance(value, str) else value)
    p.ref = p.ref or None
    with db.session.no_autoflush:
        check_partnership(p)
    set_partners(p, partner_ids)
    db.session.flush()
    return p


def change_status(p: Partnership, new_status: str) -> None:
    if new_status not in TRANSITIONS.get(p.status, ()):
        raise ServiceError("status", f"「{p.status_label}」から「{STATUS_LABELS.get(new_status, new_status)}」には変更できません")
    for field, message in date_problems(new_status, p.agreed_on, p.ended_on):
        raise ServiceError(field, message + "（先に編集画面で入力してください）")
    p.status = new_status
    db.session.flush()


@dataclass
class PartnershipFilters:
    q: str = ""
    kind: str = ""
    status: str = ""
    prefecture: str = ""
    fiscal_year: int | None = None
    sort: str = "agreed_desc"


# What the partnership list shows of each partnership and its organization (the list's query
# joins it): paging.paginate(search_partnerships(...), columns=LIST_COLUMNS).
LIST_COLUMNS = (Partnership.id, Partnership.ref, Partnership.kind, Partnership.status, Partnership.agreed_on,
                Organization.name, Organization.outside_region, Organization.prefecture, Organization.municipality)


def search_partnerships(f: PartnershipFilters) -> sa.Select:
    # Joined to the organization: the list shows its columns (LIST_COLUMNS), no query per row.
    query = sa.select(Partnership).join(Partnership.organization)
    if f.q:
        key = organization_key(f.q)
        query = query.where(sa.or_(Organization.name_key.contains(key, autoescape=True),
                                   Organization.kana_key.contains(jp.fold(f.q), autoescape=True),
                                   Partnership.ref == f.q.strip()))
    if f.kind in KIND_LABELS:
        query = query.where(Partnership.kind == f.kind)
    if f.status in STATUS_LABELS:
        query = query.where(Partnership.status == f.status)
    if f.prefecture:
        query = query.where(Organization.prefecture == f.prefecture)
    if f.fiscal_year:
        first, last = jp.fiscal_year_bounds(f.fiscal_year)
        query = query.where(Partnership.agreed_on.between(first, last))
    order = {
        "agreed_desc": (Partnership.agreed_on.desc().nulls_last(),),
        "agreed_asc": (Partnership.agreed_on.asc().nulls_last(),),
        "organization": (Organization.kana_key, Organization.name_key),
        "status": (Partnership.status,),
    }.get(f.sort, (Partnership.agreed_on.desc().nulls_last(),))
    return query.order_by(*order, Partnership.id.desc())


# --- Outcomes per fiscal year (aggregate SQL) --------------------------------------------------

def fiscal_year_expr(column):
    """The 年度 of a date column in SQL: the year, minus one for January to March."""
    return (sa.extract("year", column)
            - sa.case((sa.extract("month", column) < 4, 1), else_=0)).cast(sa.Integer)


def outcome_summary(partnership_id: int | None = None) -> dict[int, dict[str, int]]:
    """{fiscal year: {outcome kind: total}} newest year first, computed in one GROUP BY.
    Outcomes of cancelled partnerships never count."""
    fy = fiscal_year_expr(Outcome.occurred_on).label("fy")
    query = (sa.select(fy, Outcome.kind, sa.func.sum(Outcome.amount))
             .join(Outcome.partnership)
             .where(Partnership.status != "cancelled")
             .group_by(fy, Outcome.kind)
             .order_by(fy.desc()))
    if partnership_id is not None:
        query = query.where(Outcome.partnership_id == partnership_id)
    summary: dict[int, dict[str, int]] = {}
    for year, kind, total in db.session.execute(query):
        summary.setdefault(int(year), dict.fromkeys(OUTCOME_LABELS, 0))[kind] = int(total or 0)
    return summary


# --- The pipeline ----------------------------------------------------------------------------

def pipeline_query(days: int = 365, q: str = "", prefecture: str = "", sort: str = "last_contact",
                   today: date | None = None) -> sa.Select:
    """Outside organizations still in talks: contacted within `days` days with no partnership
    agreed yet, or with a partnership in 協議中."""
    cutoff = (today or jp.today()) - timedelta(days=days)
    last_contact = (sa.select(sa.func.max(Activity.occurred_on))
                    .where(Activity.organization_id == Organization.id)
                    .correlate(Organization).scalar_subquery())
    agreed = sa.exists().where(Partnership.organization_id == Organization.id,
                               Partnership.status.in_(AGREED_STATUSES))
    negotiating = sa.exists().where(Partnership.organization_id == Organization.id,
                                    Partnership.status == "negotiating")
    recent = sa.exists().where(Activity.organization_id == Organization.id,
                               Activity.occurred_on >= cutoff)
    query = sa.select(Organization).where(
        Organization.outside_region.is_(True),
        sa.or_(sa.and_(recent, ~agreed), negotiating))
    if q:
        query = query.where(sa.or_(Organization.name_key.contains(organization_key(q), autoescape=True),
                                   Organization.kana_key.contains(jp.fold(q), autoescape=True)))
    if prefecture:
        query = query.where(Organization.prefecture == prefecture)
    if sort == "name":
        return query.order_by(Organization.kana_key, Organization.name_key, Organization.id)
    return query.order_by(last_contact.desc().nulls_last(), Organization.id)


@dataclass
class PipelineRow:
    organization: Organization
    last_contact: Activity | None
    negotiating: list[Partnership]


def pipeline_rows(organizations: list[Organization]) -> list[PipelineRow]:
    """Last contact (with its next step) and open talks of each organization on a page."""
    ids = [o.id for o in organizations]
    if not ids:
        return []
    ranked = (sa.select(Activity.id, sa.func.row_number().over(
        partition_by=Activity.organization_id,
        order_by=(Activity.occurred_on.desc(), Activity.id.desc())).label("n"))
        .where(Activity.organization_id.in_(ids)).subquery())
    latest = {a.organization_id: a for a in db.session.scalars(
        sa.select(Activity).join(ranked, ranked.c.id == Activity.id).where(ranked.c.n == 1))}
    talks: dict[int, list[Partnership]] = {}
    for p in db.session.scalars(sa.select(Partnership).where(
            Partnership.organization_id.in_(ids), Partnership.status == "negotiating").order_by(Partnership.id)):
        talks.setdefault(p.organization_id, []).append(p)
    return [PipelineRow(o, latest.get(o.id), talks.get(o.id, [])) for o in organizations]


def partnerships_of(org: Organization) -> tuple[list[Partnership], list[Partnership]]:
    """(as the outside party, as a local partner), newest first."""
    order = (Partnership.agreed_on.desc().nulls_first(), Partnership.id.desc())
    own = list(db.session.scalars(sa.select(Partnership).where(
        Partnership.organization_id == org.id).order_by(*order)))
    partner = list(db.session.scalars(sa.select(Partnership).join(PartnershipPartner).where(
        PartnershipPartner.organization_id == org.id).order_by(*order)))
    return own, partner
