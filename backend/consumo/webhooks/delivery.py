"""Sending one webhook: where it may go (SSRF), how it is signed, how long it may take.

The address is resolved at delivery time, every address it resolves to is checked, and the
connection is made to the checked address itself (the Host header and TLS name stay the
endpoint's), so a name that resolves to a public address when saved and to 127.0.0.1 later
(DNS rebinding) reaches nothing. Private, loopback, link-local (cloud metadata), shared,
multicast and reserved addresses are refused unless `WEBHOOK_ALLOWED_NETWORKS` lists them.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from consumo.config import get_settings

CONNECT_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 15.0
STORED_BODY_CHARS = 2048
USER_AGENT = "Consumo-Webhooks/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_ALWAYS_REFUSED = [ipaddress.ip_network(n) for n in ("100.64.0.0/10", "169.254.169.254/32", "fd00:ec2::254/128")]


class RefusedDestination(Exception):
    """The URL may not be called (scheme, or an address in a refused network)."""


class UnresolvedHost(RefusedDestination):
    """The host name does not resolve (now)."""


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = get_settings().webhook_allowed_networks
    return [ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()]


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in allowed_networks()):
        return True
    # `is_global` holds for global-scope multicast (224.0.0.0/4 in part, ff0e::/16) and for
    # 233.252.0.0/24-style blocks: a webhook is one host's HTTP server, never a group.
    if address.is_multicast:
        return False
    return address.is_global and not any(address in network for network in _ALWAYS_REFUSED)


def resolve_checked(url: str) -> tuple[str, IPAddress, int]:
    """(host name, the checked address to connect to, port) of `url`, or RefusedDestination."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed IPv6 literal, a port that is not a number or out of range
        raise RefusedDestination("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination("Only http and https URLs with a host are delivered to.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHost(f"The host {parts.hostname} does not resolve.") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    refused = [str(a) for a in addresses if not is_public(a)]
    if not addresses or refused:
        raise RefusedDestination(
            f"The host {parts.hostname} resolves to a private, loopback, link-local, multicast or reserved address "
            f"({', '.join(refused) or 'none'}); such addresses are not delivered to."
        )
    return parts.hostname, addresses[0], port


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    body: str | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(secrets: list[str], event_id: str, at: datetime, body: str) -> dict[str, str]:
    """Standard Webhooks 1.0 headers; one signature per current secret (two during a rotation)."""
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def send(url: str, secrets: list[str], event_id: str, payload: dict[str, object]) -> Outcome:
    """POST `payload` to `url`, signed; never raises for the receiver's or the network's faults."""
    started = time.monotonic()
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        host, address, port = resolve_checked(url)
    except RefusedDestination as exc:
        return Outcome(None, 0, None, str(exc)[:500])
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    headers = {
        **signed_headers(secrets, event_id, datetime.now(UTC), body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": parts.netloc.rpartition("@")[2],
    }
    timeout = httpx.Timeout(TOTAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request("POST", pinned, content=body.encode(), headers=headers)
            request.extensions["sni_hostname"] = host
            response = client.send(request, stream=True)
            try:
                received = bytearray()
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) > STORED_BODY_CHARS * 4 or time.monotonic() - started > TOTAL_TIMEOUT_S:
                        break
            finally:
                response.close()
            text = received.decode("utf-8", errors="replace")[:STORED_BODY_CHARS]
            elapsed = int((time.monotonic() - started) * 1000)
            error = None
            if response.is_redirect:
                error = "The endpoint answered with a redirect; redirects are not followed."
            elif not response.is_success:
                error = f"The endpoint answered {response.status_code}."
            return Outcome(response.status_code, elapsed, text, error)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(None, elapsed, None, f"{type(exc).__name__}: {exc}"[:500])
