"""The domain facts the contract states as `x-` extensions are the backend's own constants.

The web app takes the same facts from the contract (`frontend/scripts/after-generate.mjs` writes
`src/client/contract-facts.gen.ts`), so neither side restates them by hand without this failing.
"""

from __future__ import annotations

from datetime import date

import yaml

from consumo.config import SPEC_PATH
from consumo.consumptions.models import UNIT_BY_KIND
from consumo.consumptions.service import MAX_PERIOD_DAYS
from consumo.days import FIRST_DAY, LAST_DAY
from consumo.kpis.service import MAX_DAY_BUCKETS
from consumo.meters.models import RECORD_KINDS_BY_METER_KIND

SPEC = yaml.safe_load(SPEC_PATH.read_text())
SCHEMAS = SPEC["components"]["schemas"]


def test_the_unit_of_each_kind():
    assert SCHEMAS["ConsumptionKind"]["x-unit-by-kind"] == dict(UNIT_BY_KIND)
    assert set(UNIT_BY_KIND) == set(SCHEMAS["ConsumptionKind"]["enum"])


def test_the_record_kinds_of_each_meter_kind():
    stated = SCHEMAS["MeterKind"]["x-record-kinds-by-meter-kind"]
    assert {kind: list(kinds) for kind, kinds in RECORD_KINDS_BY_METER_KIND.items()} == stated
    assert set(stated) == set(SCHEMAS["MeterKind"]["enum"])


def test_the_longest_period_and_the_most_day_buckets():
    assert SCHEMAS["ConsumptionCreate"]["x-max-period-days"] == MAX_PERIOD_DAYS
    interval = next(p for p in SPEC["paths"]["/kpis/timeseries"]["get"]["parameters"] if p.get("name") == "interval")
    assert interval["x-max-day-buckets"] == MAX_DAY_BUCKETS


def test_the_day_bounds_are_those_the_days_pattern_allows():
    day = SCHEMAS["Day"]
    assert (str(day["x-first-day"]), str(day["x-last-day"])) == ("2000-01-01", "2100-12-31")
    assert (FIRST_DAY.isoformat(), LAST_DAY.isoformat()) == ("2000-01-01", "2100-12-31")
    assert date.fromisoformat(str(day["x-first-day"])) < date.fromisoformat(str(day["x-last-day"]))
