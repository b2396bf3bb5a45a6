"""Who is calling, as the domain sees it: a plain value, no web framework. The web edge makes it
from the verified token (`consumo.security.caller.current_caller`); a worker or a CLI could too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

READ_TENANT_ROLES = frozenset({"owner", "admin", "viewer"})
WRITE_ROLES = frozenset({"owner", "admin", "member"})


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    role: str
    time_zone: str = "UTC"
    default_currency: str = "EUR"  # the tenant's, for records and meters created without one
    api_token_id: uuid.UUID | None = None  # set when the call is authenticated by a personal API token

    def today(self) -> date:
        """Today in the tenant's time zone (UTC if the stored zone is unknown here)."""
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return datetime.now(zone).date()

    @property
    def can_read_tenant(self) -> bool:
        return self.role in READ_TENANT_ROLES

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES
