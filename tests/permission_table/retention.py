from tests.permission_table import Route, only

ROUTES = [
    Route("/admin/retention", "GET", only("admin")),
    # Without the confirmed fingerprint of what the page showed, nothing runs: back to the page.
    Route("/admin/retention", "POST", only("admin", status=302)),
]
