"""The reference pages of bench/pages.py. Only for the benchmark (never part of the product):
`gunicorn bench.reference_app:app` with the same settings as the product, on the same database
(DATABASE_URL).

- `/`: the reference of issue 9, 50 rows from one indexed query rendered with Jinja, as lean as
  Flask allows (one text query on a plain engine, a template string, no layout).
- `/bare`: Flask's hello-world route. It measures the machine and the harness: the issue's own
  figures were taken where it served about 7,000 requests/s.
- `/usual`: the same 50 rows written the way a Flask-SQLAlchemy page usually is: a model, a 2.0
  `select()` through the scoped session, `render_template` of a file that extends a layout. It
  shows how much of the gap to `/` is the stack itself, not the product."""

import os
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, render_template, request
from flask_sqlalchemy import SQLAlchemy

engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=False)
app = Flask(__name__, template_folder="reference_templates")
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)

PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>参照ページ</title></head>
<body><h1>対象者（ふりがな順）</h1>
<table><thead><tr><th>番号</th><th>氏名</th><th>ふりがな</th><th>生年月日</th><th>電話</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.family_name }} {{ r.given_name }}</td>
<td>{{ r.family_name_kana }} {{ r.given_name_kana }}</td><td>{{ r.birth_date }}</td><td>{{ r.phone }}</td></tr>
{% endfor %}</tbody></table></body></html>"""

TEMPLATE = app.jinja_env.from_string(PAGE)  # compiled once, as Flask caches a template file
QUERY = sa.text(
    "SELECT id, family_name, given_name, family_name_kana, given_name_kana, birth_date, phone"
    " FROM people WHERE kana_key >= :key ORDER BY kana_key LIMIT 50")


class Person(db.Model):
    __tablename__ = "people"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    family_name: so.Mapped[str]
    given_name: so.Mapped[str]
    family_name_kana: so.Mapped[str]
    given_name_kana: so.Mapped[str]
    birth_date: so.Mapped[date | None]
    phone: so.Mapped[str | None]
    kana_key: so.Mapped[str]


@app.route("/")
def reference():
    with engine.connect() as conn:
        rows = conn.execute(QUERY, {"key": request.args.get("key", "た")}).all()
    return TEMPLATE.render(rows=rows)


@app.route("/bare")
def bare():
    return "Hello, World!"


@app.route("/usual")
def usual():
    key = request.args.get("key", "た")
    people = db.session.scalars(db.select(Person).where(Person.kana_key >= key).order_by(Person.kana_key)
                                .limit(50)).all()
    return render_template("people.html", people=people)
