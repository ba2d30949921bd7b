import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from casework.auth.models import User
from casework.auth.permissions import ROLE_CAPABILITIES
from casework.extensions import db
from casework.forms import JapaneseDateField, choices
from casework.people.forms import furigana, phone_number
from casework.startups.models import BODY_LABELS, CHANNEL_LABELS, STATUS_LABELS, TOPIC_LABELS


class TopicsField(SelectMultipleField):
    """The four fields of 特定創業支援等事業 as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def staff_choices(keep: int | None = None) -> list:
    """Active staff who handle startup cases (and whoever is already assigned)."""
    roles = [role.value for role, caps in ROLE_CAPABILITIES.items() if "startups.write" in caps]
    query = sa.select(User).where(sa.or_(sa.and_(User.active, User.role.in_(roles)), User.id == keep))
    users = db.session.scalars(query.order_by(User.display_name, User.id)).all()
    return choices([("", "（未定）")] + [(str(u.id), u.display_name or u.username) for u in users])


def _staff_id(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class ConsultationFields:
    held_on = JapaneseDateField(_l("相談日"), validators=[DataRequired(_l("相談日を入力してください。"))])
    channel = SelectField(_l("方法"), choices=choices(CHANNEL_LABELS.items()), default="counter")
    consult_staff_id = SelectField(_l("対応した職員"), coerce=_staff_id, validate_choice=False)
    topics = TopicsField(_l("相談分野"), choices=choices(TOPIC_LABELS.items()), validate_choice=True)
    minutes = IntegerField(_l("時間（分）"), validators=[Optional(), NumberRange(0, 1440)],
                           render_kw={"inputmode": "numeric"})
    notes = TextAreaField(_l("相談内容"), validators=[Optional(), Length(max=10000)])


NEW_PERSON = {"data-selects": "person-new"}


class CounterForm(ConsultationFields, FlaskForm):
    """窓口受付: person, case and first consultation in one form."""

    q = HiddenField()
    person = RadioField(_l("対象者"), validate_choice=False, default="new")
    # Typing into these chooses "a new person" (casework/static/js/app.js).
    family_name = StringField(_l("姓"), validators=[Optional(), Length(max=100)], render_kw=NEW_PERSON)
    given_name = StringField(_l("名"), validators=[Optional(), Length(max=100)], render_kw=NEW_PERSON)
    family_name_kana = StringField(_l("せい（ふりがな）"), validators=[Optional(), Length(max=100), furigana],
                                   render_kw=NEW_PERSON)
    given_name_kana = StringField(_l("めい（ふりがな）"), validators=[Optional(), Length(max=100), furigana],
                                  render_kw=NEW_PERSON)
    birth_date = JapaneseDateField(_l("生年月日"), validators=[Optional()], render_kw=NEW_PERSON)
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40), phone_number],
                        render_kw={"type": "tel", "autocomplete": "off", **NEW_PERSON})
    # The ids of the people offered as likely duplicates (chosen knowingly, with a name typed).
    offered = HiddenField()
    confirm_new = BooleanField(_l("上の人とは別人なので、新しく登録する"))
    business_idea = StringField(_l("事業の構想"), validators=[Optional(), Length(max=2000)],
                                render_kw={"placeholder": "例: 留萌港の魚介を使った食堂"})
    industry = StringField(_l("業種"), validators=[Optional(), Length(max=100)])
    supporting_body = SelectField(_l("支援機関"), choices=choices(BODY_LABELS.items()), default="city")
    staff_id = SelectField(_l("担当職員"), coerce=_staff_id, validate_choice=False)
    submit = SubmitField(_l("受付を保存"))


class ConsultationForm(ConsultationFields, FlaskForm):
    submit = SubmitField(_l("相談記録を追加"))


class CaseEditForm(FlaskForm):
    version = HiddenField()
    business_idea = TextAreaField(_l("事業の構想"), validators=[Optional(), Length(max=2000)])
    industry = StringField(_l("業種"), validators=[Optional(), Length(max=100)])
    supporting_body = SelectField(_l("支援機関"), choices=choices(BODY_LABELS.items()))
    staff_id = SelectField(_l("担当職員"), coerce=_staff_id, validate_choice=False)
    first_consulted_on = JapaneseDateField(_l("初回相談日"), validators=[Optional()])
    founded_on = JapaneseDateField(_l("創業日"), validators=[Optional()])
    ref = StringField(_l("整理番号（ref）"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("備考"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存"))


class StatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("新しい状態"), choices=choices(STATUS_LABELS.items()))
    founded_on = JapaneseDateField(_l("創業日（創業済にするとき）"), validators=[Optional()])
    submit = SubmitField(_l("状態を変更"))


class CertificateForm(FlaskForm):
    version = HiddenField()
    certificate_number = StringField(_l("証明書番号"), validators=[
        DataRequired(_l("証明書番号を入力してください。")), Length(max=40)])
    certificate_issued_on = JapaneseDateField(_l("発行日"), validators=[
        DataRequired(_l("発行日を入力してください。"))])
    submit = SubmitField(_l("証明書を記録"))


SORTS = {
    "first_desc": _l("初回相談日の新しい順"),
    "first_asc": _l("初回相談日の古い順"),
    "kana": _l("ふりがな順"),
    "status": _l("状態順"),
    "updated": _l("更新の新しい順"),
}
