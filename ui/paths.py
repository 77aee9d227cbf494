"""Where the dashboard's scripts are: the entry script and one file per page."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_SCRIPT = ROOT / "app.py"
PAGE_NOW = "pages/now.py"
PAGE_REPORTS = "pages/reports.py"
PAGE_INCIDENTS = "pages/incidents.py"
PAGE_FLEET = "pages/fleet.py"
PAGE_STORE = "pages/store.py"
PAGE_DATA = "pages/data.py"
PAGE_ALERTS = "pages/alerts.py"
PAGE_STATUS = "pages/status_page.py"
