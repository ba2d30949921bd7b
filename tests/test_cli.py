import sqlalchemy as sa

from casework.auth.models import User
from casework.extensions import db
from tests.conftest import login


def test_users_create_with_password_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "admin1", "--role", "admin", "--password-stdin"],
                           input="a-very-long-password\n")
    assert result.exit_code == 0, result.output
    assert "admin1" in result.output
    assert login(app.test_client(), "admin1", "a-very-long-password").status_code == 302


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "clerk", "--role", "counter"],
                           input="a-very-long-password\na-very-long-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.role).where(User.username == "clerk")) == "counter"


def test_users_create_refuses_bad_input_in_japanese(app, runner):
    result = runner.invoke(args=["users", "create", "x", "--role", "counter", "--password-stdin"],
                           input="short\n")
    assert result.exit_code != 0 and "文字以上" in result.output
    result = runner.invoke(args=["users", "create", "x", "--role", "mayor", "--password-stdin"],
                           input="a-very-long-password\n")
    assert result.exit_code != 0
    runner.invoke(args=["users", "create", "dup", "--role", "counter", "--password-stdin"],
                  input="a-very-long-password\n")
    result = runner.invoke(args=["users", "create", "dup", "--role", "counter", "--password-stdin"],
                           input="a-very-long-password\n")
    assert result.exit_code != 0 and "既に使われています" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
