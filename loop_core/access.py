"""Who may do what: the dashboard's roles and the API's named tokens (plain data and rules).

``loop_core.config`` builds an :class:`AccessConfig` from the settings; the dashboard asks it
which role a signed-in email has (``ui/access.py`` checks that role before every action),
and the HTTP API asks it which named token a request brought (``loop_core/api.py``).
Nothing here reads a setting or knows about Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """A dashboard user's role. A viewer sees everything and makes reports; an admin also
    changes data and alert settings."""

    VIEWER = "viewer"
    ADMIN = "admin"


class TokenRole(StrEnum):
    """An API token's role: ``read`` (get_report, status, incidents, healthz) or ``trigger``
    (also trigger_report)."""

    READ = "read"
    TRIGGER = "trigger"


@dataclass(frozen=True)
class ApiToken:
    """One named API token. The secret never appears in a repr (and so in no log)."""

    name: str
    role: TokenRole
    secret: str = field(repr=False)


DEFAULT_TOKEN_NAME = "default"
"""The name of the token given as ``LOOP_API_TOKEN`` / ``[api] token`` (role trigger)."""


@dataclass(frozen=True)
class AccessConfig:
    """Sign-in (on when secrets.toml has an ``[auth]`` section), who may sign in with which
    role (emails or domains), and the API's tokens."""

    sign_in: bool = False
    providers: tuple[str, ...] = ()  # named [auth.<provider>] sections; () = the default one
    admins: tuple[str, ...] = ()  # lower-case emails, or domains written "@example.com"
    viewers: tuple[str, ...] = ()
    tokens: tuple[ApiToken, ...] = ()

    def role_for(self, email: str | None) -> Role | None:
        """The role of a signed-in ``email``, or None when it is on no list (refused)."""
        if not email:
            return None
        if _listed(email, self.admins):
            return Role.ADMIN
        if _listed(email, self.viewers):
            return Role.VIEWER
        return None

    def token_for(self, offered: str) -> ApiToken | None:
        """The configured token equal to ``offered``, or None. Every token is compared, in
        constant time over equal-length digests, so neither the timing nor an early exit
        tells how much of a guess was right or which token came close."""
        digest = hashlib.sha256(offered.encode()).digest()
        found = None
        for token in self.tokens:
            if hmac.compare_digest(digest, hashlib.sha256(token.secret.encode()).digest()):
                found = token
        return found


def _listed(email: str, entries: tuple[str, ...]) -> bool:
    address = email.strip().lower()
    domain = "@" + address.rpartition("@")[2]
    return any(entry in (address, domain) for entry in entries)


def normalise_entry(entry: str) -> str:
    """An allow-list entry as :meth:`AccessConfig.role_for` compares it: an email as is, a
    domain (``example.com`` or ``@example.com``) as ``@example.com``; lower case."""
    text = entry.strip().lower()
    if "@" in text[1:]:
        return text
    return "@" + text.lstrip("@")
