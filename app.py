"""Store Uptime Monitor: the dashboard's entry point (``streamlit run app.py``).

Sets up the page, loads sample data on a first start, shows data freshness in the
sidebar and hands over to the page the user picked. The pages live in ``pages/``.
"""

from __future__ import annotations

import streamlit as st

import ui_common

st.set_page_config(
    page_title="Store Uptime Monitor",
    page_icon=":material/storefront:",
    layout="wide",
)

pages = [
    st.Page(ui_common.PAGE_REPORTS, title="Reports", icon=":material/summarize:", default=True),
    st.Page(ui_common.PAGE_FLEET, title="Fleet overview", icon=":material/monitoring:"),
    st.Page(ui_common.PAGE_STORE, title="Store drill-down", icon=":material/store:"),
    st.Page(ui_common.PAGE_DATA, title="Data", icon=":material/database:"),
]
page = st.navigation(pages)

ui_common.get_con()
ui_common.first_start()
ui_common.sync_scheduler()
ui_common.render_sidebar()
ui_common.render_sample_banner()
ui_common.warm_caches()

page.run()
