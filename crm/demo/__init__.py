"""The demo shop: a deterministic, bilingual shop generated into an empty CRM database (`python -m crm
demo`, the tests' fixtures, the benchmarks).

`generator` builds the shop (catalogue, customers, a year of behaviour, orders, support); `vocabulary`
holds the words its product names and descriptions are built from (brands, features, kinds; not a
catalogue: the generator composes one from them); `people` holds its customers' invented names, places
and phrases. What callers use is importable from `crm.demo`.
"""

from __future__ import annotations

from crm.demo.generator import (
    ALICE,
    DEMO_QUICK_REPLIES,
    LI,
    WELL_KNOWN_PEOPLE,
    DemoConfig,
    DemoSummary,
    generate,
)

__all__ = ["ALICE", "DEMO_QUICK_REPLIES", "LI", "WELL_KNOWN_PEOPLE", "DemoConfig", "DemoSummary", "generate"]
