"""Custom Rasa channel connectors, registered in bot/credentials.yml by their dotted paths.

Keep this file free of imports: `python -m devstack web-token` (services environment, no Rasa)
imports `bot.channels.web_auth` through it."""
