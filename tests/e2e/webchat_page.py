"""The web chat page as the browser tests drive it (test_webchat.py, test_webchat_digressions.py, and
test_console.py): one tab on the page served by the Rasa server. The fixtures
that open it (`context`, `secret`, `chat`, `web_user`) are in conftest.py.

Every wait is Playwright's auto-waiting on something the page shows (a reply has arrived when the
page's `data-waiting` is back to 0, i.e. the server said `bot_done`); there is no sleep and no timing
assertion."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from devstack.stack import Stack

# A reply can take a while on a busy 2-core machine: a generous limit for every wait, never a measure.
expect.set_options(timeout=120_000)


class Chat:
    """One browser tab on the chat page."""

    def __init__(self, page: Page, stack: Stack) -> None:
        self.page = page
        self.url = f"{stack.config.rasa_url}/webhooks/web/"
        self.body = page.locator("body")

    def open(self, token: str | None = None, *, lang: str | None = None) -> "Chat":
        """Opens the page as a guest, or signed in with a token the shop signed; `lang` sets the page's
        own language (`?lang=`) as a visitor's choice would."""
        query = "&".join(f"{name}={value}" for name, value in (("token", token), ("lang", lang)) if value)
        self.page.goto(self.url + (f"?{query}" if query else ""))
        self.wait_until_online()
        return self

    def wait_until_online(self) -> None:
        expect(self.body).to_have_attribute("data-status", "online")

    @property
    def sender(self) -> str:
        return self.body.get_attribute("data-sender") or ""

    def bot_texts(self) -> list[str]:
        return self.page.locator(".message.bot").all_inner_texts()

    def say(self, text: str) -> str:
        """Types a message, sends it with Enter and returns what the bot answered to it."""

        def send() -> None:
            self.page.fill("#input", text)
            self.page.press("#input", "Enter")

        return self._answer_to(send)

    def click(self, button: Locator) -> str:
        return self._answer_to(button.click)

    def _answer_to(self, act: Callable[[], object]) -> str:
        users, bots = self.page.locator(".message.user").count(), len(self.bot_texts())
        act()
        expect(self.page.locator(".message.user")).to_have_count(users + 1)  # sent (and now waiting)
        expect(self.body).to_have_attribute("data-waiting", "0")  # the server finished answering
        return "\n".join(self.bot_texts()[bots:])
