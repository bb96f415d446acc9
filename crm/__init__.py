"""Kelian's CRM store: the customer database every other part of the assistant reads and writes.

`crm.repository` (typed reads and writes for the bot and the console), `crm.export` (the
recommender's only entry point), `crm.privacy` (masking, consent, erasure, audit), `crm.segments`
with `crm.churn` and `crm.clv` (scores), `crm.metrics`, `crm.demo` (the demo shop generator) and `python -m
crm` (the commands). See docs/crm.md.
"""
