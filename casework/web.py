"""What every page shares: security headers, navigation, template helpers."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote, urlsplit

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import Domain, get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wsgi import wrap_file

from casework import jp


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    capabilities: tuple[str, ...]
    order: int


def add_nav(app: Flask, label: str, endpoint: str, *capabilities: str, order: int = 50) -> None:
    """Areas add their menu entries; a user sees an entry when holding any of its capabilities."""
    app.extensions.setdefault("casework_nav", []).append(NavItem(label, endpoint, capabilities, order))


def nav_for_current_user() -> list[NavItem]:
    """The menu entries of this user, worked out once per request (the layout and the home page
    both show them; every page pays for the layout)."""
    if "casework_nav" in g:
        return g.casework_nav
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return []
    items = sorted(current_app.extensions.get("casework_nav", []), key=lambda i: i.order)
    g.casework_nav = [i for i in items if not i.capabilities or any(user.can(c) for c in i.capabilities)]
    return g.casework_nav


def main_nav() -> Markup:
    """The menu of the layout, as HTML. It is the same for everyone of a role, in a language, on
    a page, so it is drawn once per (role, language, page) and kept: every page shows it, and
    drawing its links each time was a tenth of a list page's cost."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return Markup("")
    drawn = current_app.extensions.setdefault("casework_nav_html", {})
    key = (request.script_root, user.locale, user.role, request.endpoint)
    html = drawn.get(key)
    if html is None:
        entries = nav_for_current_user()
        html = drawn[key] = Markup(current_app.jinja_env.get_template("_nav.html").render(
            nav_entries=entries, nav_current=current_nav_endpoint(entries)))
    return html


def csrf_token() -> str:
    """Flask-WTF's generate_csrf, signing a session's token once per process rather than on
    every page (the layout's logout form has one). The signature holds no expiry to renew:
    WTF_CSRF_TIME_LIMIT is None, the session's own lifetime bounds the token."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()  # a token that expires must be signed afresh
    key = (current_app.secret_key, session.get(field))
    signed = _signed_csrf_tokens.get(key) if key[1] else None
    if signed is None:
        signed = generate_csrf()
        if len(_signed_csrf_tokens) >= 10_000:
            _signed_csrf_tokens.clear()
        _signed_csrf_tokens[(current_app.secret_key, session[field])] = signed
    setattr(g, field, signed)
    return signed


_signed_csrf_tokens: dict[tuple, str] = {}


class RequestTranslations(Domain):
    """Flask-Babel's message domain, finding the request's catalogue once per request. Its own
    lookup (the request's Babel state, the locale, str(locale), the catalogue cache) ran for
    every `_()` in a template and every lazy label, ~20 µs each, 40–100 times a page. The
    locale is fixed for the request either way (Flask-Babel keeps the one it selected)."""

    def get_translations(self):
        if not g:
            return super().get_translations()
        translations = g.get("casework_translations")
        if translations is None:
            translations = g.casework_translations = super().get_translations()
        return translations


def _translations():
    """The request's catalogue, for the templates' `_()` (without Flask-Babel's lookup of the
    domain on each call)."""
    return g.get("casework_translations") or get_translations()


_URL_SENTINEL = 4_611_686_018_427_387_903  # a record id no table reaches, to cut a built URL at


def record_links(endpoint: str, name: str) -> Callable[[int], str]:
    """A function giving url_for(endpoint, **{name: id}) for any record id, for a list that links
    each of its 50 rows: Werkzeug's builder (and the request and app lookups around it) took
    3–4 µs a link; here it runs once per endpoint and each id is put in its place.
    A list's row builder: `case_url = record_links("startups.case", "case_id")`, then
    `case_url(id_)` per row."""
    patterns = current_app.extensions.setdefault("casework_record_urls", {})
    key = (request.script_root, endpoint, name)
    pattern = patterns.get(key)
    if pattern is None:
        pattern = url_for(endpoint, **{name: _URL_SENTINEL}).split(str(_URL_SENTINEL))
        if len(pattern) != 2:  # not an id put in once: built every time
            return lambda record_id: url_for(endpoint, **{name: record_id})
        patterns[key] = pattern
    head, tail = pattern
    return lambda record_id: f"{head}{int(record_id)}{tail}"


def current_nav_endpoint(items: list[NavItem]) -> str | None:
    """The one menu entry to mark as the current page: the entry for this very page, else the
    first entry of this page's area (a case page belongs to its area's list)."""
    endpoint = request.endpoint or ""
    if any(i.endpoint == endpoint for i in items):
        return endpoint
    area = endpoint.partition(".")[0]
    return next((i.endpoint for i in items if i.endpoint.partition(".")[0] == area), None)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value) -> str:
    """A cell Excel would run as a formula (=, +, -, @, TAB, CR) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- CSV: the one writer every export goes through ------------------------------------------

UTF8 = "utf-8-sig"  # Excel reads Japanese from UTF-8 only with the BOM
CP932 = "cp932"  # Shift_JIS as Windows writes it, for older PCs and partner systems
CSV_ENCODINGS = (UTF8, CP932)
PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class CsvProblem:
    """One character the chosen encoding lacks, where staff find it in Excel."""

    line: int  # Excel's row number: the header is row 1
    column: str
    char: str

    @property
    def character(self) -> str:
        return jp.describe_char(self.char)


class NotEncodable(Exception):
    """Cells hold characters CP932 lacks: no file is written rather than one with "?" in it."""

    def __init__(self, problems: list[CsvProblem], total: int):
        super().__init__(f"{total} characters not in CP932")
        self.problems = problems
        self.total = total


def csv_cell(value) -> str:
    """Numbers are written as numbers (1.50 keeps its places); anything else as neutralised text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return neutralise_cell(value)


def _not_encodable(cells: list[list[str]], first_line: int = 0) -> NotEncodable:
    """The characters CP932 lacks in `cells`, whose first row is the header; `first_line`: the
    line number of the second row, when the rows after the header come from further down."""
    header = cells[0] if cells else []
    problems, total = [], 0
    numbered = enumerate(cells, start=1)
    if first_line:
        numbered = ((n, row) for n, row in enumerate(cells[1:], start=first_line))
    for line, row in numbered:
        for index, text in enumerate(row):
            for char in jp.not_in_cp932(text):
                total += 1
                if len(problems) < PROBLEMS_SHOWN:
                    column = header[index] if index < len(header) else f"{index + 1}列目"
                    problems.append(CsvProblem(line, column, char))
    return NotEncodable(problems, total)


def csv_bytes(rows, encoding: str = UTF8) -> bytes:
    """CSV that Excel opens as Japanese: CRLF, formula cells neutralised, the first row the
    header. UTF-8 with BOM, or CP932 strictly (raises NotEncodable, nothing replaced by "?")."""
    cells = [[csv_cell(v) for v in row] for row in rows]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(cells)
    if encoding == CP932:
        try:
            return jp.encode_cp932(buffer.getvalue())
        except UnicodeEncodeError:
            raise _not_encodable(cells) from None
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def write_csv(rows, out, encoding: str = UTF8, *, chunk: int = 1000) -> int:
    """csv_bytes() for exports too large to hold: the rows (the header first) are written to the
    binary file `out` `chunk` at a time, the same cells, line ends and encodings. CP932 stays
    strict: a character it lacks anywhere raises NotEncodable, listing every one (the whole
    list is read to find them; what was written by then is to be thrown away). Returns the
    number of rows written after the header."""
    header, problems, total, line, batch = None, [], 0, 0, []
    if encoding != CP932:
        out.write("\ufeff".encode())

    def flush() -> None:
        nonlocal total
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(batch)
        if encoding != CP932:
            out.write(buffer.getvalue().encode("utf-8"))
            return
        try:
            data = jp.encode_cp932(buffer.getvalue())
        except UnicodeEncodeError:
            found = _not_encodable([header or [], *batch], first_line=line - len(batch) + 1)
            problems.extend(found.problems[:PROBLEMS_SHOWN - len(problems)])
            total += found.total
        else:
            if not total:
                out.write(data)

    for row in rows:
        cells = [csv_cell(v) for v in row]
        header = header or cells
        batch.append(cells)
        line += 1
        if len(batch) >= chunk:
            flush()
            batch.clear()
    if batch:
        flush()
    if total:
        raise NotEncodable(problems, total)
    return max(0, line - 1)


def requested_csv_encoding() -> str:
    """?encoding=cp932 asks for Shift_JIS; UTF-8 with BOM otherwise. Anything else is a 400."""
    encoding = request.args.get("encoding") or UTF8
    if encoding not in CSV_ENCODINGS:
        abort(400)
    return encoding


def csv_response(data, filename: str, encoding: str = UTF8) -> Response:
    """`data`: the bytes, or a binary file positioned at its start (sent from the file)."""
    if encoding == CP932:
        stem, dot, suffix = filename.rpartition(".")
        filename = f"{stem}_sjis{dot}{suffix}" if dot else f"{filename}_sjis"
    charset = "Windows-31J" if encoding == CP932 else "utf-8"  # Windows-31J: IANA's name for CP932
    return file_response(data, filename, f"text/csv; charset={charset}")


def file_response(data, filename: str, content_type: str) -> Response:
    """A download: bytes, or a binary file at its start, sent in blocks and closed afterwards."""
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
    if isinstance(data, bytes):
        return Response(data, content_type=content_type, headers=headers)
    data.seek(0, io.SEEK_END)
    headers["Content-Length"] = str(data.tell())
    data.seek(0)
    return Response(wrap_file(request.environ, data), content_type=content_type, headers=headers,
                    direct_passthrough=True)


def not_encodable_page(error: NotEncodable) -> Response:
    """The Japanese answer to a refused CP932 export: what to fix, and the UTF-8 file instead."""
    args = request.args.to_dict(flat=False)
    args.pop("encoding", None)
    utf8_url = url_for(request.endpoint, **(request.view_args or {}), **args)
    referrer = request.referrer or ""
    back_url = referrer if urlsplit(referrer).netloc == request.host else None
    page = render_template("csv_not_encodable.html", problems=error.problems,
                           more=error.total - len(error.problems), utf8_url=utf8_url, back_url=back_url)
    return make_response(page, 422)


def csv_download(rows, filename: str, encoding: str = UTF8) -> Response:
    """The whole export in one step; the first row is the header."""
    try:
        data = csv_bytes(rows, encoding)
    except NotEncodable as error:
        return not_encodable_page(error)
    return csv_response(data, filename, encoding)


CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, never no-referrer: Flask-WTF checks the Referer of HTTPS form posts.
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if current_app.config.get("HTTPS"):
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.endpoint != "static":
        # Pages hold personal data: no copy in a shared PC's browser cache.
        headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    babel = app.extensions["babel"]
    babel.instance.domain_instance = RequestTranslations(domain=babel.default_domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.after_request(_security_headers)
    app.jinja_env.globals["nav_items"] = nav_for_current_user
    app.jinja_env.globals["current_nav_endpoint"] = current_nav_endpoint
    app.jinja_env.globals["main_nav"] = main_nav
    # Flask-WTF offers its own csrf_token as a global and through a context processor.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.template_context_processors[None][:] = [
        p for p in app.template_context_processors[None] if p.__module__ != "flask_wtf.csrf"]
    app.context_processor(lambda: {"today": jp.today(), "today_fy": jp.fiscal_year_of(jp.today())})
    app.jinja_env.filters["wareki"] = lambda d: jp.to_wareki(d) if d else ""
    app.jinja_env.filters["date_ja"] = jp.format_date_ja
    app.jinja_env.filters["fy_label"] = jp.fiscal_year_label
    app.jinja_env.filters["jst"] = lambda dt: jp.format_datetime_jst(dt)
