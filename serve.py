"""The entry point: ``streamlit run serve.py`` serves the dashboard and the HTTP API together.

Streamlit 1.67 recognises a script that assigns ``st.App(...)`` and hands it to uvicorn: this
module is then *imported* once as a plain module, and ``app.py`` runs per browser session as
usual. The App lives here rather than in ``app.py`` because, there, that import would execute
every ``st.*`` call outside a session and print "missing ScriptRunContext" warnings.

The API routes (``loop_core.api``) share this process, and so its DuckDB connection,
with the dashboard. ``[api] token`` in ``.streamlit/secrets.toml`` or ``$LOOP_API_TOKEN``
turns token protection on (the variable wins).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from loop_core import api, bootstrap, db

DASHBOARD = Path(__file__).resolve().with_name("app.py")


def api_token() -> str | None:
    """The API token: ``$LOOP_API_TOKEN``, else ``[api] token`` in secrets, else None (open)."""
    from_env = os.environ.get("LOOP_API_TOKEN", "").strip()
    if from_env:
        return from_env
    try:
        section = st.secrets.get("api") or {}
    except StreamlitSecretNotFoundError:  # no secrets.toml at all: the API stays open
        return None
    token = section.get("token")
    if token is None:
        return None
    return str(token).strip() or None


# First start happens here too, not only on the first page view: an API caller must not
# find an empty database just because nobody has opened the dashboard yet.
bootstrap.ensure_sample_data(db.connect())

app = st.App(DASHBOARD, routes=api.routes(db.connect, token=api_token()))

if __name__ == "__main__":
    app.run()
