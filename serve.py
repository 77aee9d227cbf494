"""The entry point: ``streamlit run serve.py`` serves the dashboard and the HTTP API together.

Streamlit 1.67 recognises a script that assigns ``st.App(...)`` and hands it to uvicorn: this
module is then *imported* once as a plain module, and ``app.py`` runs per browser session as
usual. The App lives here rather than in ``app.py`` because, there, that import would execute
every ``st.*`` call outside a session and print "missing ScriptRunContext" warnings.

Settings are read once, here (``loop_core.config``); the lifespan starts the services with
the server (``ui.lifecycle``: database, first-start sample, hourly sync, cache warm-up) and
stops them when it shuts down. The API routes (``loop_core.api``) share this process, and
so its DuckDB connection, with the dashboard.

Sign-in (``st.login``) reads ``[auth]`` from Streamlit's secrets, so Streamlit is pointed at
the one secrets file the settings came from (``LOOP_SECRETS``). The server binds where
``.streamlit/config.toml`` says (127.0.0.1); one that listens further without sign-in says
so in its log.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st
from streamlit import config as st_config

from loop_core import api, config, db
from loop_core.errors import LoopCoreError
from ui import access, lifecycle

DASHBOARD = Path(__file__).resolve().with_name("app.py")

try:
    SETTINGS = config.load()
    # Opened here, before the server announces itself: a file that another process holds
    # (or a cap DuckDB refuses) ends the start with one line. The lifespan reuses it.
    db.connect(SETTINGS.db_path, memory_limit=SETTINGS.memory_limit)
except LoopCoreError as e:  # one line naming the key or the file, not a traceback
    print(f"Store Uptime Monitor cannot start: {e}", file=sys.stderr)
    sys.exit(2)
# Read by the lifespan (prepare_streamlit_environment), which runs after this import.
st_config.set_option("secrets.files", [str(SETTINGS.secrets_path)], "serve.py (LOOP_SECRETS)")
ADDRESS = st_config.get_option("server.address")
if not SETTINGS.access.sign_in and not access.is_loopback(ADDRESS):
    print(f"Store Uptime Monitor: sign-in is not configured, yet the server listens on "
          f"{ADDRESS or 'every interface'}: anyone who reaches it can see and change the "
          "data. Configure [auth] first (README: Exposing the dashboard).", file=sys.stderr)

app = st.App(
    DASHBOARD,
    routes=api.routes(lambda: lifecycle.current().con, tokens=SETTINGS.access.tokens,
                      reports=SETTINGS.reports,
                      default_target_pct=SETTINGS.targets.default_uptime_pct),
    lifespan=lifecycle.lifespan(SETTINGS),
)

if __name__ == "__main__":
    app.run()
