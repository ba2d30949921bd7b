from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from casework.forms import choices


class LoginForm(FlaskForm):
    username = StringField(_l("ユーザー名"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("パスワード"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("ログイン"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("現在のパスワード"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新しいパスワード"), validators=[DataRequired()],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("新しいパスワード（確認）"),
                            validators=[DataRequired(), EqualTo("new_password", _l("確認用のパスワードが一致しません。"))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("パスワードを変更"))


class LocaleForm(FlaskForm):
    locale = SelectField(_l("表示言語"), choices=choices([("ja", "日本語"), ("en", "English")]))
    submit = SubmitField(_l("保存"))


class ReauthForm(FlaskForm):
    password = PasswordField(_l("パスワード"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password", "autofocus": True})
    submit = SubmitField(_l("続ける"))
