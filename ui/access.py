"""Sign-in and roles on the dashboard (Streamlit side of ``loop_core.access``).

With sign-in on (an ``[auth]`` section in the secrets), :func:`gate` runs first in every
script run and stops it, before any page or data is drawn, until the visitor has signed in
with ``st.login`` under an email that ``[access]`` lists. :func:`require` is the server's
check before each action (``ui/caches.py`` calls it at the top of every action function):
a viewer whose session calls the upload handler anyway gets ``NotAllowedError``, whatever
buttons the page drew. Pages use :func:`can` only to leave out what would be refused.

With sign-in off there are no people: every session is ``local`` with the admin role, and
:func:`render_identity` says in the sidebar that the dashboard is open to anyone who
reaches it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

import streamlit as st
from streamlit import config as st_config

from loop_core import audit
from loop_core.access import AccessConfig, Role
from loop_core.errors import NotAllowedError
from ui import lifecycle
from ui.entry import guard
from ui.formatting import code_span


class Action(StrEnum):
    """What a session may ask the server to do; each names itself in a refusal."""

    REPORT = "generating a report"
    UPLOAD = "loading feed files"
    CONFIRM_SHRINK = "applying a held-back snapshot"
    SYNC_NOW = "starting a sync"
    TEST_ALERT = "sending a test alert"
    SEND_DIGEST = "sending the weekly digest"
    ALERT_SETTINGS = "seeing the alert settings"
    AUDIT_LOG = "seeing the audit log"


ADMIN_ONLY = frozenset(Action) - {Action.REPORT}


@dataclass(frozen=True)
class Identity:
    """Who this session is: ``actor`` (an email, or ``local`` without sign-in) for the
    audit log, and the role (None: not signed in, or not on any list)."""

    actor: str
    role: Role | None
    signed_in: bool


def _config() -> AccessConfig:
    with guard("Cannot start"):
        return lifecycle.ensure().settings.access


def identity() -> Identity:
    """This session's identity, from ``st.user`` and the ``[access]`` lists."""
    config = _config()
    if not config.sign_in:
        return Identity(audit.LOCAL, Role.ADMIN, signed_in=False)
    if not st.user.is_logged_in:
        return Identity("", None, signed_in=False)
    email = str(st.user.get("email") or "").strip().lower()
    # A provider that says the address is not verified has not proven it is theirs.
    verified = st.user.get("email_verified", True) is not False
    return Identity(email, config.role_for(email) if verified else None, signed_in=True)


def can(action: Action) -> bool:
    """Whether this session's role allows ``action`` (to leave out what would be refused)."""
    role = identity().role
    return role is Role.ADMIN or (role is Role.VIEWER and action not in ADMIN_ONLY)


def require(action: Action) -> Identity:
    """This session's identity if its role allows ``action``; else ``NotAllowedError``."""
    who = identity()
    if not can(action):
        held = f"{who.actor} has the role {who.role}" if who.role else "nobody is signed in"
        raise NotAllowedError(f"{action} needs the admin role; {held}")
    return who


def gate() -> None:
    """Stop the run before anything is shown unless this session may see the dashboard.
    Until then the only page is the sign-in page: no navigation lists the real ones."""
    who = identity()
    if who.role is not None:
        return
    page = st.Page(_signed_out if not who.signed_in else _refused, title="Sign in",
                   icon=":material/login:", url_path="sign-in")
    st.navigation([page], position="hidden").run()
    st.stop()


def _signed_out() -> None:
    st.title("Store Uptime Monitor")
    st.write("Sign in to see the dashboard.")
    for provider in _config().providers or (None,):
        label = "Sign in" if provider is None else f"Sign in with {provider}"
        if st.button(label, type="primary", icon=":material/login:",
                     key=f"access_sign_in_{provider}"):
            st.login(provider)  # None: the [auth] section itself


def _refused() -> None:
    st.title("Store Uptime Monitor")
    # The address comes from the provider: shown as text, never as markup.
    st.error(f"{code_span(identity().actor or 'This account')} may not use this dashboard. "
             "Ask an admin to add it to the access list.", icon=":material/block:")
    if st.button("Sign out", icon=":material/logout:", key="access_sign_out_refused"):
        st.logout()


def render_identity() -> None:
    """The sidebar's line about who is signed in, or that nobody needs to be."""
    who = identity()
    with st.sidebar:
        if who.signed_in:
            st.caption(f"Signed in as {code_span(who.actor)} ({who.role})")
            if st.button("Sign out", icon=":material/logout:", key="access_sign_out"):
                st.logout()
        elif is_loopback(st_config.get_option("server.address")):
            st.warning("Open to anyone on this machine: sign-in is not configured. Configure "
                       "it before exposing the dashboard (README).", icon=":material/lock_open:")
        else:
            st.warning("Open to anyone who can reach this server: sign-in is not configured "
                       "(README).", icon=":material/lock_open:")


def is_loopback(address: object) -> bool:
    """Whether Streamlit's ``server.address`` lets only this machine connect."""
    if address == "localhost":
        return True
    try:  # None (Streamlit's default) means every interface
        return ipaddress.ip_address(str(address)).is_loopback
    except ValueError:
        return False
