from tests.permission_table import Route, only

EXPORTERS = ("manager", "admin")

ROUTES = [
    Route("/reports/", "GET", only(*EXPORTERS)),
    Route("/reports/rollup.csv", "GET", only(*EXPORTERS), url="/reports/rollup.csv?fy=2026"),
    Route("/reports/rollup.xlsx", "GET", only(*EXPORTERS), url="/reports/rollup.xlsx?fy=2026"),
    Route("/reports/review", "GET", only(*EXPORTERS)),
    Route("/reports/review.xlsx", "GET", only(*EXPORTERS)),
]
