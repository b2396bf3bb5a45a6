"""Idempotent creates: models (the key table), service (claiming keys, framework-free) and replay (the
web edge that answers a retry with the first response)."""
