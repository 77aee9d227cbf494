"""Store Uptime Monitor: the dashboard's script, run for every browser session.

``serve.py`` is what the server starts (``st.App`` over this script plus the HTTP API);
it starts the process's services (database, sample, sync, warm-up) before any page
opens. This script sets up the page, lets in only signed-in people when sign-in is
configured (``ui/access.py``), shows the sidebar and hands over to the page the user
picked. The pages live in ``pages/``.
"""

from __future__ import annotations

import streamlit as st

from ui import access, caches, paths, sidebar

st.set_page_config(
    page_title="Store Uptime Monitor",
    page_icon=":material/storefront:",
    layout="wide",
)
# With sign-in configured, nothing below runs (no page, no data) before a listed person
# has signed in.
access.gate()

pages = [
    st.Page(paths.PAGE_NOW, title="Now", icon=":material/crisis_alert:"),
    st.Page(paths.PAGE_REPORTS, title="Reports", icon=":material/summarize:", default=True),
    st.Page(paths.PAGE_FLEET, title="Fleet overview", icon=":material/monitoring:"),
    # Not /incidents: that address is the API's (serve.py mounts its routes first).
    st.Page(paths.PAGE_INCIDENTS, title="Incidents", icon=":material/report:",
            url_path="fleet-incidents"),
    st.Page(paths.PAGE_STORE, title="Store drill-down", icon=":material/store:"),
    st.Page(paths.PAGE_DATA, title="Data", icon=":material/database:"),
    st.Page(paths.PAGE_ALERTS, title="Alerts", icon=":material/notifications:"),
    # pages/status_page.py, not status.py: /status is the API's address.
    st.Page(paths.PAGE_STATUS, title="Status page", icon=":material/calendar_view_month:"),
]
page = st.navigation(pages)

# Under serve.py the services run already; under `streamlit run app.py` or AppTest this
# starts them (once per process and settings).
caches.services()
access.render_identity()
sidebar.render_sidebar()
sidebar.render_sample_banner()
caches.warm_current()

page.run()
