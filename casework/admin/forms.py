from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from casework.auth.permissions import ROLE_LABELS
from casework.forms import choices

ROLE_CHOICES = choices((role.value, label) for role, label in ROLE_LABELS.items())


class UserCreateForm(FlaskForm):
    username = StringField(_l("ユーザー名（半角英数字）"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("氏名"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("役割"), choices=ROLE_CHOICES)
    password = PasswordField(_l("初期パスワード"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("作成"))


class UserEditForm(FlaskForm):
    version = HiddenField()
    display_name = StringField(_l("氏名"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("役割"), choices=ROLE_CHOICES)
    active = BooleanField(_l("有効（チェックを外すと利用停止）"))
    new_password = PasswordField(_l("パスワードの再設定（変更する場合のみ）"),
                                 validators=[Optional(), Length(max=256)],
                                 render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("保存"))


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("検索"), validators=[Optional(), Length(max=64)])


class RetentionForm(FlaskForm):
    # What the page showed (casework.admin.retention.RetentionPlan.fingerprint): the run is
    # refused if the people to anonymize changed in between.
    expected = HiddenField()
    submit = SubmitField(_l("匿名化を実行する"))
