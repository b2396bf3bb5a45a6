"""Redis is configured (`REDIS_URL`) but nothing answers there.

Documented degradation (consumo/ratelimit.py): the limiter falls back to per-process
memory limits rather than failing requests. Logins and registrations keep working,
quickly, and brute force is still stopped with 429; only the sharing of counters between
API processes is lost until Redis returns. Failing closed (refusing every login while
Redis is down) would turn a cache outage into a full outage; failing open (no limits)
would hand brute-forcers a window, so neither is chosen.
"""

from __future__ import annotations

import time

import httpx

from conftest import PASSWORD, ApiServer, free_port, register_and_login

LIMIT = 5


def test_with_redis_down_logins_work_and_are_still_rate_limited_in_memory(start_api):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"  # a free port: nothing listens there
    api: ApiServer = start_api(
        REDIS_URL=dead_redis,
        LOGIN_RATE_LIMIT=f"{LIMIT}/minute",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        REGISTER_RATE_LIMIT=f"{LIMIT}/minute",
    )
    assert api.env["REDIS_URL"] == dead_redis

    # Registration and login work (each from its own forwarded address, so the
    # per-address limits of this test do not interfere with each other).
    register_and_login(api, "victim")
    with httpx.Client(base_url=api.base, timeout=10) as client:
        started = time.monotonic()
        ok = client.post(
            "/auth/login",
            json={"username": "victim", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.1"},
        )
        assert ok.status_code == 200, ok.text
        assert time.monotonic() - started < 2.0  # no waiting on Redis for every request
        assert ok.headers["RateLimit-Limit"] == str(LIMIT)

        # The API keeps serving everything else.
        token = ok.json()["access_token"]
        assert client.get("/user", headers={"Authorization": f"Bearer {token}"}).status_code == 200

        # Brute force against one username from many addresses is still stopped.
        guesses = [
            client.post(
                "/auth/login",
                json={"username": "victim", "password": "wrong guess"},
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
            )
            for i in range(LIMIT + 1)
        ]
        assert [g.status_code for g in guesses[:LIMIT]] == [401] * LIMIT
        blocked = guesses[LIMIT]
        assert blocked.status_code == 429, blocked.text
        assert blocked.headers["content-type"].startswith("application/problem+json")
        assert int(blocked.headers["Retry-After"]) >= 1

        # ...and so is one address spraying many usernames.
        sprayed = [
            client.post(
                "/auth/login",
                json={"username": f"someone{i}", "password": "guess"},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
            for i in range(LIMIT + 1)
        ]
        assert [s.status_code for s in sprayed[:LIMIT]] == [401] * LIMIT
        assert sprayed[LIMIT].status_code == 429

        # Another user, from another address, still logs in.
        register_and_login(api, "bystander")

    assert api.is_alive()
    assert "Traceback" not in api.log()


def test_with_redis_down_registration_is_still_limited_per_address(start_api):
    api: ApiServer = start_api(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        REGISTER_RATE_LIMIT=f"{LIMIT}/minute",
    )
    with httpx.Client(base_url=api.base, timeout=10) as client:
        answers = [
            client.post(
                "/auth/register",
                headers={"X-Forwarded-For": "198.51.100.9"},
                json={"username": f"new{i}", "email": f"new{i}@example.com", "password": PASSWORD},
            )
            for i in range(LIMIT + 1)
        ]
    assert [a.status_code for a in answers[:LIMIT]] == [201] * LIMIT
    assert answers[LIMIT].status_code == 429
    assert "Retry-After" in answers[LIMIT].headers
