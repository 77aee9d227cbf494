"""The pages' entry point and error boundary (Streamlit side)."""

from __future__ import annotations

import logging
import re
import runpy
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import streamlit as st

from loop_core.errors import LoopCoreError
from ui.formatting import code_span
from ui.paths import APP_SCRIPT, PAGE_DATA

LOGGER = logging.getLogger(__name__)
# Characters that Markdown or Streamlit's directives could read as markup.
_MARKUP = re.compile(r"[\\`*_\[\]<>#|~$]|:[\w/-]+[:\[]")


def require_entry_point() -> None:
    """Make sure this page runs inside ``app.py`` (page config, sidebar, first start).

    Streamlit keeps a process-wide flag for apps with a ``pages/`` folder next to the main
    script and clears it only when ``st.navigation`` first runs. Until then a deep link on
    a freshly started server (``/store?store_id=…``) runs the page file alone, the old
    multipage way (AppTest does so too). Then this clears the flag and runs ``app.py`` in
    place, whose ``st.navigation`` runs this same page inside it, and stops the outer run.
    No rerun: a button click in this run is not lost. Each page calls this first; it does
    nothing once ``app.py`` has run anywhere in the process.

    No public API does this while the folder is called ``pages/`` (the agreed layout), so
    it reads ``PagesManager.uses_pages_directory``; ``tests/test_app_pages.py`` opens a
    page file directly and fails if a Streamlit upgrade breaks this. With sign-in
    configured, the page stops here first unless the session may see the dashboard.
    """
    from streamlit.runtime.pages_manager import PagesManager

    from ui import access  # imported here: ui.access uses this module's guard

    # However this script was reached, nothing of it runs before sign-in (when configured).
    access.gate()
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    runpy.run_path(str(APP_SCRIPT), run_name="__main__")
    st.stop()


def stop_without_polls(latest_poll: object) -> None:
    """End a page that needs polls with a pointer to the Data page when there are none."""
    if latest_poll is None:
        st.info("No polls yet: load the feeds (store status, business hours, timezones) on "
                "the Data page, or configure a sync source.", icon=":material/info:")
        st.page_link(PAGE_DATA, label="Open the Data page", icon=":material/database:")
        st.stop()


@contextmanager
def guard(what: str = "", *, stop: bool = True) -> Iterator[None]:
    """Turn engine errors into an ``st.error`` message (no traceback) and stop the page;
    with ``stop=False`` the rest of the ``with`` block is skipped and the page goes on.
    The message may quote data (ids, file names): it is shown as text, never as markup."""
    try:
        yield
    except LoopCoreError as e:
        _error(what, str(e))
        if stop:
            st.stop()
    except duckdb.Error as e:  # should be wrapped by the engine; never show a traceback
        LOGGER.exception("database error")
        _error(what, f"database error: {e}")
        if stop:
            st.stop()


def _error(what: str, message: str) -> None:
    text = f"{what}: {message}" if what else message
    st.error(code_span(text) if _MARKUP.search(text) else text, icon=":material/error:")
