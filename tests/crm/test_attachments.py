"""Attachments: files named by random ids outside the database, and the rows that tie them to a conversation
(on SQLite and PostgreSQL), with the hourly bound on a customer's uploads."""

from __future__ import annotations

import io
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from crm.attachment_store import AttachmentStore, default_dir, valid_file_id
from crm.errors import NotFound
from crm.images import CleanImage, clean
from crm.models import AttachmentUploader
from crm.privacy import erase_customer
from crm.repository import create_customer, open_conversation
from crm.repository.attachments import (
    MAX_PER_HOUR,
    add_attachment,
    attachment_by_file,
    attachment_of_sender,
    conversation_attachments,
    uploads_in_last_hour,
)

NOW = datetime(2026, 5, 1, 10, tzinfo=timezone.utc)


def image(colour: tuple[int, int, int] = (10, 120, 200)) -> CleanImage:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), colour).save(out, "PNG")
    return clean(out.getvalue())


def test_the_store_names_files_by_random_ids_readable_by_their_owner_only(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    first, second = store.save(image()), store.save(image())
    assert first != second and valid_file_id(first)
    path = store.path(first, "image/png")
    assert path.name == f"{first}.png" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.read(first, "image/png") == image().data
    assert store.read("0" * 32, "image/png") is None
    store.delete(first, "image/png")
    assert store.read(first, "image/png") is None


@pytest.mark.parametrize("file_id", ["../../etc/passwd", "A" * 32, "0" * 31, "", "0" * 32 + "/x"])
def test_nothing_but_an_id_reaches_the_file_system(tmp_path: Path, file_id: str) -> None:
    store = AttachmentStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(file_id, "image/png")
    assert store.read(file_id, "image/png") is None
    with pytest.raises(ValueError):
        store.path("0" * 32, "text/html")


def test_the_directory_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KELIAN_ATTACHMENTS_DIR", raising=False)
    assert default_dir(tmp_path) == tmp_path / "attachments"
    monkeypatch.setenv("KELIAN_ATTACHMENTS_DIR", str(tmp_path / "elsewhere"))
    assert default_dir(tmp_path) == tmp_path / "elsewhere"


def test_a_row_links_the_image_to_the_conversation_and_customer(session: Session) -> None:
    customer = create_customer(session, name="Att Tester", identities=[("web", "att-user-1")])
    conversation = open_conversation(session, "web", "att-user-1", customer_id=customer.id, now=NOW)
    picture = image()
    saved = add_attachment(
        session,
        file_id="a" * 32,
        image=picture,
        channel="web",
        sender_id="att-user-1",
        uploader=AttachmentUploader.CUSTOMER,
        now=NOW + timedelta(minutes=1),
    )
    assert (saved.conversation_id, saved.customer_id) == (conversation, customer.id)
    assert (saved.media_type, saved.size, saved.width, saved.height) == ("image/png", len(picture.data), 20, 10)
    assert saved.sha256 == picture.sha256
    assert attachment_by_file(session, "a" * 32).id == saved.id
    assert attachment_of_sender(session, "a" * 32, "web", "att-user-1").id == saved.id
    with pytest.raises(NotFound):
        attachment_of_sender(session, "a" * 32, "web", "someone-else")
    with pytest.raises(NotFound):
        attachment_of_sender(session, "a" * 32, "wechat", "att-user-1")
    assert [a.id for a in conversation_attachments(session, conversation)] == [saved.id]


def test_an_image_sent_before_the_crm_knew_the_conversation_still_shows_with_it(session: Session) -> None:
    early = add_attachment(
        session,
        file_id="b" * 32,
        image=image(),
        channel="wechat",
        sender_id="wx-att-early",
        uploader=AttachmentUploader.CUSTOMER,
        now=NOW,
    )
    assert early.conversation_id is None and early.customer_id is None
    conversation = open_conversation(session, "wechat", "wx-att-early", now=NOW + timedelta(seconds=30))
    other = open_conversation(session, "wechat", "wx-att-other", now=NOW)
    assert [a.file_id for a in conversation_attachments(session, conversation)] == ["b" * 32]
    assert conversation_attachments(session, other) == []


def test_a_customer_sends_at_most_so_many_images_an_hour(session: Session) -> None:
    for n in range(3):
        add_attachment(
            session,
            file_id=f"{n:032x}",
            image=image(),
            channel="web",
            sender_id="guest-0123456789abcdef",
            uploader=AttachmentUploader.CUSTOMER,
            now=NOW - timedelta(minutes=50 + 8 * n),  # 50, 58 and 66 minutes ago
        )
    add_attachment(
        session,
        file_id="c" * 32,
        image=image(),
        channel="web",
        sender_id="guest-0123456789abcdef",
        uploader=AttachmentUploader.AGENT,
        agent="mei",
        now=NOW,
    )
    assert uploads_in_last_hour(session, "web", "guest-0123456789abcdef", now=NOW) == 2  # agents' not counted
    assert uploads_in_last_hour(session, "wechat", "guest-0123456789abcdef", now=NOW) == 0
    assert MAX_PER_HOUR >= 5


def test_erasing_a_customer_deletes_their_images_rows_and_files(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KELIAN_ATTACHMENTS_DIR", str(tmp_path))
    store = AttachmentStore()
    customer = create_customer(session, name="Erase Me", identities=[("wechat", "wx-att-erase")])
    conversation = open_conversation(session, "wechat", "wx-att-erase", customer_id=customer.id, now=NOW)
    picture = image()
    theirs = [store.save(picture), store.save(picture)]
    for file_id, uploader in zip(theirs, (AttachmentUploader.CUSTOMER, AttachmentUploader.AGENT)):
        add_attachment(
            session,
            file_id=file_id,
            image=picture,
            channel="wechat",
            sender_id="wx-att-erase",
            uploader=uploader,
            agent="mei" if uploader == AttachmentUploader.AGENT else None,
            now=NOW,
        )
    someone_else = store.save(picture)
    add_attachment(
        session,
        file_id=someone_else,
        image=picture,
        channel="wechat",
        sender_id="wx-att-keep",
        uploader=AttachmentUploader.CUSTOMER,
        now=NOW,
    )
    report = erase_customer(session, customer.id, actor="dpo")
    assert report.attachments_deleted == 2
    assert conversation_attachments(session, conversation) == []
    assert all(store.read(file_id, "image/png") is None for file_id in theirs)
    assert store.read(someone_else, "image/png") == picture.data
    assert attachment_of_sender(session, someone_else, "wechat", "wx-att-keep").file_id == someone_else
