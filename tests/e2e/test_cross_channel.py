"""One customer across channels: linking a WeChat follower to the shop account with a one-time code,
then continuing on WeChat what was started in the shop's app (REST)."""

from __future__ import annotations

import re
import uuid

import pytest

from crm.repository import find_customer, refunds_of
from tests.e2e.test_rest_conversations import texts
from tests.e2e.test_wechat import WeChatServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def wechat(stack, wechat_api) -> WeChatServer:
    return WeChatServer(stack, wechat_api)


def test_a_customer_links_wechat_and_continues_there(stack, wechat, li, in_crm):
    # In the shop's app (REST), as 李伟: a refund is started, then a linking code asked for.
    stack.say(li, "婴儿车坏了,我要退款")
    stack.say(li, "KL20251102")
    reply = texts(stack.say(li, "我要绑定微信公众号"))
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", reply)
    assert code, reply

    # On WeChat, a follower the CRM does not know yet.
    openid = f"wx-link-{uuid.uuid4().hex[:10]}"
    before_linking = wechat.say_text(openid, "我的退款怎么样了")
    assert "验证码" in wechat.say_text(openid, "绑定账号")
    assert "还可以再试 4 次" in wechat.say_text(openid, f"{(int(code.group(1)) + 1) % 10**6:06d}")
    assert "绑定成功" in wechat.say_text(openid, code.group(1))
    li_id = in_crm(lambda s: find_customer(s, "rest", "demo-li").id)
    assert in_crm(lambda s: find_customer(s, "wechat", openid).id) == li_id

    # What was started in the app continues on WeChat: the newest refund in progress.
    latest = [r for r in in_crm(lambda s: refunds_of(s, li_id)) if r.status.value in ("requested", "approved")][0]
    assert latest.number not in before_linking  # a stranger asking the same got nothing of Li's
    assert latest.number in wechat.say_text(openid, "我的退款怎么样了")


def test_a_code_is_refused_where_the_customer_is_already_known(stack, wechat, li):
    reply = texts(stack.say(li, "link my account with wechat"))
    assert re.search(r"(?<!\d)\d{6}(?!\d)", reply)
    reply = wechat.say_text("wx-demo-li", "绑定账号")  # Li's own WeChat is linked already: a code for the other side
    assert re.search(r"(?<!\d)\d{6}(?!\d)", reply) and "商城网站" in reply
