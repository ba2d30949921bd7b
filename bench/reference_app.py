"""The reference page of bench/pages.py: 50 rows from one indexed query, rendered with Jinja.

Only for the benchmark (never part of the product): `gunicorn bench.reference_app:app` with the
same settings as the product, on the same database (DATABASE_URL)."""

import os

import sqlalchemy as sa
from flask import Flask, request

engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=False)
app = Flask(__name__)

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


@app.route("/")
def reference():
    with engine.connect() as conn:
        rows = conn.execute(QUERY, {"key": request.args.get("key", "た")}).all()
    return TEMPLATE.render(rows=rows)
