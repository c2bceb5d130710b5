"""The steward review site: `python -m pipelines review serve [--host 127.0.0.1] [--port 8040]`.

Pages (server-rendered, plain HTML forms, no JavaScript):

* `/` the documents (department, region, year, kind) with their counts of open, decided and
  parser problems, filtered by region, year, identity and state;
* `/documents/<document id>` one document's failures grouped by identity (the Chinese
  description first, both sides in their unit and in 万元, difference, tolerance, pages), the
  cells involved in words and, for each page they are on, the page of the archived PDF with
  them outlined (narrative sentences shaded, the figure outlined), the decision form and the
  history of decisions;
* `/export.csv` open and decided failures (formula-safe);
* images `/documents/<id>/failures/<failure id>/pages/<n>.png` rendered with pypdfium2 and
  cached under `<data_dir>/review_cache/` (pipelines/review_site/pages.py).

It reads the PUBLISHED warehouse read-only (a new connection per request: a night that
publishes is seen at the next request, and the site never holds what the night writes) and
records decisions in the same `<data_dir>/reviews/decisions.jsonl` as `review decide`.
Security: pipelines/review_site/auth.py (users file, sessions, CSRF) and app.py (CSP, hosts).
"""
