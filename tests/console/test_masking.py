"""Personal data in transcripts is masked for display."""

from __future__ import annotations

from console.masking import Masker, mask_identifier, mask_secrets


def test_emails_and_phone_numbers_in_text() -> None:
    masker = Masker()
    assert masker.text("mail li.wei@qq.com or Bob_Smith+shop@example.co.uk") == "mail l***@qq.com or b***@example.co.uk"
    assert masker.text("电话13912345678，或者+86 138-0013-8000") == "电话139****5678，或者138****8000"
    assert masker.text("office 010-12345678, abroad +44 20 7946 0958") == "office 010****5678, abroad 442*****0958"


def test_order_and_tracking_numbers_prices_and_dates_stay() -> None:
    text = "KL20250104 via SF1234567890, ¥1299.00 on 2025-01-04, 3 items, size 42"
    assert Masker().text(text) == text


def test_the_customers_names_and_identifiers() -> None:
    masker = Masker(names=["Alice Chen", "李伟"], identifiers=["demo-alice", "wx-demo-li", "alice@example.com"])
    assert masker.text("Alice Chen here (demo-alice), Alice again") == "A*** C*** here (demo…), A*** again"
    assert masker.text("李伟的订单, openid wx-demo-li") == "李*的订单, openid wx-d…"


def test_names_customers_give() -> None:
    masker = Masker()
    assert masker.text("Hi, my name is Bob Stone and I need help") == "Hi, my name is B*** S*** and I need help"
    assert masker.text("我叫王小明，订单KL20250104") == "我叫王**，订单KL20250104"


def test_identifiers_keep_a_recognisable_start() -> None:
    assert mask_identifier("oAbC1234567890") == "oAbC…" and mask_identifier("abc") == "a…"
    assert Masker().text("") == "" and Masker().text(None) == ""


def test_link_codes_are_masked_even_when_revealed() -> None:
    """The bot's words (actions/linking.py) and a customer's; `mask_secrets` is what revealed text still gets."""
    english = "Your linking code is 563102 (valid for 10 minutes; don't share it)."
    chinese = "您的绑定验证码是 563102(10 分钟内有效,请勿告诉他人)。"
    assert mask_secrets(english) == "Your linking code is •••••• (valid for 10 minutes; don't share it)."
    assert mask_secrets(chinese) == "您的绑定验证码是 ••••••(10 分钟内有效,请勿告诉他人)。"
    assert mask_secrets("my code is 042 913") == "my code is ••••••"
    assert Masker().text(english) == mask_secrets(english)
    assert mask_secrets("order code KL20250104, 1234567 units") == "order code KL20250104, 1234567 units"


def test_a_bare_six_digit_number_is_masked() -> None:
    """What a customer types when the form asks for the code; postcodes go with it."""
    assert Masker().text("563102") == "••••••"
    assert Masker().text("邮编 200001, order KL20250104") == "邮编 ••••••, order KL20250104"


def test_full_width_digits_and_codes_the_consumer_masked_already() -> None:
    assert (
        mask_secrets("您的绑定验证码是 ６４０２１７,订单 KL20250104 不受影响。")
        == "您的绑定验证码是 ••••••,订单 KL20250104 不受影响。"
    )
    stored = "Your linking code is •••••• (valid for 10 minutes; don't share it)."
    assert mask_secrets(stored) == stored and Masker().text(stored) == stored
