"""Hooks for `st run` (`make fuzz`): the contract's own formats, as the in-process run has them."""

from hypothesis import strategies as st
import schemathesis

from consumo.currencies import ISO_4217

schemathesis.openapi.format("iso-4217", st.sampled_from(sorted(ISO_4217)))
