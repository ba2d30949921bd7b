from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from casework import jp
from casework.forms import JapaneseDateField, choices
from casework.migrants.models import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    SUPPORT_LABELS,
    WANT_LABELS,
)

CHANNEL_CHOICES = choices(CHANNEL_LABELS.items())


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _kana(form, field):
    if field.data and not jp.is_kana(field.data):
        raise ValidationError("ふりがなはひらがなかカタカナで入力してください。")


class CaseFieldsMixin:
    inquired_on = JapaneseDateField(_l("相談日（最初の移住相談）"), validators=[Optional()])
    channel = SelectField(_l("相談の方法"), choices=CHANNEL_CHOICES)
    origin_prefecture = StringField(_l("転入前の都道府県"), validators=[Optional(), Length(max=20)])
    origin_municipality = StringField(_l("転入前の市区町村"), validators=[Optional(), Length(max=100)])
    wants = MultiCheckboxField(_l("求めていること（複数選べます）"), choices=choices(WANT_LABELS.items()))
    note = TextAreaField(_l("備考"), validators=[Optional(), Length(max=5000)])


class CaseNewForm(CaseFieldsMixin, FlaskForm):
    family_name = StringField(_l("申請者の姓"), validators=[DataRequired(), Length(max=100)])
    given_name = StringField(_l("申請者の名"), validators=[Optional(), Length(max=100)])
    family_name_kana = StringField(_l("姓のふりがな"), validators=[DataRequired(), Length(max=100), _kana])
    given_name_kana = StringField(_l("名のふりがな"), validators=[Optional(), Length(max=100), _kana])
    birth_date = JapaneseDateField(_l("生年月日"), validators=[Optional()])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("メールアドレス"), validators=[Optional(), Length(max=254)])
    household_size = IntegerField(_l("世帯人数（申請者を含む）"), default=1,
                                  validators=[InputRequired(), NumberRange(min=1, max=99)])
    # "" = not chosen yet, "new" = a new person, else the id of a possible duplicate.
    person_choice = HiddenField()
    submit = SubmitField(_l("登録"))


class CaseEditForm(CaseFieldsMixin, FlaskForm):
    version = HiddenField()
    household_size = IntegerField(_l("世帯人数（申請者を含む）"),
                                  validators=[InputRequired(), NumberRange(min=1, max=99)])
    moved_in_on = JapaneseDateField(_l("転入日"), validators=[Optional()])
    moved_out_on = JapaneseDateField(_l("転出日"), validators=[Optional()])
    followup_requested = BooleanField(_l("支援金がなくても定住確認を予定する"))
    submit = SubmitField(_l("保存"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.moved_out_on.data and self.moved_in_on.data and self.moved_out_on.data < self.moved_in_on.data:
            self.moved_out_on.errors = [*self.moved_out_on.errors, "転出日が転入日より前です。"]
            ok = False
        return ok


class StatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("新しい状態"), choices=choices(STATUS_LABELS.items()))
    submit = SubmitField(_l("状態を変更"))


class MemberForm(FlaskForm):
    family_name = StringField(_l("姓"), validators=[Optional(), Length(max=100)])
    given_name = StringField(_l("名"), validators=[DataRequired(), Length(max=100)])
    relationship = StringField(_l("続柄"), validators=[DataRequired(), Length(max=40)],
                               render_kw={"list": "relationships"})
    birth_date = JapaneseDateField(_l("生年月日"), validators=[Optional()])
    submit = SubmitField(_l("世帯員を追加"))


class SupportForm(FlaskForm):
    kind = SelectField(_l("支援の種類"), choices=choices(SUPPORT_LABELS.items()))
    given_on = JapaneseDateField(_l("支援日"), validators=[DataRequired()])
    amount = IntegerField(_l("金額（円、移住支援金）"), validators=[Optional(), NumberRange(min=0)])
    term_start = JapaneseDateField(_l("任期の開始（地域おこし協力隊）"), validators=[Optional()])
    term_end = JapaneseDateField(_l("任期の終了（地域おこし協力隊）"), validators=[Optional()])
    stayed_after = SelectField(_l("任期後の定住（地域おこし協力隊）"),
                               choices=choices((("", "未確認"), ("yes", "定住した"), ("no", "定住しなかった"))),
                               default="")
    student_family_name_kana = StringField(_l("生徒の姓のふりがな（越境学生の家族の転入）"),
                                           validators=[Optional(), Length(max=100), _kana])
    student_given_name_kana = StringField(_l("生徒の名のふりがな"), validators=[Optional(), Length(max=100), _kana])
    student_birth_date = JapaneseDateField(_l("生徒の生年月日"), validators=[Optional()])
    note = TextAreaField(_l("内容"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("支援を記録"))

    def validate(self, extra_validators=None) -> bool:
        # Checks across fields run here: an Optional() field stops its own validator chain.
        ok = super().validate(extra_validators)
        if self.kind.data == "grant" and self.amount.data is None and not self.amount.errors:
            self.amount.errors = [*self.amount.errors, "移住支援金は金額を入力してください。"]
            ok = False
        if self.term_end.data and self.term_start.data and self.term_end.data < self.term_start.data:
            self.term_end.errors = [*self.term_end.errors, "任期の終了が開始より前です。"]
            ok = False
        if self.kind.data == "student_family" and (
                not self.student_birth_date.data or not self.student_family_name_kana.data):
            self.student_birth_date.errors = [*self.student_birth_date.errors,
                                              "生徒のふりがなと生年月日を入力してください。"]
            ok = False
        return ok


class SupportEditForm(SupportForm):
    version = HiddenField()
    submit = SubmitField(_l("保存"))


class ContactForm(FlaskForm):
    contacted_on = JapaneseDateField(_l("日付"), validators=[DataRequired()])
    channel = SelectField(_l("方法"), choices=CHANNEL_CHOICES)
    staff = StringField(_l("対応者"), validators=[Optional(), Length(max=100)])
    note = TextAreaField(_l("内容"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("対応を記録"))


class FollowUpForm(FlaskForm):
    version = HiddenField()
    outcome = SelectField(_l("確認の結果"), choices=choices(OUTCOME_LABELS.items()))
    checked_on = JapaneseDateField(_l("確認日"), validators=[DataRequired()])
    moved_out_on = JapaneseDateField(_l("転出日（転出の場合）"), validators=[Optional()])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("結果を記録"))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("削除"))


SORTS = {
    "new": _l("相談日の新しい順"),
    "old": _l("相談日の古い順"),
    "moved_in": _l("転入日の新しい順"),
    "name": _l("ふりがな順"),
    "household": _l("世帯人数の多い順"),
}


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("氏名・ふりがな"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("状態"), choices=choices([("", "すべて（取消を含む）")] + list(STATUS_LABELS.items())),
                         validators=[Optional()])
    fy = SelectField(_l("相談の年度"), validators=[Optional()])
    origin = StringField(_l("転入前の地域"), validators=[Optional(), Length(max=100)])
    support = SelectField(_l("支援の種類"), choices=choices([("", "すべて")] + list(SUPPORT_LABELS.items())),
                          validators=[Optional()])
    followup = SelectField(_l("定住確認"), choices=choices((("", "すべて"), ("due", "今月まで（期限切れを含む）"),
                                                          ("overdue", "期限切れ"))), validators=[Optional()])
    sort = SelectField(_l("並び順"), choices=choices(SORTS.items()), validators=[Optional()])


class FollowUpFilterForm(FlaskForm):
    class Meta:
        csrf = False

    which = SelectField(_l("表示"), choices=choices((("due", "今月まで（期限切れを含む）"), ("month", "今月が期限"),
                                                    ("overdue", "期限切れ"))), validators=[Optional()])
