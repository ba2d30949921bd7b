from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from casework import jp
from casework.forms import JapaneseDateField, choices
from casework.partnerships.models import (
    ACTIVITY_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    OUTCOME_UNITS,
    STATUS_LABELS,
)
from casework.partnerships.services import PREFECTURES, corporate_number_problem

PREFECTURE_CHOICES = [("", "（未選択）")] + [(p, p) for p in PREFECTURES]
REGION_CHOICES = [("outside", "域外（市外・地域外の企業・機関）"), ("local", "市内・地域内")]


class OrganizationForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("名称"), validators=[DataRequired(message=_l("名称を入力してください")), Length(max=200)])
    kana = StringField(_l("名称のふりがな"), validators=[Optional(), Length(max=200)])
    corporate_number = StringField(_l("法人番号（13桁）"), validators=[Optional(), Length(max=30)],
                                   render_kw={"inputmode": "numeric", "autocomplete": "off"})
    region = SelectField(_l("区分"), choices=choices(REGION_CHOICES))
    prefecture = SelectField(_l("都道府県"), choices=choices(PREFECTURE_CHOICES))
    municipality = StringField(_l("市区町村"), validators=[Optional(), Length(max=100)])
    industry = StringField(_l("業種"), validators=[Optional(), Length(max=100)])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存"))

    def validate_kana(self, field):
        if field.data and not jp.is_kana(field.data):
            raise ValidationError("ふりがなはひらがなかカタカナで入力してください")

    def validate_corporate_number(self, field):
        problem = corporate_number_problem(field.data)
        if problem:
            raise ValidationError(problem)


class ContactForm(FlaskForm):
    name = StringField(_l("担当者名"), validators=[DataRequired(message=_l("担当者名を入力してください")), Length(max=100)])
    department = StringField(_l("部署・役職"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40)], render_kw={"inputmode": "tel"})
    email = StringField(_l("メールアドレス"), validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("メールアドレスの形式ではありません"))])
    submit = SubmitField(_l("担当者を追加"))


class ActivityForm(FlaskForm):
    occurred_on = JapaneseDateField(_l("日付"), validators=[InputRequired(message=_l("日付を入力してください"))])
    kind = SelectField(_l("種類"), choices=choices(ACTIVITY_LABELS.items()))
    title = StringField(_l("件名"), validators=[DataRequired(message=_l("件名を入力してください")), Length(max=200)])
    staff_id = SelectField(_l("市の担当職員"), coerce=int)
    note = TextAreaField(_l("内容"), validators=[Optional(), Length(max=5000)])
    next_step = StringField(_l("次の一手"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("活動を記録"))


class PartnershipForm(FlaskForm):
    version = HiddenField()
    # The organizations are found by name (a search typed here and sent, with Enter, shows them
    # in the lists below), not all listed: 33,000 of them made the page 3.4 MB.
    organization_q = StringField(_l("連携先を名称・ふりがなで探す"), validators=[Optional(), Length(max=100)])
    organization_q_shown = HiddenField()
    organization_id = SelectField(_l("連携先（域外の企業・機関）"), coerce=int)
    kind = SelectField(_l("種類"), choices=choices(KIND_LABELS.items()))
    status = SelectField(_l("状態"), choices=choices((k, STATUS_LABELS[k]) for k in ("negotiating", "concluded")))
    agreed_on = JapaneseDateField(_l("協定日（締結日）"))
    ended_on = JapaneseDateField(_l("終了日"))
    partner_q = StringField(_l("地域内の連携企業・団体を名称・ふりがなで探す"), validators=[Optional(), Length(max=100)])
    partner_q_shown = HiddenField()
    partner_ids = SelectMultipleField(_l("地域内の連携企業・団体"), coerce=int)
    resource = TextAreaField(_l("活用する未利用資源・解決する地域課題"), validators=[Optional(), Length(max=5000)])
    staff_id = SelectField(_l("市の担当職員"), coerce=int)
    document_refs = StringField(_l("関係文書の番号"), validators=[Optional(), Length(max=300)])
    ref = StringField(_l("整理番号（CSV取込の ref）"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存"))


class StatusForm(FlaskForm):
    version = HiddenField()
    status = HiddenField(validators=[DataRequired()])


class OutcomeForm(FlaskForm):
    occurred_on = JapaneseDateField(_l("日付"), validators=[InputRequired(message=_l("日付を入力してください"))])
    kind = SelectField(_l("成果の種類"), choices=choices(
        (k, f"{label}（{OUTCOME_UNITS[k]}）") for k, label in OUTCOME_LABELS.items()))
    amount = IntegerField(_l("数量（商品化は品数、雇用は人数、投資額は万円）"), validators=[
        DataRequired(message=_l("1以上の整数を入力してください")),
        NumberRange(min=1, max=10**12, message=_l("1以上の整数を入力してください"))])
    description = StringField(_l("内容"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("成果を記録"))


class DeleteForm(FlaskForm):
    """CSRF only."""
