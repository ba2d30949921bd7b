import csv
import io


def test_the_register_lists_every_marked_field_and_downloads_for_excel(login_as):
    admin = login_as("admin")
    page = admin.get("/admin/personal-data").get_data(as_text=True)
    assert "生年月日" in page and "<code>people</code>" in page and "<code>birth_date</code>" in page
    response = admin.get("/admin/personal-data?format=csv")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["表", "列", "内容", "要配慮個人情報"]
    assert ["people", "birth_date", "生年月日", ""] in rows


def test_csv_cells_that_excel_would_run_are_neutralised():
    from casework.web import neutralise_cell

    assert neutralise_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [neutralise_cell(v) for v in ("+1", "-2", "@a", "\tb", "田中", 12, None)] == [
        "'+1", "'-2", "'@a", "'\tb", "田中", "12", ""]
