import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.audit.trail import acting_as
from casework.auth.models import User
from casework.auth.services import create_user
from casework.extensions import db


def _entries(app, **where):
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return db.session.scalars(query).all()


def test_create_update_delete_are_recorded_with_before_and_after(app):
    with app.app_context(), acting_as("tester"):
        user = create_user("subject", "counter", "long-enough-password")
        db.session.commit()
        user_id = user.id
        user.display_name = "新しい名前"
        db.session.commit()
        db.session.delete(user)
        db.session.commit()
    create, update, delete = _entries(app, entity="users")
    assert (create.action, update.action, delete.action) == ("create", "update", "delete")
    # "who created record #N" must be answerable: the new record's id is in its create entry.
    assert create.entity_id == update.entity_id == delete.entity_id == str(user_id)
    assert create.username == "tester" and create.after["username"] == "subject"
    assert update.before == {"display_name": "subject"} and update.after == {"display_name": "新しい名前"}
    assert delete.before["display_name"] == "新しい名前" and delete.after is None
    assert all(e.at is not None and e.at.tzinfo is not None for e in (create, update, delete))


def test_a_rolled_back_change_leaves_no_audit_entry(app):
    with app.app_context():
        create_user("ghost", "counter", "long-enough-password")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert _entries(app) == []


def test_passwords_and_tokens_never_enter_the_log(app):
    with app.app_context():
        create_user("secretive", "counter", "long-enough-password")
        db.session.commit()
    (entry,) = _entries(app, entity="users")
    assert entry.after["password_hash"] == "***" and entry.after["session_token"] == "***"


def test_the_database_refuses_to_edit_or_delete_audit_entries(app):
    import pytest
    from sqlalchemy.exc import DBAPIError

    with app.app_context():
        create_user("someone", "counter", "long-enough-password")
        db.session.commit()
        for statement in (sa.update(AuditEntry).values(username="forged"), sa.delete(AuditEntry)):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.scalar(sa.select(AuditEntry.username)) == "system"
