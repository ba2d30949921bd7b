from tests.permission_table import Route, only

ROUTES = [
    # Anonymous callers get 401 JSON, never the login redirect; the API is for dashboard.all.
    Route("/api/v1/rollup", "GET", only("manager", "admin"), url="/api/v1/rollup?fy=2026", anonymous=401),
    Route("/admin/tokens/", "GET", only("admin")),
    Route("/admin/tokens/", "POST", only("admin")),
    Route("/admin/tokens/<int:token_id>/revoke", "POST", only("admin", status=404), url="/admin/tokens/999999/revoke"),
]
