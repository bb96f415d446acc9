"""What the console needs to know, from the command line and the environment.

| setting | environment | default |
| --- | --- | --- |
| port | `KELIAN_CONSOLE_PORT` | 8085 |
| CRM database | `CRM_DATABASE_URL` | `var/crm.db` |
| Rasa server | `KELIAN_RASA_URL` (or `KELIAN_RASA_PORT`) | http://127.0.0.1:5005 |
| Rasa API token | `KELIAN_RASA_TOKEN` | `var/rasa-token` |
| secure cookies | `KELIAN_CONSOLE_SECURE_COOKIES` (`0` for plain-http development off localhost) | on |
| signing key (login form) | `KELIAN_CONSOLE_SECRET` | `var/console-secret`, generated (mode 600) |
| time zone of dates shown | `KELIAN_CONSOLE_TZ` | Asia/Shanghai |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8085
FALSE_WORDS = {"0", "false", "no", "off"}


def _var_dir() -> Path:
    return Path(os.environ.get("KELIAN_VAR", ROOT / "var")).resolve()


def _rasa_url() -> str:
    url = os.environ.get("KELIAN_RASA_URL")
    if url:
        return url.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('KELIAN_RASA_PORT', '5005')}"


def _recommender_path() -> Path:
    return Path(os.environ.get("RECOMMENDER_DIR", ROOT / "var" / "recommender"))


@dataclass(frozen=True)
class ConsoleConfig:
    host: str = "127.0.0.1"
    port: int = field(default_factory=lambda: int(os.environ.get("KELIAN_CONSOLE_PORT", DEFAULT_PORT)))
    database_url: str | None = None  # None: CRM_DATABASE_URL, else var/crm.db
    rasa_url: str = field(default_factory=_rasa_url)
    rasa_token: str | None = None  # None: KELIAN_RASA_TOKEN, else var/rasa-token
    var_dir: Path = field(default_factory=_var_dir)
    secure_cookies: bool = field(
        default_factory=lambda: os.environ.get("KELIAN_CONSOLE_SECURE_COOKIES", "1").strip().lower() not in FALSE_WORDS
    )
    timezone: str = field(default_factory=lambda: os.environ.get("KELIAN_CONSOLE_TZ", "Asia/Shanghai"))
    domain_dir: Path = ROOT / "bot" / "domain"
    nlu_dir: Path = ROOT / "data" / "rasa" / "nlu"
    # The Rasa server's models (`rasa run --model models`): where a retrained model is activated.
    models_dir: Path = ROOT / "models"
    # The assistant's own names of its intents, which the console shows staff too.
    intent_labels_path: Path = ROOT / "data" / "knowledge" / "intent_labels.yml"
    recommender_path: Path = field(default_factory=_recommender_path)
    # A session ends after this long without a request, and in any case this long after sign-in.
    idle_minutes: int = 60
    absolute_hours: int = 12

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def api_token(self) -> str | None:
        """The Rasa server's API token; None when there is none (the console then cannot reach Rasa)."""
        if self.rasa_token:
            return self.rasa_token
        token = os.environ.get("KELIAN_RASA_TOKEN")
        if token:
            return token
        path = self.var_dir / "rasa-token"
        return path.read_text().strip() if path.exists() else None

    def secret(self) -> bytes:
        """The key that signs the login form's CSRF token: `KELIAN_CONSOLE_SECRET`, else a random one made once
        into var/console-secret, readable by its owner only."""
        value = os.environ.get("KELIAN_CONSOLE_SECRET")
        if value:
            return value.encode()
        path = self.var_dir / "console-secret"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return path.read_text().strip().encode()
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        return path.read_text().strip().encode()
