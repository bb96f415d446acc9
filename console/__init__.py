"""The staff console: transcripts, corrections, customer 360, the live hand-off inbox and metrics (aiohttp)."""
