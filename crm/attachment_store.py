"""Where attachment files live: one directory outside the database (`KELIAN_ATTACHMENTS_DIR`, else
`<var>/attachments`), each file named by a random 128-bit id plus the extension of its type. The id is the
only name a file ever has; nothing a client sent (a file name, a path) reaches the file system.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from crm.images import MEDIA_TYPES, CleanImage

DIR_ENV = "KELIAN_ATTACHMENTS_DIR"
FILE_ID = re.compile(r"[0-9a-f]{32}")


def default_dir(var_dir: Path | None = None) -> Path:
    """`KELIAN_ATTACHMENTS_DIR`, else `attachments` in the var directory (`var_dir`, else `KELIAN_VAR`, else var/)."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    var = var_dir or Path(os.environ.get("KELIAN_VAR", Path(__file__).resolve().parents[1] / "var"))
    return var / "attachments"


def valid_file_id(file_id: object) -> bool:
    return isinstance(file_id, str) and FILE_ID.fullmatch(file_id) is not None


class AttachmentStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_dir()

    def path(self, file_id: str, media_type: str) -> Path:
        if not valid_file_id(file_id) or media_type not in MEDIA_TYPES:
            raise ValueError("not an attachment id / type")
        return self.directory / f"{file_id}.{MEDIA_TYPES[media_type]}"

    def save(self, image: CleanImage) -> str:
        """Writes the image under a new random id (readable by this user only) and returns the id."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_id = secrets.token_hex(16)
        path = self.path(file_id, image.media_type)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(image.data)
        return file_id

    def read(self, file_id: str, media_type: str) -> bytes | None:
        try:
            return self.path(file_id, media_type).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, file_id: str, media_type: str) -> None:
        try:
            self.path(file_id, media_type).unlink(missing_ok=True)
        except ValueError:
            pass
