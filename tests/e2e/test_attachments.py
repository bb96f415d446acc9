"""Attachments (#16 item 6) end to end, against the whole stack: a web customer's photo (with a GPS position
in its EXIF) reaches the agent in the console without it; what is not an acceptable image is refused on the
page in both languages; a WeChat image message comes through the (fake) media API to the console; an agent's
image goes back to the web page and, through the media API, to WeChat. The console and the chat page run in
headless Chromium, the console in both of its languages.

Every wait is Playwright's auto-waiting or a poll of what the stack writes; no sleep, no timing assertion."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import issue_user_token, new_guest, sign_guest, web_secret
from crm.models import Attachment, AttachmentUploader
from crm.repository import add_identity, find_customer
from crm.repository.conversations import sender_key
from devstack.stack import Stack
from kelian.attachments import METADATA_KEY
from console.accounts import create_user
from tests.e2e.test_console import PASSWORD, _handoff_of, account, eventually, sign_in, take, write
from tests.e2e.test_wechat import WeChatServer, user_events
from tests.e2e.webchat_page import Chat
from tests.e2e.wechat_fake import FakeWeChatApi

pytestmark = pytest.mark.e2e

GPS_IFD = 0x8825


def photo(colour: tuple[int, int, int], *, gps: bool = False, size: tuple[int, int] = (120, 90)) -> bytes:
    """A JPEG as a phone takes it: with the phone's make and, when asked, where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "KelianPhone"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 0.5), 3: "E", 4: (121.0, 28.0, 0.2)}
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def saved(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def attachments_of(crm: sessionmaker[Session], channel: str, sender: str) -> list[Attachment]:
    with crm() as session:
        key = sender_key(channel, sender)
        return list(session.scalars(select(Attachment).where(Attachment.sender_key == key).order_by(Attachment.id)))


def loaded(page: Page, selector: str) -> None:
    """The image is not only in the page but drawn: the browser fetched and decoded it."""
    image = page.locator(selector)
    expect(image).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def without_exif(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0 and b"KelianPhone" not in data
    return image


# --- the web page ---------------------------------------------------------------------------------------------


def test_a_web_customers_photo_reaches_the_agent_without_exif_and_the_agents_image_comes_back(
    browser: Browser, context: BrowserContext, stack: Stack, crm: sessionmaker[Session], tmp_path: Path
) -> None:
    user = f"e2e-att-{uuid.uuid4().hex[:8]}"
    write(crm, lambda session: add_identity(session, find_customer(session, "rest", "demo-li").id, "web", user))
    chat = Chat(context.new_page(), stack).open(issue_user_token(user, web_secret(var_dir=stack.config.var_dir)))
    assert "expected wait" in chat.say("i want to talk to a real person")
    handoff_id = eventually(lambda: _handoff_of(crm, "web", user), "hand-off in the CRM queue")
    console = sign_in(context.new_page(), stack, account(crm, "agent"))
    take(console, stack, handoff_id)
    console.fill("#reply-text", "Could you send me a photo of the damaged item?")
    console.click("#reply button[type=submit]")
    expect(chat.page.locator(".message.agent .bubble").last).to_contain_text("photo of the damaged item")

    # The customer: the photo button, a phone photo with its GPS position.
    chat.page.set_input_files("#photo", str(saved(tmp_path / "damaged.jpg", photo((200, 40, 40), gps=True))))
    loaded(chat.page, ".message.user.photo img")
    stored = eventually(lambda: attachments_of(crm, "web", user), "the photo in the CRM")
    [attachment] = stored
    assert attachment.uploader == AttachmentUploader.CUSTOMER and attachment.media_type == "image/jpeg"
    assert attachment.conversation_id is not None and attachment.customer_id is not None
    eventually(  # with the agent: the customer's latest message in the tracker (a moment after the CRM row)
        lambda: (user_events(stack, user)[-1].get("metadata") or {}).get(METADATA_KEY) == attachment.file_id,
        "the photo in the tracker",
    )
    assert not (chat.page.locator(".upload-error").count())

    # The agent sees it in the live exchange and in the images panel; what staff get has no EXIF.
    live_image = f"#live img[src='/attachments/{attachment.file_id}']"
    loaded(console, live_image)  # the live exchange polls; the images panel is the page's own: load it again
    console.reload()
    loaded(console, f"#attachments img[src='/attachments/{attachment.file_id}']")
    served = console.request.get(f"{stack.config.console_url}/attachments/{attachment.file_id}")
    assert served.ok and served.headers["x-content-type-options"] == "nosniff"
    assert without_exif(served.body()).size == (120, 90)
    assert requests.get(f"{stack.config.console_url}/attachments/{attachment.file_id}", timeout=30).url.endswith(
        f"/login?next=/attachments/{attachment.file_id}"
    )  # nobody else

    # The agent answers with an image; the customer's page shows it, under the agent's name.
    console.set_input_files("#image-file", str(saved(tmp_path / "label.jpg", photo((20, 160, 60)))))
    console.click("#send-image button[type=submit]")
    expect(console.locator("#send-image-status")).to_have_text("Image sent.")
    loaded(chat.page, ".message.agent img.sent-image")
    expect(chat.page.locator(".message.agent").last.locator(".agent-name")).not_to_be_empty()
    [sent] = [a for a in attachments_of(crm, "web", user) if a.uploader == AttachmentUploader.AGENT]
    loaded(console, f"#live img[src='/attachments/{sent.file_id}']")  # in the live exchange, as the agent's
    src = chat.page.locator(".message.agent img.sent-image").get_attribute("src") or ""
    assert src.startswith("/webhooks/web/attachments/")
    elsewhere = requests.get(f"{stack.config.rasa_url}{src[:-3]}xyz", timeout=30)  # a link not signed: nothing
    assert elsewhere.status_code == 404

    # A Chinese-speaking supervisor reads the same page in Chinese.
    chinese = f"e2e-zh-{uuid.uuid4().hex[:6]}"
    write(crm, lambda session: create_user(session, chinese, PASSWORD, "supervisor", language="zh"))
    own_browser = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # signed out
    page = sign_in(own_browser.new_page(), stack, chinese, f"/handoffs/{handoff_id}")
    expect(page.locator("#attachments h2")).to_have_text("图片(2 张)")
    expect(page.locator("#attachments .meta").first).to_contain_text("客户发送")
    loaded(page, f"#attachments img[src='/attachments/{attachment.file_id}']")
    own_browser.close()
    console.click("form.handback button[type=submit]")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_what_is_not_an_acceptable_photo_is_refused_politely_on_the_page(
    context: BrowserContext, stack: Stack, crm: sessionmaker[Session], tmp_path: Path, language: str
) -> None:
    chat = Chat(context.new_page(), stack).open(lang=language)
    guest = chat.sender
    notes = {
        "en": ("isn't an image we can take", "too large (5 MB at most)", "too big in pixels"),
        "zh": ("不是我们能接收的图片", "图片太大了", "图片尺寸太大了"),
    }[language]
    chat.page.set_input_files("#photo", str(saved(tmp_path / "invoice.jpg", b"%PDF-1.7 an invoice, not a photo")))
    expect(chat.page.locator(".upload-error").last).to_contain_text(notes[0])
    big = b"\xff\xd8\xff\xe0" + b"\0" * (5 * 1024 * 1024 + 10)
    chat.page.set_input_files("#photo", str(saved(tmp_path / "huge.jpg", big)))
    expect(chat.page.locator(".upload-error").last).to_contain_text(notes[1])
    chat.page.set_input_files("#photo", str(saved(tmp_path / "bomb.png", _bomb_png(20_000, 20_000))))
    expect(chat.page.locator(".upload-error").last).to_contain_text(notes[2])
    expect(chat.page.locator(".upload-error")).to_have_count(3)
    # The other language's words after switching: the page's notes follow it.
    other = "zh" if language == "en" else "en"
    chat.page.click(f"[data-lang={other}]")
    expect(chat.page.locator(".upload-error").first).not_to_contain_text(notes[0])
    assert attachments_of(crm, "web", guest) == []

    # Outside a hand-off a good photo is kept and acknowledged, with no turn of the bot.
    chat.page.set_input_files("#photo", str(saved(tmp_path / "ok.png", _png())))
    expect(chat.page.locator(".message.bot").last).to_contain_text("收到您的图片了")
    assert len(eventually(lambda: attachments_of(crm, "web", guest), "the photo in the CRM")) == 1


def test_an_upload_needs_a_signed_identity(stack: Stack) -> None:
    url = f"{stack.config.rasa_url}/webhooks/web/attachments"
    secret = web_secret(var_dir=stack.config.var_dir)
    for headers in ({}, {"X-Kelian-Guest": "guest-0123456789abcdef.forged"}, {"Authorization": "Bearer not.a.token"}):
        answer = requests.post(url, data=_png(), headers=headers, timeout=60)
        assert answer.status_code == 401 and answer.json() == {"ok": False, "error": "unauthorized"}
    signed = {"X-Kelian-Guest": sign_guest(new_guest(), secret)}
    assert requests.post(url, data=b"GIF89a not ours", headers=signed, timeout=60).json()["error"] == "not_image"
    assert requests.post(url, data=_png(), headers=signed, timeout=60).json() == {"ok": True, "shown_to": "bot"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    from tests.crm.test_images import _bomb_png as bomb

    return bomb(width, height)


# --- WeChat ---------------------------------------------------------------------------------------------------


def test_a_wechat_image_reaches_the_console_and_the_agents_image_goes_back(
    context: BrowserContext, stack: Stack, wechat_api: FakeWeChatApi, crm: sessionmaker[Session], tmp_path: Path
) -> None:
    wechat = WeChatServer(stack, wechat_api)
    follower = f"wx-att-{uuid.uuid4().hex[:10]}"
    write(crm, lambda s: add_identity(s, find_customer(s, "wechat", "wx-demo-li").id, "wechat", follower))
    wechat.say_text(follower, "我要转人工")
    handoff_id = eventually(lambda: _handoff_of(crm, "wechat", follower), "hand-off in the CRM queue")

    media_id = f"media-{uuid.uuid4().hex[:8]}"
    wechat_api.add_media(media_id, photo((90, 90, 200), gps=True))
    message = wechat.media(follower, "image").replace("media-e2e", media_id)
    assert wechat.post(message, follower).text == "success"
    [attachment] = eventually(lambda: attachments_of(crm, "wechat", follower), "the image in the CRM")
    eventually(
        lambda: any(
            (e.get("metadata") or {}).get(METADATA_KEY) == attachment.file_id for e in user_events(stack, follower)
        ),
        "the image in the tracker",
    )

    console = sign_in(context.new_page(), stack, account(crm, "agent"))
    take(console, stack, handoff_id)
    loaded(console, f"#live img[src='/attachments/{attachment.file_id}']")
    without_exif(console.request.get(f"{stack.config.console_url}/attachments/{attachment.file_id}").body())

    console.set_input_files("#image-file", str(saved(tmp_path / "parcel.png", _png())))
    console.click("#send-image button[type=submit]")
    expect(console.locator("#send-image-status")).to_have_text("Image sent.")
    received = Image.open(io.BytesIO(wechat_api.wait_for_image(follower)))
    assert received.format == "PNG" and received.size == (30, 20)
    console.click("form.handback button[type=submit]")


def test_a_wechat_image_outside_a_hand_off_is_acknowledged_and_a_bad_one_explained(
    stack: Stack, wechat_api: FakeWeChatApi, crm: sessionmaker[Session]
) -> None:
    wechat = WeChatServer(stack, wechat_api)
    follower = f"wx-att-{uuid.uuid4().hex[:10]}"
    wechat_api.add_media("media-good-" + follower, photo((10, 10, 10)))
    wechat_api.add_media("media-pdf-" + follower, b"%PDF-1.7", content_type="application/pdf")
    for media_id, note in (("media-good-", "收到您的图片了"), ("media-pdf-", "不是我们能接收的图片")):
        before = len(wechat_api.messages_to(follower))
        message = wechat.media(follower, "image").replace("media-e2e", media_id + follower)
        assert wechat.post(message, follower).text == "success"
        delivered = wechat_api.wait_for(follower, before + 1)[before:]
        assert note in delivered[0] and "\n" in delivered[0]  # Chinese, then English
    assert user_events(stack, follower) == []  # no turn of the bot for a photo
    assert len(attachments_of(crm, "wechat", follower)) == 1
