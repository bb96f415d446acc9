"""The console's two UI languages: one message catalogue (key -> English, Chinese), the choice of a page's
language, and the labels of what the CRM stores as names (intents, hand-off reasons, statuses, dates).

Every word a page shows comes from `MESSAGES` through `translate` (templates call `t('key', name=value)`), so
a label missing in one language is a failing unit test (tests/console/test_i18n.py), not an English word on
a Chinese page. Values put into a message are data and stay as they are; autoescaping applies to the whole.

A signed-in person reads their account's language (`staff_users.ui_language`, Chinese for a new account);
the sign-in page, before anyone is known, follows the browser's Accept-Language.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from crm.errors import CRMError
from crm.experiments.variants import REPLY_KEYS
from crm.models import (
    Channel,
    ChurnRisk,
    ConversationStatus,
    DeadLetterStatus,
    ExperimentMetric,
    ExperimentStatus,
    ExperimentSurface,
    ExperimentTarget,
    HandoffStatus,
    InteractionKind,
    Language,
    LifecycleStage,
    MessageSender,
    OrderStatus,
    RefundKind,
    RefundStatus,
    Segment,
    ShipmentStatus,
    StaffRole,
    TicketCategory,
    TicketPriority,
    TicketStatus,
    Tier,
)
from crm.rasa_events import as_said

LANGUAGES = (Language.ZH.value, Language.EN.value)
DEFAULT_LANGUAGE = Language.ZH.value
# An Accept-Language header is read up to this length and this many entries: it is client input.
ACCEPT_LANGUAGE_MAX_CHARS = 200
ACCEPT_LANGUAGE_MAX_ENTRIES = 12

# key -> (English, Chinese). A key ending in ".one" is the singular of the key before it (used when n == 1).
MESSAGES: dict[str, tuple[str, str]] = {
    # --- the frame of every page
    "brand.console": ("staff console", "客服工作台"),
    "title.console": ("Kelian console", "客连工作台"),
    "nav.inbox": ("Inbox", "转人工收件箱"),
    "nav.transcripts": ("Transcripts", "对话记录"),
    "nav.corrections": ("Corrections", "纠错"),
    "nav.customers": ("Customers", "客户"),
    "nav.dashboard": ("Dashboard", "数据看板"),
    "nav.dead_letters": ("Dead letters", "死信"),
    "nav.users": ("Users", "用户"),
    "nav.account_hint": ("Your account: password, two-step sign-in and language", "您的账户:密码、两步登录和界面语言"),
    "nav.sign_out": ("Sign out", "退出登录"),
    "footer": (
        "Times in {tz}. Personal data is masked; showing it is recorded in the audit log.",
        "时间为 {tz} 时区。个人信息已打码;显示原文会记入审计日志。",
    ),
    "common.none": ("none", "无"),
    "common.visitor": ("visitor", "访客"),
    "common.customer_number": ("customer #{id}", "客户 #{id}"),
    "common.conversation_number": ("conversation #{id}", "对话 #{id}"),
    "common.minutes": ("{n} min", "{n} 分钟"),
    "common.n_a": ("n/a", "暂无"),
    "common.yes": ("yes", "是"),
    "common.no": ("no", "否"),
    "common.any": ("any", "全部"),
    "common.channel": ("Channel", "渠道"),
    "common.language": ("Language", "语言"),
    "common.customer": ("Customer", "客户"),
    "common.reason": ("Reason", "原因"),
    "common.status": ("Status", "状态"),
    "common.started": ("Started", "开始时间"),
    "common.outcome": ("Outcome", "结果"),
    "common.intent": ("Intent", "意图"),
    "common.username": ("Username", "用户名"),
    "common.password": ("Password", "密码"),
    "common.role": ("Role", "角色"),
    "common.last_sign_in": ("Last sign-in", "上次登录"),
    # --- personal data
    "reveal.shown": ("Personal data shown (recorded in the audit log).", "已显示个人信息(已记入审计日志)。"),
    "reveal.mask_again": ("Mask it again", "重新打码"),
    "reveal.button": ("Show personal data", "显示个人信息"),
    "reveal.hint": (
        "Shows names, phone numbers, emails and identifiers unmasked. Each use is written to the audit log.",
        "显示未打码的姓名、电话、邮箱和账号标识,每次使用都会记入审计日志。",
    ),
    # --- errors
    "error.title.403": ("Not for your role", "无权访问"),
    "error.title.404": ("Not found", "未找到"),
    "error.title.409": ("Not possible", "无法执行"),
    "error.title.400": ("Please check", "请检查"),
    "error.title.other": ("Error", "出错了"),
    "error.back": ("Back to the console", "返回工作台"),
    "error.crm": ("The CRM could not do this: {kind}", "CRM 无法完成此操作:{kind}"),
    "error.unexpected": ("Something went wrong; it has been logged.", "出现了问题,已记录日志。"),
    "error.cross_origin": ("cross-origin request refused", "拒绝跨站请求"),
    "error.csrf": (
        "missing or wrong CSRF token (the form may have expired): reload the page and try again",
        "缺少或错误的 CSRF 令牌(表单可能已过期):请刷新页面后重试",
    ),
    "error.sign_in_first": ("sign in first", "请先登录"),
    "error.no_rule": ("This page has no access rule.", "此页面没有访问规则。"),
    "error.role": ("This page is for {role}s and above.", "此页面仅限{role}及以上角色。"),
    # --- signing in
    "login.title": ("Sign in", "登录"),
    "login.button": ("Sign in", "登录"),
    "login.refused": ("Wrong username or password.", "用户名或密码错误。"),
    "login.hint": ("Five wrong attempts lock the account for 15 minutes.", "连续输错五次,账户将锁定 15 分钟。"),
    "login.locked": (
        "Too many failed attempts: this account is locked for {minutes} minutes.",
        "失败次数过多:此账户已锁定 {minutes} 分钟。",
    ),
    "totp.title": ("Two-step sign-in", "两步登录"),
    "totp.tab_title": ("Code", "验证码"),
    "totp.code_label": ("6-digit code from your authenticator app", "身份验证器应用中的 6 位验证码"),
    "totp.continue": ("Continue", "继续"),
    "totp.cancel": ("Cancel", "取消"),
    "totp.wrong": ("That code is not right (or was used already).", "验证码不正确(或已使用过)。"),
    # --- the account page
    "account.title": ("Your account", "我的账户"),
    "account.change_password": ("Change your password", "修改密码"),
    "account.current_password": ("Current password", "当前密码"),
    "account.new_password": ("New password", "新密码"),
    "account.new_password_again": ("New password again", "再次输入新密码"),
    "account.change_it": ("Change it", "修改"),
    "account.password_hint": (
        "At least 10 characters. Changing it signs you out everywhere.",
        "至少 10 个字符。修改后所有设备都会退出登录。",
    ),
    "account.passwords_differ": ("The two new passwords differ.", "两次输入的新密码不一致。"),
    "account.done.password": ("Your password is changed.", "密码已修改。"),
    "account.done.totp_on": ("Two-step sign-in is on.", "两步登录已开启。"),
    "account.done.totp_off": ("Two-step sign-in is off.", "两步登录已关闭。"),
    "account.done.language": ("The console now speaks English.", "工作台界面已切换为中文。"),
    "account.bad_language": ("Choose English or Chinese.", "请选择中文或英文。"),
    "account.language": ("Console language", "界面语言"),
    "account.language_hint": (
        "The language of every page you see in the console.",
        "您在工作台中看到的所有页面的语言。",
    ),
    "account.language_save": ("Save", "保存"),
    "account.totp.scan": (
        "Scan this with an authenticator app (FreeOTP, Google Authenticator, 1Password…), or type "
        "the secret, then enter the code it shows.",
        "用身份验证器应用(FreeOTP、Google Authenticator、1Password 等)扫描此二维码或输入密钥,"
        "然后填写应用显示的验证码。",
    ),
    "account.totp.qr_alt": ("QR code of the authenticator set-up", "身份验证器设置二维码"),
    "account.totp.secret": ("Secret:", "密钥:"),
    "account.totp.uri": ("otpauth URI", "otpauth 链接"),
    "account.totp.code": ("Code", "验证码"),
    "account.totp.turn_on": ("Turn it on", "开启"),
    "account.totp.on": (
        "On: signing in asks for a code from your authenticator app.",
        "已开启:登录时需要身份验证器中的验证码。",
    ),
    "account.totp.your_password": ("Your password", "您的密码"),
    "account.totp.turn_off": ("Turn it off", "关闭"),
    "account.totp.off": (
        "Off. With it on, signing in also needs a 6-digit code from an app on your phone.",
        "未开启。开启后,登录还需要手机应用中的 6 位验证码。",
    ),
    "account.totp.set_up": ("Set it up", "设置"),
    # --- the inbox and a hand-off
    "inbox.title": ("Inbox", "收件箱"),
    "inbox.heading": ("Hand-off inbox", "转人工收件箱"),
    "inbox.hint": (
        "Conversations waiting for a person, highest priority first, then the longest wait. The list refreshes itself.",
        "等待人工处理的对话,优先级高的在前,其次是等待最久的。列表会自动刷新。",
    ),
    "inbox.done.closed": ("Handed back to the assistant.", "已交还给智能助手。"),
    "inbox.done.closed_unreachable": (
        "Closed in the CRM. Its Rasa sender is not known, so the assistant could not be resumed from here.",
        "已在 CRM 中关闭。此对话的 Rasa 发送方未知,无法从这里恢复智能助手。",
    ),
    "inbox.waiting": ("Waiting", "等待中"),
    "inbox.priority": ("Priority", "优先级"),
    "inbox.priority_hint": (
        "Higher is served first: high-value customers 10, complaints 5",
        "数值高的先处理:高价值客户 10,投诉 5",
    ),
    "inbox.waited": ("Waiting", "已等待"),
    "inbox.since": ("since {at}", "自 {at}"),
    "inbox.take": ("Take", "接待"),
    "inbox.view": ("View", "查看"),
    "inbox.open": ("Open", "打开"),
    "inbox.nobody_waiting": ("Nobody is waiting.", "没有人在等待。"),
    "inbox.serving": ("Being served", "接待中"),
    "inbox.agent": ("Agent", "客服"),
    "inbox.since_request": ("Since request", "自请求起"),
    "inbox.you": ("(you)", "(您)"),
    "inbox.nobody_served": ("No conversation is with an agent.", "目前没有由客服接待的对话。"),
    "handoff.title": ("Hand-off {id}", "转人工 {id}"),
    "handoff.heading": ("Hand-off #{id}", "转人工 #{id}"),
    "handoff.priority_hint": ("Higher is served first", "数值高的先处理"),
    "handoff.requested": ("Requested", "请求时间"),
    "handoff.transcript": ("Transcript", "对话记录"),
    "handoff.take": ("Take this conversation", "接待此对话"),
    "handoff.served_by": ("{agent} is serving this conversation.", "{agent} 正在接待此对话。"),
    "handoff.take_over": ("Take over", "接管"),
    "handoff.handed_back": ("This conversation was handed back.", "此对话已交还。"),
    "handoff.gathered": ("What the assistant gathered", "智能助手收集的信息"),
    "handoff.live": ("Live conversation", "实时对话"),
    "handoff.reply_label": (
        "Your answer (goes to the customer's {channel} channel)",
        "您的回复(发送到客户的{channel}渠道)",
    ),
    "handoff.send": ("Send", "发送"),
    "handoff.hand_back": ("Hand back to the assistant", "交还给智能助手"),
    "handoff.hand_back_hint": (
        "Resumes the assistant for this conversation (Rasa's resume event) and closes the "
        "hand-off as resolved by an agent",
        "恢复此对话的智能助手(Rasa 的 resume 事件),并以客服解决关闭转人工",
    ),
    "handoff.history": ("Transcript in the CRM ({n} messages)", "CRM 中的对话记录({n} 条消息)"),
    "handoff.history.one": ("Transcript in the CRM (1 message)", "CRM 中的对话记录(1 条消息)"),
    "handoff.no_sender": (
        "This conversation's Rasa sender is not known (the hand-off was queued without it), so the "
        "console cannot show the live exchange or answer here.",
        "此对话的 Rasa 发送方未知(转人工时未记录),工作台无法显示实时对话,也无法在此回复。",
    ),
    "handoff.live_unavailable": ("Live exchange unavailable: {problem}.", "实时对话不可用:{problem}。"),
    "handoff.write_first": ("Write a message first.", "请先输入消息。"),
    "handoff.too_long": ("A message has at most {n} characters.", "一条消息最多 {n} 个字符。"),
    "handoff.cannot_answer": (
        "This conversation's Rasa sender is not known: the console cannot answer it.",
        "此对话的 Rasa 发送方未知:工作台无法回复。",
    ),
    "handoff.not_delivered": ("Not delivered: {problem}.", "未送达:{problem}。"),
    "handoff.not_handed_back": ("Not handed back: {problem}.", "未能交还:{problem}。"),
    # --- attachments (#16 item 6): images of a conversation
    "attachment.heading": ("Images ({n})", "图片({n} 张)"),
    "attachment.heading.one": ("Images (1)", "图片(1 张)"),
    "attachment.alt": ("Image sent in the conversation", "对话中发送的图片"),
    "attachment.from_customer": ("From the customer", "客户发送"),
    "attachment.from_agent": ("Sent by {agent}", "{agent} 发送"),
    "attachment.none": ("No images in this conversation.", "此对话中没有图片。"),
    "attachment.size": ("{width}×{height} px, {kb} KB", "{width}×{height} 像素,{kb} KB"),
    "attachment.send_label": (
        "Send an image (JPEG, PNG or WebP, at most {mb} MB)",
        "发送图片(JPEG、PNG 或 WebP,最大 {mb} MB)",
    ),
    "attachment.send": ("Send image", "发送图片"),
    "attachment.sent": ("Image sent.", "图片已发送。"),
    "attachment.send_failed": ("The image could not be sent.", "图片发送失败。"),
    "attachment.refused.too_large": ("The image is too large.", "图片太大。"),
    "attachment.refused.not_image": (
        "Not an image the customer can receive: send a JPEG, PNG or WebP.",
        "不是客户可以接收的图片:请发送 JPEG、PNG 或 WebP。",
    ),
    "attachment.refused.empty": ("Choose an image first.", "请先选择图片。"),
    "attachment.refused.too_many_pixels": ("The image has too many pixels.", "图片像素过多。"),
    "attachment.refused.rate_limited": ("Too many images in this conversation for now.", "此对话暂时发送的图片过多。"),
    # --- orders panel and notices (#16 item 2): the customer's orders beside a hand-off (console/orders.py,
    # console/views/orders.py, templates/_orders_panel.html) and what the customer is told (console/notices.py)
    "orders.heading": ("The customer's orders", "客户的订单"),
    "orders.hint": (
        "The latest orders of this customer. Actions go through the CRM's own rules, are recorded in the "
        "audit log and appear as internal lines in the live conversation; confirm each with the customer first.",
        "此客户最近的订单。操作遵循 CRM 的规则,记入审计日志,并以内部记录显示在实时对话中;请先与客户确认。",
    ),
    "orders.visitor": (
        "Nobody has identified this visitor yet, so no orders are shown.",
        "此访客尚未验证身份,因此不显示订单。",
    ),
    "orders.none": ("This customer has no orders.", "此客户没有订单。"),
    "orders.address": ("Shipping address", "收货地址"),
    "orders.shipment": ("Shipment", "物流"),
    "orders.refund": ("Refund", "退款"),
    "orders.kind": ("Kind", "类型"),
    "orders.reason": ("Reason", "原因"),
    "orders.new_address": ("New address (one line, as the customer wrote it)", "新地址(一行,按客户所写)"),
    "orders.confirm": ("I have confirmed this with the customer (order {order})", "已与客户确认(订单 {order})"),
    "orders.submit": ("Confirm and do it", "确认执行"),
    "orders.confirm_first": (
        "Tick the confirmation first: nothing was changed.",
        "请先勾选确认:未做任何更改。",
    ),
    "orders.crm_refused": ("The CRM refused: {reason}", "CRM 拒绝了此操作:{reason}"),
    "orders.internal.refund": (
        "{agent} started refund {result} for order {order}",
        "{agent} 为订单 {order} 发起了退款 {result}",
    ),
    "orders.internal.cancel": (
        "{agent} cancelled order {order} (refund ¥{result})",
        "{agent} 取消了订单 {order}(退款 ¥{result})",
    ),
    "orders.internal.address": (
        "{agent} changed the shipping address of order {order} (now in {result})",
        "{agent} 修改了订单 {order} 的收货地址(现为{result})",
    ),
    "orders.internal.resend": (
        "{agent} sent a replacement for order {order} (tracking {result})",
        "{agent} 为订单 {order} 安排了补发(运单 {result})",
    ),
    "order_action.refund": ("Start a refund", "发起退款"),
    "order_action.cancel": ("Cancel the order", "取消订单"),
    "order_action.address": ("Change the address", "修改收货地址"),
    "order_action.resend": ("Send a replacement", "补发"),
    "refund_kind.return_and_refund": ("return and refund", "退货退款"),
    "refund_kind.refund_only": ("refund only", "仅退款"),
    "refund_status.requested": ("requested", "已申请"),
    "refund_status.approved": ("approved", "已批准"),
    "refund_status.rejected": ("rejected", "已拒绝"),
    "refund_status.completed": ("completed", "已完成"),
    "shipment_status.label_created": ("label created", "已打单"),
    "shipment_status.in_transit": ("in transit", "运输中"),
    "shipment_status.out_for_delivery": ("out for delivery", "派送中"),
    "shipment_status.delivered": ("delivered", "已签收"),
    "shipment_status.exception": ("exception (lost or held)", "异常(丢失或滞留)"),
    "shipment_status.returned": ("returned", "已退回"),
    "sender.notice": ("notice", "通知"),
    "sender.internal": ("internal", "内部记录"),
    "account.display_name": ("Name customers see", "客户看到的名字"),
    "account.display_name_now": (
        "When you serve a conversation, customers see you as {name}.",
        "您接待对话时,客户看到的名字是 {name}。",
    ),
    "account.display_name_save": ("Save the name", "保存名字"),
    "account.display_name_hint": (
        "Shown in “joined / left the conversation” and with your messages, on the web page and on "
        "WeChat, e.g. 客服小林; at most {n} characters. Empty: your staff number. Never your sign-in name.",
        "显示在“加入/离开对话”通知和您的消息旁(网页和微信),例如 客服小林;最多 {n} 个字符。"
        "留空则显示工号。不会显示您的登录名。",
    ),
    "account.done.display_name": ("Customers now see your new name.", "客户现在会看到您的新名字。"),
    "refusal.display_name": (
        "A name customers see is at most {n} letters, digits, spaces and the marks · . - ' between them.",
        "客户看到的名字最多 {n} 个字符,只能包含文字、数字、空格,以及其间的 · . - '。",
    ),
    "refusal.order_action": ("No such order action.", "没有这种订单操作。"),
    "refusal.order_take_first": (
        "Only the agent serving this conversation (or a supervisor) can act on the customer's orders.",
        "只有正在接待此对话的客服(或主管)才能操作客户的订单。",
    ),
    "refusal.order_no_customer": (
        "This conversation's customer is not identified: there are no orders to act on.",
        "此对话的客户尚未验证身份:没有可操作的订单。",
    ),
    "refusal.order_reason_missing": ("Give a reason.", "请填写原因。"),
    "refusal.order_reason_too_long": ("A reason has at most {n} characters.", "原因最多 {n} 个字符。"),
    "refusal.order_address_missing": ("Write the new address.", "请填写新地址。"),
    "refusal.order_address_too_long": ("An address has at most {n} characters.", "地址最多 {n} 个字符。"),
    "refusal.order_not_now.refund": (
        "Order {order} cannot be refunded now: only a delivered order without a refund in progress can.",
        "订单 {order} 现在无法退款:只有已送达且没有进行中退款的订单可以退款。",
    ),
    "refusal.order_not_now.cancel": (
        "Order {order} can no longer be cancelled: request a refund once it is delivered.",
        "订单 {order} 已无法取消:送达后可申请退款。",
    ),
    "refusal.order_not_now.address": (
        "The address of order {order} can no longer change: it has shipped.",
        "订单 {order} 已发货,无法再修改地址。",
    ),
    "refusal.order_not_now.resend": (
        "Order {order} cannot be sent again: only a delivered order or a lost parcel, without a refund or "
        "a replacement already on its way.",
        "订单 {order} 无法补发:只有已送达或包裹丢失、且没有退款或进行中补发的订单可以补发。",
    ),
    "summary.customer": ("customer", "客户"),
    "summary.bot": ("bot", "机器人"),
    # --- transcripts
    "conversations.title": ("Transcripts", "对话记录"),
    "conversations.search": ("Search text", "搜索文字"),
    "conversations.search_placeholder": ("words in any message", "任意消息中的词语"),
    "conversations.from": ("From", "从"),
    "conversations.to": ("To", "到"),
    "conversations.customer_hint": (
        "A customer id, channel:id (web:demo-alice) or an email",
        "客户编号、渠道:编号(web:demo-alice)或邮箱",
    ),
    "conversations.customer_placeholder": ("42, web:demo-alice, email", "42、web:demo-alice、邮箱"),
    "conversations.low_confidence": ("low confidence", "低置信度"),
    "conversations.low_confidence_hint": (
        "A customer message whose predicted intent had a confidence below 0.5",
        "客户消息预测意图的置信度低于 0.5",
    ),
    "conversations.fallback": ("fallback", "未识别"),
    "conversations.fallback_hint": (
        "A customer message the NLU could not place (nlu_fallback)",
        "NLU 无法识别的客户消息(nlu_fallback)",
    ),
    "conversations.handoff": ("hand-off", "转人工"),
    "conversations.handoff_hint": ("The conversation was queued for a person", "此对话曾排队等待人工"),
    "conversations.filter": ("Filter", "筛选"),
    "conversations.clear": ("Clear", "清除"),
    "conversations.count": ("{n} conversations", "{n} 个对话"),
    "conversations.count.one": ("1 conversation", "1 个对话"),
    "conversations.mention": ("{n} conversations mention “{query}”", "{n} 个对话提到“{query}”"),
    "conversations.mention.one": ("1 conversation mentions “{query}”", "1 个对话提到“{query}”"),
    "conversations.scanned": (
        "searched the {scanned} newest of {candidates} matching the filters",
        "在符合筛选条件的 {candidates} 个对话中搜索了最新的 {scanned} 个",
    ),
    "conversations.narrow": ("narrow the dates to search older ones", "缩小日期范围以搜索更早的对话"),
    "conversations.lang": ("Lang", "语言"),
    "conversations.intents": ("Intents", "意图"),
    "conversations.min_conf": ("Min conf.", "最低置信度"),
    "conversations.min_conf_hint": ("Lowest intent confidence in the conversation", "对话中最低的意图置信度"),
    "conversations.match": ("Match", "匹配"),
    "conversations.first_message": ("First message", "第一条消息"),
    "conversations.queued_hint": ("queued for a person", "排队等待人工"),
    "conversations.none": ("No conversation matches.", "没有符合条件的对话。"),
    "conversations.newer": ("← newer", "← 较新"),
    "conversations.older": ("older →", "较早 →"),
    "conversations.page": ("page {page} of {pages}", "第 {page} 页,共 {pages} 页"),
    "conversation.title": ("Conversation {id}", "对话 {id}"),
    "conversation.heading": ("Conversation #{id}", "对话 #{id}"),
    "conversation.ended": ("Ended", "结束时间"),
    "conversation.handoff": ("Hand-off", "转人工"),
    "conversation.not_saved": ("Correction not saved: {error}", "纠错未保存:{error}"),
    "conversation.saved": ("Correction saved.", "纠错已保存。"),
    "conversation.intent": ("intent", "意图"),
    "conversation.intent_hint": ("The intent the NLU predicted", "NLU 预测的意图"),
    "conversation.confidence": ("confidence", "置信度"),
    "conversation.confidence_hint": ("The NLU's confidence in that intent", "NLU 对该意图的置信度"),
    "conversation.entities": ("entities", "实体"),
    "conversation.corrected": ("corrected →", "已纠正 →"),
    "conversation.corrected_by": ("by {author}, {at}", "{author},{at}"),
    "conversation.change_correction": ("Change the correction", "修改纠错"),
    "conversation.correct_it": ("Wrong? Correct it", "识别错了?纠正"),
    "conversation.right_intent": ("Right intent", "正确的意图"),
    "conversation.example": ("Training example", "训练样例"),
    "conversation.example_placeholder": (
        "leave empty to train on the message as written; replace personal details with made-up ones",
        "留空则按原消息训练;请把个人信息换成虚构的",
    ),
    "conversation.entities_legend": (
        "Entities (value as it appears in the example, and its type)",
        "实体(样例中出现的值及其类型)",
    ),
    "conversation.entity_value": ("value", "值"),
    "conversation.entity_value_label": ("entity value {n}", "实体值 {n}"),
    "conversation.entity_type_label": ("entity type {n}", "实体类型 {n}"),
    "conversation.save_correction": ("Save correction", "保存纠错"),
    "conversation.remove_correction": ("Remove the correction", "删除纠错"),
    "conversation.action": ("action", "动作"),
    "conversation.action_hint": ("The bot action that said it", "发出此消息的机器人动作"),
    "conversation.no_messages": ("No messages (erased, or not recorded yet).", "没有消息(已删除或尚未记录)。"),
    # --- corrections
    "corrections.title": ("Corrections", "纠错"),
    "corrections.heading": ("NLU corrections", "NLU 纠错"),
    "corrections.hint": (
        "Customer messages whose intent or entities a reviewer corrected (in a conversation's "
        "transcript). They are exported as Rasa NLU training data, one file per language, to add "
        "under {path} (or write them there with {command}) and train.",
        "审核人员在对话记录中纠正了意图或实体的客户消息。它们按语言导出为 Rasa NLU 训练数据,"
        "放在 {path} 下(或用 {command} 写入),然后重新训练。",
    ),
    "corrections.download": ("Download {language} corrections (YAML)", "下载{language}纠错(YAML)"),
    "corrections.examples": ("{n} examples", "{n} 条样例"),
    "corrections.examples.one": ("1 example", "1 条样例"),
    "corrections.left_out": ("{n} left out (see below)", "{n} 条未导出(见下文)"),
    "corrections.who_exports": ("Supervisors and admins export them.", "由主管和管理员导出。"),
    "corrections.message": ("Message", "消息"),
    "corrections.example": ("Example", "样例"),
    "corrections.predicted": ("Predicted", "预测"),
    "corrections.corrected": ("Corrected", "纠正为"),
    "corrections.entities": ("Entities", "实体"),
    "corrections.by": ("By", "纠错人"),
    "corrections.exported": ("Exported", "导出"),
    "corrections.left_out_hint": ("left out of the export", "未导出"),
    "corrections.not_yet": ("not yet", "尚未"),
    "corrections.remove": ("remove", "删除"),
    "corrections.none": (
        "No corrections yet: open a conversation in Transcripts and use “Wrong? Correct it” under a customer message.",
        "还没有纠错:在“对话记录”中打开一个对话,点击客户消息下的“识别错了?纠正”。",
    ),
    "corrections.skip.known": ("already in the training data", "训练数据中已有"),
    "corrections.skip.labelled": ("the training data labels it {intent}", "训练数据将其标注为{intent}"),
    # --- the Model page: retraining from the console (console/views/model.py, console/training.py)
    "nav.model": ("Model", "模型"),
    "model.title": ("Model", "模型"),
    "model.heading": ("The assistant's NLU model", "助手的 NLU 模型"),
    "model.active": ("Active model", "当前模型"),
    "model.file": ("File", "文件"),
    "model.trained_at": ("Trained at", "训练时间"),
    "model.size": ("Size", "大小"),
    "model.size_value": ("{mb} MB", "{mb} MB(兆字节)"),
    "model.no_figures": (
        "No dev-set figures are recorded for this model (it was not trained from the console): "
        "make test-rasa measures it.",
        "此模型没有记录开发集指标(它不是在工作台训练的):运行 make test-rasa 可测量。",
    ),
    "model.none": (
        "No trained model in models/ yet: run make train.",
        "models/ 中还没有训练好的模型:请运行 make train。",
    ),
    "model.waiting": ("Corrections waiting to be exported", "等待导出的纠错"),
    "model.retrain_hint": (
        "Retrain exports the corrections into the training data, trains a candidate model in the background "
        "(several minutes) and measures it on the real-message dev sets. The running assistant keeps its "
        "model until you activate the candidate.",
        "“重新训练”会把纠错导出到训练数据,在后台训练一个候选模型(需要几分钟),并在真实消息开发集上测量它。"
        "在您启用候选模型之前,正在运行的助手继续使用当前模型。",
    ),
    "model.retrain": ("Retrain", "重新训练"),
    "model.busy": (
        "A retraining job is running already; wait for it to end.",
        "已有一个重新训练任务在运行,请等待它结束。",
    ),
    "model.job": ("Retraining", "重新训练"),
    "model.phase": ("Phase:", "阶段:"),
    "model.elapsed": ("elapsed", "已用时间"),
    "model.elapsed_value": ("{m} min {s} s", "{m} 分 {s} 秒"),
    "model.started_by": ("started by {name}", "由 {name} 发起"),
    "model.figures": ("Dev-set figures", "开发集指标"),
    "model.figures_hint": (
        "Percentages on the real-message dev sets, which are never trained on. Wrongly rejected in-scope "
        "messages: lower is better.",
        "真实消息开发集上的百分比(开发集从不用于训练)。被误拒的业务内消息:越低越好。",
    ),
    "model.recommended": (
        "Recommended: no figure is worse than the accepted baseline by more than 2 points (one message's worth "
        "where a figure counts fewer than 50 messages), the gate of make test-rasa.",
        "推荐启用:没有任何指标比已接受的基线差 2 个百分点以上(消息少于 50 条的指标为一条消息的幅度),"
        "与 make test-rasa 的门槛相同。",
    ),
    "model.not_recommended": (
        "Not recommended: at least one figure (marked) is worse than the accepted baseline by more than 2 points "
        "(one message's worth where a figure counts fewer than 50 messages).",
        "不推荐启用:至少有一项指标(已标出)比已接受的基线差 2 个百分点以上(消息少于 50 条的指标为一条消息的幅度)。",
    ),
    "model.below_gate": ("below the baseline beyond the tolerance", "低于基线且超出容差"),
    "model.dev_set": ("Dev set", "开发集"),
    "model.figure": ("Figure", "指标"),
    "model.baseline": ("Baseline (accepted)", "基线(已接受)"),
    "model.active_column": ("Active model", "当前模型"),
    "model.candidate": ("Candidate", "候选模型"),
    "model.figure.accuracy": ("intent accuracy", "意图准确率"),
    "model.figure.macro_f1": ("macro F1", "宏平均 F1"),
    "model.figure.off_topic_rejected": ("off-topic rejected", "无关消息被拒识"),
    "model.figure.in_scope_rejected": ("in-scope wrongly rejected", "业务内消息被误拒"),
    "model.activate_hint": (
        "Activate moves {model} into models/ and asks the running Rasa server to load it.",
        "启用会把 {model} 移入 models/,并让正在运行的 Rasa 服务器加载它。",
    ),
    "model.activate": ("Activate", "启用"),
    "model.notice.started": ("Retraining started.", "重新训练已开始。"),
    "model.notice.loaded": (
        "The candidate is active: the Rasa server loaded it.",
        "候选模型已启用:Rasa 服务器已加载它。",
    ),
    "model.notice.later": (
        "The candidate is in models/, but the Rasa server did not answer: it loads it at its next start.",
        "候选模型已移入 models/,但 Rasa 服务器没有响应:它会在下次启动时加载。",
    ),
    "training.phase.exporting": ("exporting corrections", "正在导出纠错"),
    "training.phase.training": ("training", "正在训练"),
    "training.phase.evaluating": ("measuring on the dev sets", "正在开发集上测量"),
    "training.phase.ready": ("candidate ready", "候选模型已就绪"),
    "training.phase.failed": ("failed", "失败"),
    "training.phase.activated": ("activated", "已启用"),
    "training.failed.interrupted": (
        "The job was cut short (the console stopped while it ran).",
        "任务被中断(运行期间工作台停止了)。",
    ),
    "training.failed.timeout": ("The job ran out of time and was stopped.", "任务超时,已被停止。"),
    "training.failed.train": (
        "Training failed: see the log's last lines.",
        "训练失败:请查看日志的最后几行。",
    ),
    "training.failed.evaluate": (
        "The dev-set evaluation failed: see the log's last lines.",
        "开发集评估失败:请查看日志的最后几行。",
    ),
    "training.failed.start": ("The training command could not be started.", "无法启动训练命令。"),
    "training.failed.export": ("Exporting the corrections failed.", "导出纠错失败。"),
    "training.activate.missing": ("There is no evaluated candidate to activate.", "没有可启用的已评估候选模型。"),
    "training.activate.exists": (
        "A model of that name is in models/ already.",
        "models/ 中已有同名模型。",
    ),
    # --- customers
    "customers.title": ("Customers", "客户"),
    "customers.find": ("Find", "查找"),
    "customers.find_placeholder": (
        "customer id, web:demo-alice, phone:13800138000 or an email",
        "客户编号、web:demo-alice、phone:13800138000 或邮箱",
    ),
    "customers.open": ("Open", "打开"),
    "customers.browse": ("or browse a segment", "或浏览客户分群"),
    "customers.list": ("List", "列出"),
    "customers.name": ("Name", "姓名"),
    "customers.tier": ("Tier", "会员等级"),
    "customers.lifecycle": ("Lifecycle", "生命周期"),
    "customers.churn_risk": ("Churn risk", "流失风险"),
    "customers.not_segment": ("{segment} is not a segment", "{segment} 不是客户分群"),
    "customers.error.not_found": ("No customer {reference}.", "没有找到客户 {reference}。"),
    "customers.error.reference": (
        "{reference}: give a customer id, channel:id (e.g. web:demo-alice) or an email address.",
        "{reference}：请填写客户编号、渠道:编号（例如 web:demo-alice）或邮箱地址。",
    ),
    "customer.title": ("Customer {id}", "客户 {id}"),
    "customer.default_name": ("Customer", "客户"),
    "customer.erased": ("erased", "已删除"),
    "customer.profile": ("Profile", "客户档案"),
    "customer.segment": ("Segment", "分群"),
    "customer.segment_hint": (
        "RFM segment (recency, frequency, monetary quintiles)",
        "RFM 分群(最近购买、频率、金额五分位)",
    ),
    "customer.churn_hint": (
        "Probability of no purchase in the next 90 days (logistic regression)",
        "未来 90 天不再购买的概率(逻辑回归)",
    ),
    "customer.clv": ("CLV (12 months)", "客户终身价值(12 个月)"),
    "customer.clv_hint": (
        "Expected spend in the next 12 months (BG/NBD x Gamma-Gamma)",
        "未来 12 个月的预期消费(BG/NBD × Gamma-Gamma)",
    ),
    "customer.preferred_channel": ("Preferred channel", "常用渠道"),
    "customer.last_contact": ("Last contact", "最近联系"),
    "customer.satisfaction": ("Satisfaction", "满意度"),
    "customer.satisfaction_hint": ("1-5, from conversation ratings and complaints", "1-5 分,来自对话评分和投诉"),
    "customer.since": ("Customer since", "注册时间"),
    "customer.interactions_90d": ("Interactions (90 days)", "互动(90 天)"),
    "customer.identities": ("Identities and consent", "身份与授权"),
    "customer.verified": ("verified", "已验证"),
    "customer.marketing": ("Marketing:", "营销:"),
    "customer.personalisation": ("Personalisation:", "个性化:"),
    "customer.consent_history": ("Consent history", "授权记录"),
    "customer.granted": ("granted", "同意"),
    "customer.withdrawn": ("withdrawn", "撤回"),
    "customer.addresses": ("Addresses", "地址"),
    "customer.default_address": ("default", "默认"),
    "customer.interests": ("Interests", "兴趣"),
    "customer.interests_hint": (
        "What conversations taught (intents' topics, products and categories the customer talked about).",
        "从对话中了解到的(意图主题、客户谈到的商品和品类)。",
    ),
    "customer.weight": ("weight {n}", "权重 {n}"),
    "customer.none_yet": ("none yet", "暂无"),
    "customer.recommendations": ("Recommendations now", "当前推荐"),
    "customer.orders": ("Orders", "订单"),
    "customer.order": ("Order", "订单号"),
    "customer.placed": ("Placed", "下单时间"),
    "customer.items": ("Items", "商品"),
    "customer.total": ("Total", "金额"),
    "customer.no_orders": ("no orders", "没有订单"),
    "customer.tickets": ("Tickets", "工单"),
    "customer.ticket": ("Ticket", "工单号"),
    "customer.created": ("Created", "创建时间"),
    "customer.category": ("Category", "类别"),
    "customer.priority": ("Priority", "优先级"),
    "customer.no_tickets": ("no tickets", "没有工单"),
    "customer.recent_conversations": ("Recent conversations", "最近的对话"),
    "customer.recent_interactions": ("Recent interactions", "最近的互动"),
    "customer.when": ("When", "时间"),
    "customer.what": ("What", "行为"),
    "customer.product": ("Product", "商品"),
    "customer.notice.erased": ("This customer's personal data was erased.", "此客户的个人信息已删除。"),
    "customer.notice.no_consent": (
        "The customer has not consented to personalisation: the assistant shows them popular products only.",
        "客户未同意个性化推荐:智能助手只向其展示热门商品。",
    ),
    "customer.notice.recommender": ("No recommendations: {problem}", "暂无推荐:{problem}"),
    # --- dashboard
    "dashboard.title": ("Dashboard", "数据看板"),
    "dashboard.period": ("Period:", "时间段:"),
    "dashboard.days": ("{n} days", "{n} 天"),
    "dashboard.hover": ("Hover a figure for its definition.", "鼠标悬停在数字上可查看定义。"),
    "dashboard.assistant": ("The assistant", "智能助手"),
    "dashboard.conversations": ("Conversations", "对话数"),
    "dashboard.low_confidence": ("Low confidence", "低置信度"),
    "dashboard.messages_below": ("{n} messages < 0.5", "{n} 条消息 < 0.5"),
    "dashboard.handoff_rate": ("Hand-off rate", "转人工率"),
    "dashboard.n_conversations": ("{n} conversations", "{n} 个对话"),
    "dashboard.csat": ("CSAT", "客户满意度"),
    "dashboard.scored": ("{n} scored, average {average} / 5", "{n} 人评分,平均 {average} / 5"),
    "dashboard.no_scores": ("no satisfaction scores yet", "还没有满意度评分"),
    "dashboard.rating": ("Product rating", "商品评分"),
    "dashboard.reviews": ("{n} reviews", "{n} 条评价"),
    "dashboard.recommendations": ("Recommendations", "推荐"),
    "dashboard.impressions": ("Impressions", "曝光"),
    "dashboard.ctr": ("Click-through rate", "点击率"),
    "dashboard.clicks": ("{n} clicks", "{n} 次点击"),
    "dashboard.rec_conversion": ("Conversion after a click", "点击后转化率"),
    "dashboard.purchases_7d": ("{n} purchases within 7 days", "7 天内购买 {n} 次"),
    "dashboard.shop": ("The shop (CRM)", "店铺(CRM)"),
    "dashboard.conversion_rate": ("Conversion rate", "转化率"),
    "dashboard.active_customers": ("{n} active customers", "{n} 位活跃客户"),
    "dashboard.engagement": ("Engagement", "参与度"),
    "dashboard.per_active": ("interactions per active customer", "每位活跃客户的互动次数"),
    "dashboard.service_efficiency": ("Service efficiency", "服务效率"),
    "dashboard.of_tickets": ("{part} of {whole} tickets", "{whole} 个工单中的 {part} 个"),
    "dashboard.repeat_purchase": ("Repeat purchase", "复购率"),
    "dashboard.purchasers": ("{n} purchasers", "{n} 位购买者"),
    "dashboard.revenue": ("Revenue", "营收"),
    "dashboard.orders_average": ("{n} orders, average ¥{average}", "{n} 个订单,平均 ¥{average}"),
    "dashboard.charts": ("Charts", "图表"),
    "dashboard.chart.conversations": ("Conversations per day and channel", "每天各渠道的对话数"),
    "dashboard.chart.conversations_alt": ("Conversations per day, stacked by channel", "每天的对话数,按渠道堆叠"),
    "dashboard.chart.rates": ("Containment, fallback and hand-off rates", "机器人独立解决率、兜底率和转人工率"),
    "dashboard.chart.rates_alt": (
        "Containment, fallback and hand-off rates over time",
        "机器人独立解决率、兜底率和转人工率的变化",
    ),
    "dashboard.chart.waits": ("Hand-off wait times", "转人工等待时长"),
    "dashboard.chart.waits_alt": (
        "Histogram of minutes waited for an agent (a request still waiting: so far)",
        "等待客服的分钟数的直方图(仍在等待的请求按目前已等待的时间)",
    ),
    "dashboard.chart.funnel": ("Recommendation funnel", "推荐漏斗"),
    "dashboard.chart.funnel_alt": ("Recommendation impressions, clicks and purchases", "推荐的曝光、点击和购买"),
    "dashboard.chart.intents": ("Most frequent intents", "最常见的意图"),
    "dashboard.chart.intents_alt": ("The ten most frequent intents", "最常见的十个意图"),
    "definition.conversations": (
        "Conversations started in the period, on every channel.",
        "该时段内在所有渠道开始的对话。",
    ),
    "definition.low_confidence": (
        "Low-confidence rate: customer messages whose predicted intent had a confidence "
        "below 0.5, divided by customer messages with a prediction.",
        "低置信度率:预测意图置信度低于 0.5 的客户消息,除以有预测结果的客户消息。",
    ),
    "definition.handoff": (
        "Hand-off rate: conversations started in the period that were put in the queue for a "
        "person, divided by all conversations started in the period.",
        "转人工率:该时段内开始并进入人工排队的对话,除以该时段内开始的全部对话。",
    ),
    "definition.csat": (
        "CSAT: customers in contact during the period whose satisfaction score (1-5, kept by the "
        "feedback consumer from conversation ratings and complaints) is 4 or more, divided by those "
        "with a score.",
        "客户满意度:该时段内有联系且满意度评分(1-5 分,由反馈处理根据对话评分和投诉记录)"
        "为 4 分及以上的客户,除以有评分的客户。",
    ),
    "definition.rating": (
        "Product rating: average stars of the reviews customers wrote in the period.",
        "商品评分:该时段内客户评价的平均星级。",
    ),
    "definition.impressions": (
        "Recommendation impressions: products the assistant recommended in the period.",
        "推荐曝光:该时段内智能助手推荐的商品数。",
    ),
    "definition.ctr": (
        "Click-through rate: clicks on recommended products (More like this / Details) divided by "
        "impressions, in the period.",
        "点击率:该时段内推荐商品的点击(更多类似 / 详情)除以曝光。",
    ),
    "definition.rec_conversion": (
        "Recommendation conversion: clicks followed by a purchase of the same product by "
        "the same customer within 7 days, divided by clicks.",
        "推荐转化率:点击后 7 天内同一客户购买了同一商品的点击,除以点击数。",
    ),
    "definition.conversion_rate": (
        "Conversion rate: customers who interacted and bought in the period, divided by "
        "customers who interacted (crm.metrics).",
        "转化率:该时段内有互动且购买的客户,除以有互动的客户(crm.metrics)。",
    ),
    "definition.engagement_rate": (
        "Engagement rate: interactions per active customer in the period (crm.metrics).",
        "参与度:该时段内每位活跃客户的互动次数(crm.metrics)。",
    ),
    "definition.service_efficiency": (
        "Service efficiency: tickets resolved or closed, divided by tickets received in the period (crm.metrics).",
        "服务效率:已解决或已关闭的工单,除以该时段内收到的工单(crm.metrics)。",
    ),
    "definition.repeat_purchase_rate": (
        "Repeat-purchase rate: customers with two or more purchases, divided by "
        "customers with at least one, in the period (crm.metrics).",
        "复购率:该时段内购买两次及以上的客户,除以至少购买一次的客户(crm.metrics)。",
    ),
    "definition.revenue": (
        "Revenue: totals of paid, shipped and delivered orders placed in the period; average order "
        "value = revenue / those orders (crm.metrics).",
        "营收:该时段内已支付、已发货和已送达订单的总额;平均订单金额 = 营收 / 这些订单数(crm.metrics)。",
    ),
    "definition.intents": (
        "The intents the NLU predicted most often for customer messages in the period.",
        "该时段内 NLU 对客户消息预测最多的意图。",
    ),
    # --- CSAT surveys and honest service figures (#16 items 4-5; crm.service_metrics) ---
    "service.title": ("Service quality: the figures that do not flatter", "服务质量:如实统计"),
    "service.intro": (
        "Each figure with its definition. The download has every figure with the counts it is made of.",
        "每个数字都附有定义。下载的文件包含每个数字及其计算所用的计数。",
    ),
    "service.export": ("Download these figures (CSV)", "下载这些数据(CSV)"),
    "service.containment": ("Containment", "机器人独立解决率"),
    "service.contained": ("{part} of {whole} conversations", "{whole} 个对话中的 {part} 个"),
    "service.fallback": ("Fallback rate", "兜底率"),
    "service.fallback_from": (
        "{part} of {whole} messages; {n} FAQ answers rejected",
        "{whole} 条消息中的 {part} 条;{n} 个 FAQ 答案被否定",
    ),
    "service.wait": ("Hand-off wait", "转人工等待"),
    "service.wait_from": (
        "median; 90th percentile {n} min; {count} requests",
        "中位数;90 分位 {n} 分钟;{count} 个请求",
    ),
    "service.longest_open": ("Longest open wait", "当前最长等待"),
    "service.waiting": ("{n} waiting now", "当前 {n} 个在等待"),
    "service.csat": ("CSAT (surveys)", "满意度(调查)"),
    "service.csat_from": (
        "{answered} of {asked} surveys answered ({rate}); average {average} / 5",
        "{asked} 份调查中 {answered} 份已回答({rate});平均 {average} / 5",
    ),
    "service.agents": ("Agents", "客服"),
    "service.agent": ("Agent", "客服"),
    "service.handoffs": ("Hand-offs", "转人工"),
    "service.closed": ("Closed", "已结束"),
    "service.first_response": ("First response (median)", "首次响应(中位数)"),
    "service.handle": ("Handle time (median)", "处理时长(中位数)"),
    "service.csat_col": ("CSAT", "满意度"),
    "service.response_rate": ("Response rate", "回复率"),
    "service.answered_asked": ("Answered / asked", "已回答 / 已发出"),
    "service.average": ("Average score", "平均分"),
    "service.no_agents": ("No agent took a hand-off in this period.", "该时段内没有客服接待转人工。"),
    "service.csat_by_agent": ("CSAT per agent", "各客服的满意度"),
    "service.csat_by_intent": ("CSAT per main intent", "各主要意图的满意度"),
    "service.csat_by_week": ("CSAT per week", "每周满意度"),
    "service.no_surveys": ("No survey was asked in this period.", "该时段内没有发出满意度调查。"),
    "service.the_bot": ("the assistant alone (no hand-off)", "仅智能助手(未转人工)"),
    "service.no_intent": ("no main intent", "无主要意图"),
    "service.intent": ("Main intent", "主要意图"),
    "service.week": ("Week from", "起始周"),
    "service.definitions": ("Definitions", "定义"),
    "definition.service_containment": (
        "Containment: conversations started in the period that ended with the customer's goal met and no person, "
        "divided by all conversations started in the period. Goal met: the assistant closed it (goodbye, thanks or "
        "a new session), nobody asked for a person, no complaint was made, the assistant's last answer was not a "
        "question of a form or a stopped form (a stuck request), the last request was understood and not "
        "rejected, and no satisfaction rating of 1 or 2 followed.",
        "机器人独立解决率:该时段内开始、在无人工参与下达成客户目标而结束的对话,除以该时段内开始的全部对话。"
        "达成目标:由智能助手结束(再见、感谢或新会话),没有请求人工,没有投诉,智能助手最后一句不是表单中的提问"
        "或已中止的表单(请求卡住),最后一个请求被理解且未被否定,并且之后没有 1 或 2 分的满意度评分。",
    ),
    "definition.service_fallback": (
        "Fallback rate: customer messages the assistant failed on, divided by all customer messages of "
        "conversations started in the period. Failed: the NLU did not understand it (nlu_fallback) and no FAQ "
        "answer followed, or an FAQ answer followed that the customer rejected: their next message is a no "
        "(deny), a complaint, a request for a person or not understood, or asks the same again (the same intent "
        "or the same words).",
        "兜底率:智能助手未能处理的客户消息,除以该时段内开始的对话中的全部客户消息。未能处理:NLU 无法识别"
        "(nlu_fallback)且没有 FAQ 回答,或者 FAQ 回答后客户否定了它:客户的下一条消息是否定、投诉、要求人工、"
        "无法识别,或者再次问同样的问题(相同意图或相同文字)。",
    ),
    "definition.service_wait": (
        "Hand-off wait: minutes from the request for a person until an agent took it, for requests made in the "
        "period; a request still waiting counts with its wait so far, one closed without an agent with its wait "
        "until it closed (median and 90th percentile).",
        "转人工等待:该时段内的转人工请求从提出到客服接待的分钟数;仍在等待的请求按目前已等待的时间计算,"
        "未被接待就结束的按结束前等待的时间计算(中位数和 90 分位)。",
    ),
    "definition.service_longest": (
        "Longest open wait: the longest wait among all requests waiting for an agent right now, however old.",
        "当前最长等待:当前所有等待客服的请求中等待最久的时长,无论请求何时提出。",
    ),
    "definition.first_response": (
        "First response: minutes from the customer's request for a person to the agent's first message in the "
        "conversation (the joined / left notices are not messages). Handle time: minutes from the agent taking "
        "the conversation to handing it back. Both per agent, median over the hand-offs requested in the period.",
        "首次响应:从客户请求人工到客服在对话中发出第一条消息的分钟数(加入 / 离开提示不算消息)。处理时长:"
        "从客服接待到交还对话的分钟数。均按客服统计,取该时段内转人工请求的中位数。",
    ),
    "definition.csat_survey": (
        "CSAT: satisfaction surveys answered 4 or 5 (of 1-5), divided by surveys answered. Response rate: surveys "
        "answered, divided by surveys asked. A survey is asked once per conversation, after an agent hands it "
        "back or after the customer says goodbye to an assistant that did something for them; per agent (the one "
        "who handled the hand-off), per main intent (the customer's most frequent request) and per week (from "
        "Monday, in the shop's time zone).",
        "满意度:回答 4 或 5 分(满分 5 分)的满意度调查,除以已回答的调查。回复率:已回答的调查,除以发出的调查。"
        "每个对话最多发出一次调查:客服交还对话后,或客户在智能助手为其办成事后说再见时;按客服(处理该转人工的"
        "客服)、按主要意图(客户最常提出的请求)和按周(从周一开始,按店铺时区)统计。",
    ),
    "chart.no_conversations": ("no conversations in this period", "该时段内没有对话"),
    "chart.conversations": ("conversations", "对话数"),
    "chart.containment": ("containment", "机器人独立解决"),
    "chart.fallback": ("fallback", "兜底"),
    "chart.handoff": ("hand-off", "转人工"),
    "chart.per_day": ("% per day", "每天 %"),
    "chart.per_week": ("% per week", "每周 %"),
    "chart.no_waits": ("no hand-off was requested in this period", "该时段内没有转人工请求"),
    "chart.median": ("median {n} min", "中位数 {n} 分钟"),
    "chart.minutes_until_taken": (
        "minutes until an agent took it (still waiting: so far)",
        "客服接待前的分钟数(仍在等待:目前已等待)",
    ),
    "chart.handoffs": ("hand-offs", "转人工次数"),
    "chart.impressions": ("impressions", "曝光"),
    "chart.clicks": ("clicks", "点击"),
    "chart.purchases_after_click": ("purchases ≤ 7 days after a click", "点击后 7 天内购买"),
    "chart.no_recommendations": ("no recommendation was shown in this period", "该时段内没有展示推荐"),
    "chart.no_messages": ("no customer message in this period", "该时段内没有客户消息"),
    "chart.customer_messages": ("customer messages", "客户消息数"),
    # --- dead letters
    "dead.title": ("Dead letters", "死信"),
    "dead.waiting": ("{n} waiting", "{n} 条待处理"),
    "dead.hint": (
        "Events the feedback consumer could not record (a malformed or unexpected event) are set aside here "
        "instead of stopping the feedback loop. The list shows what each was and why it was refused, never "
        "its content (customer text): read, replay or drop one with {command}, which the audit log records.",
        "反馈处理无法记录的事件(格式错误或意外的事件)会放在这里,而不会让反馈循环停下。列表只显示每个事件是什么、"
        "为什么被拒绝,从不显示内容(客户文字):用 {command} 查看、重放或丢弃,审计日志会记录。",
    ),
    "dead.status": ("Status:", "状态:"),
    "dead.all": ("all", "全部"),
    "dead.set_aside": ("Set aside", "搁置时间"),
    "dead.source": ("Source", "来源"),
    "dead.reference": ("Reference", "引用"),
    "dead.event": ("Event", "事件"),
    "dead.why": ("Why refused", "拒绝原因"),
    "dead.size": ("Size", "大小"),
    "dead.size_hint": ("Characters of the event as it came", "事件原始的字符数"),
    "dead.cut": ("cut", "已截断"),
    "dead.cut_hint": ("only the beginning is kept: it cannot be replayed", "只保留了开头:无法重放"),
    "dead.attempts": ("Attempts", "尝试次数"),
    "dead.last_change": ("Last change", "最后变更"),
    "dead.none": ("No dead letters.", "没有死信。"),
    "dead.none_with": ("No dead letters with status {status}.", "没有状态为{status}的死信。"),
    "dead.newest": ("The newest {n} are shown.", "显示最新的 {n} 条。"),
    # --- users
    "users.title": ("Users", "用户"),
    "users.heading": ("Console users", "工作台用户"),
    "users.user": ("User", "用户"),
    "users.two_step": ("Two-step", "两步登录"),
    "users.state": ("State", "状态"),
    "users.actions": ("Actions", "操作"),
    "users.role_of": ("role of {user}", "{user} 的角色"),
    "users.set": ("set", "设置"),
    "users.on": ("on", "开启"),
    "users.off": ("off", "关闭"),
    "users.turn_off": ("turn off", "关闭"),
    "users.turn_off_hint": (
        "For a lost phone: the user signs in with the password only and can set it up again",
        "手机丢失时使用:用户只用密码登录,之后可以重新设置",
    ),
    "users.disabled": ("disabled", "已停用"),
    "users.locked_until": ("locked until {at}", "锁定至 {at}"),
    "users.unlock": ("unlock", "解锁"),
    "users.active": ("active", "正常"),
    "users.failed": ("({n} failed)", "(失败 {n} 次)"),
    "users.enable": ("enable", "启用"),
    "users.disable": ("disable", "停用"),
    "users.new_password": ("new password", "新密码"),
    "users.new_password_for": ("new password for {user}", "{user} 的新密码"),
    "users.set_password": ("set password", "设置密码"),
    "users.new_user": ("New user", "新用户"),
    "users.create": ("Create", "创建"),
    "users.roles_hint": (
        "Roles: agent — inbox, transcripts, corrections, customers; supervisor — also the dashboard "
        "and the corrections export, and may take over another agent's conversation; admin — also "
        "users.",
        "角色:客服 — 收件箱、对话记录、纠错、客户;主管 — 另有数据看板和纠错导出,并可接管其他客服的对话;"
        "管理员 — 另有用户管理。",
    ),
    "users.done.created": ("The account is created.", "账户已创建。"),
    "users.done.role": ("The role is changed.", "角色已修改。"),
    "users.done.disabled": ("The account is disabled.", "账户已停用。"),
    "users.done.enabled": ("The account is enabled.", "账户已启用。"),
    "users.done.password": ("The password is set; the user's sessions ended.", "密码已设置;该用户的会话已结束。"),
    "users.done.unlocked": ("The account is unlocked.", "账户已解锁。"),
    "users.done.totp_off": ("Two-step sign-in is off for that account.", "该账户的两步登录已关闭。"),
    # --- agent workspace (#16 item 2): quick replies, internal notes, tags (console/views/workspace.py)
    "nav.quick_replies": ("Quick replies", "快捷回复"),
    "quick_replies.title": ("Quick replies", "快捷回复"),
    "quick_replies.hint": (
        "Agents insert a quick reply by typing / and its shortcut in a hand-off's reply box. Variables, filled "
        "from the conversation: {variables}.",
        "客服在转人工对话的回复框输入 / 加快捷词即可插入。可用变量（按对话自动填写）：{variables}。",
    ),
    "quick_replies.shortcut": ("Shortcut", "快捷词"),
    "quick_replies.reply_title": ("Title", "标题"),
    "quick_replies.text_zh": ("Chinese text", "中文内容"),
    "quick_replies.text_en": ("English text", "英文内容"),
    "quick_replies.updated": ("Last changed", "最后修改"),
    "quick_replies.new": ("New quick reply", "新建快捷回复"),
    "quick_replies.edit_heading": ("Edit /{shortcut}", "编辑 /{shortcut}"),
    "quick_replies.edit": ("Edit", "编辑"),
    "quick_replies.delete": ("Delete", "删除"),
    "quick_replies.save": ("Save", "保存"),
    "quick_replies.create": ("Create", "创建"),
    "quick_replies.cancel": ("Cancel", "取消"),
    "quick_replies.empty": ("No quick replies yet.", "还没有快捷回复。"),
    "quick_replies.read_only": ("Supervisors and admins manage this library.", "快捷回复由主管和管理员维护。"),
    "quick_replies.done.saved": ("Quick reply saved.", "快捷回复已保存。"),
    "quick_replies.done.deleted": ("Quick reply deleted.", "快捷回复已删除。"),
    "workspace.quick_replies": ("Quick replies", "快捷回复"),
    "workspace.quick_hint": (
        "Type / and a shortcut in the reply box, then Enter (or click one).",
        "在回复框输入 / 加快捷词后按回车（或直接点击）插入。",
    ),
    "workspace.quick_library": ("All quick replies", "全部快捷回复"),
    "workspace.quick_none": ("No quick replies yet.", "还没有快捷回复。"),
    "workspace.quick_no_match": ("No quick reply matches.", "没有匹配的快捷回复。"),
    "workspace.fill_failed": ("The quick reply could not be inserted.", "快捷回复插入失败。"),
    "workspace.missing_values": (
        "This conversation has no value for {names}: replace it before sending.",
        "此对话没有 {names} 的值，请在发送前替换。",
    ),
    "workspace.unfilled": ("Replace {names} before sending.", "发送前请替换 {names}。"),
    "workspace.conversation_tags": ("Tags of this conversation", "对话标签"),
    "workspace.customer_tags": ("Tags of this customer", "客户标签"),
    "workspace.no_tags": ("No tags yet.", "暂无标签。"),
    "workspace.tag_label": ("Tag", "标签"),
    "workspace.add_tag": ("Add tag", "添加标签"),
    "workspace.remove_tag": ("Remove tag {name}", "移除标签 {name}"),
    "workspace.conversation_notes": ("Internal notes on this conversation", "对话内部备注"),
    "workspace.customer_notes": ("Internal notes on this customer", "客户内部备注"),
    "workspace.notes_hint": ("Staff only: never sent to the customer.", "仅员工可见，绝不会发送给客户。"),
    "workspace.no_notes": ("No notes yet.", "暂无备注。"),
    "workspace.note_label": ("New note", "新备注"),
    "workspace.add_note": ("Add note", "添加备注"),
    "workspace.note_by": ("{author}, {at}", "{author}，{at}"),
    "workspace.note_edited": ("(edited {at} by {who})", "（{who} 于 {at} 编辑）"),
    "workspace.note_change": ("Edit or delete", "编辑或删除"),
    "workspace.note_edit_label": ("The note", "备注内容"),
    "workspace.note_save": ("Save the note", "保存备注"),
    "workspace.note_delete": ("Delete the note", "删除备注"),
    "workspace.note_reveal_to_edit": (
        "Part of this note is masked: show the personal data to edit it.",
        "该备注部分内容已隐藏：请先显示个人信息再编辑。",
    ),
    "workspace.tag_filter": ("Tag", "标签"),
    "workspace.filter": ("Filter", "筛选"),
    "workspace.filtered": ("Only conversations tagged “{tag}”.", "仅显示带有标签“{tag}”的对话。"),
    "workspace.show_all": ("Show all", "显示全部"),
    "workspace.customers_tagged": ("Customers tagged “{tag}”", "带有标签“{tag}”的客户"),
    "workspace.error.stray_brace": (
        "A brace that is not part of a variable: write variables as {example}.",
        "有不属于变量的花括号：变量的写法是 {example}。",
    ),
    "workspace.error.unknown_variable": ("Unknown variable {name}: use {known}.", "未知变量 {name}：可用 {known}。"),
    "workspace.error.title_too_long": ("The title is longer than {n} characters.", "标题超过 {n} 个字符。"),
    "workspace.error.text_too_long": ("The text is longer than {n} characters.", "内容超过 {n} 个字符。"),
    "workspace.error.note_too_long": ("The note is longer than {n} characters.", "备注超过 {n} 个字符。"),
    "workspace.error.no_title": ("A quick reply needs a title (one line).", "快捷回复需要一个标题（一行）。"),
    "workspace.error.no_text": (
        "A quick reply needs its text in Chinese, English or both.",
        "快捷回复需要中文或英文内容（或两者）。",
    ),
    "workspace.error.bad_shortcut": (
        "A shortcut is 1 to {n} letters, digits, - or _ (no spaces, no Chinese), e.g. hello.",
        "快捷词为 1 到 {n} 个字母、数字、- 或 _（不含空格和汉字），例如 hello。",
    ),
    "workspace.error.shortcut_taken": ("The shortcut /{shortcut} is taken.", "快捷词 /{shortcut} 已被使用。"),
    "workspace.error.too_many": ("The library holds {n} quick replies already.", "快捷回复已达上限 {n} 条。"),
    "workspace.error.empty_note": ("Write the note first.", "请先填写备注。"),
    "workspace.error.note_not_yours": (
        "This note is a colleague's: only its author or a supervisor may change it.",
        "这是同事的备注：只有作者或主管可以修改。",
    ),
    "workspace.error.empty_tag": ("Write the tag first.", "请先填写标签。"),
    "workspace.error.tag_too_long": ("A tag is at most {n} characters.", "标签最多 {n} 个字符。"),
    "workspace.error.bad_tag": (
        "A tag holds letters, digits, spaces, - , _ or . only.",
        "标签只能包含文字、数字、空格、-、_ 或 .。",
    ),
    "workspace.error.too_many_tags": (
        "At most {n} tags on one conversation or customer.",
        "每个对话或客户最多 {n} 个标签。",
    ),
    # --- queue (#16 item 3): presence, assignment, the inbox's views (console/views/queue.py, console/queue.py)
    "queue.presence": ("Presence", "在线状态"),
    "queue.online": ("Online", "在线"),
    "queue.away": ("Away", "离开"),
    "queue.offline": ("Offline", "离线"),
    "queue.set": ("Set", "设置"),
    "queue.view.all": ("All", "全部"),
    "queue.view.mine": ("Mine", "我的"),
    "queue.view.unassigned": ("Unassigned", "未分配"),
    "queue.views": ("Show", "显示"),
    "queue.routed_to": ("Assigned to", "分配给"),
    "queue.unrouted": ("unassigned", "未分配"),
    "queue.assign": ("Assign", "分配"),
    "queue.assign_to": ("Assign request {id} to", "将请求 {id} 分配给"),
    "queue.agents": ("Agents", "客服状态"),
    "queue.agent": ("Agent", "客服"),
    "queue.status": ("Status", "状态"),
    "queue.open": ("Conversations now", "当前会话"),
    "queue.cap": ("At most", "上限"),
    "queue.no_cap": ("no cap", "不限"),
    "queue.seen": ("Console last seen", "最近在线"),
    "queue.never": ("never", "从未"),
    "queue.cap_label": ("Conversations at once (empty: no cap)", "同时接待上限(留空不限)"),
    "queue.save": ("Save", "保存"),
    "queue.auto_on": (
        "Automatic assignment is on: new requests go round-robin to agents online with room.",
        "自动分配已开启:新请求轮流分配给在线且未满额的客服。",
    ),
    "queue.auto_off": ("Automatic assignment is off: supervisors assign requests.", "自动分配已关闭:由主管分配请求。"),
    "queue.offline_hint": (
        "You are offline: no request is assigned to you automatically.",
        "您当前为离线状态:不会自动为您分配请求。",
    ),
    "queue.bad_presence": ("Unknown presence.", "未知的在线状态。"),
    "queue.bad_cap": (
        "A cap is a whole number from 1 to 50, or empty for none.",
        "上限为 1 到 50 的整数,留空表示不限。",
    ),
    "queue.bad_agent": ("No such active staff account.", "没有这个可用的员工账号。"),
    "queue.not_waiting": ("This request is no longer waiting.", "该请求已不在等待中。"),
    "queue.new_requests": ("new requests", "新请求"),
    # --- tickets (#16 item 7): the list, a ticket's page, its history (console/views/tickets.py, console/tickets.py)
    "nav.tickets": ("Tickets", "工单"),
    "tickets.title": ("Tickets", "工单"),
    "tickets.heading": ("Ticket {number}", "工单 {number}"),
    "tickets.status.open": ("Open", "待处理"),
    "tickets.status.pending": ("Pending", "处理中"),
    "tickets.status.closed": ("Closed", "已关闭"),
    "tickets.status.all": ("All", "全部"),
    "tickets.assignee": ("Assignee", "负责人"),
    "tickets.assignee.all": ("everyone's", "全部"),
    "tickets.assignee.mine": ("mine", "我的"),
    "tickets.assignee.unassigned": ("unassigned", "未分配"),
    "tickets.type": ("Type", "类型"),
    "tickets.number": ("Ticket number", "工单号"),
    "tickets.number_placeholder": ("TK and digits", "TK 加数字"),
    "tickets.all_of_customer": ("all their tickets", "该客户的全部工单"),
    "tickets.of_customer": ("Tickets of", "仅显示此客户的工单:"),
    "tickets.count": ("{n} tickets", "{n} 个工单"),
    "tickets.count.one": ("1 ticket", "1 个工单"),
    "tickets.newest": ("(the newest {n} shown)", "(显示最新的 {n} 个)"),
    "tickets.none": ("No tickets match.", "没有符合条件的工单。"),
    "tickets.nobody": ("nobody", "未分配"),
    "tickets.promise": ("Promise given", "对客户的承诺"),
    "tickets.promised": ("a reply within {within}", "{within}内回复"),
    "tickets.no_promise": ("none told", "未承诺回复时限"),
    "tickets.closed_at": ("Closed", "关闭时间"),
    "tickets.customer_told": ("Customer told", "已通知客户"),
    "tickets.not_yet": ("not yet", "尚未通知"),
    "tickets.unreachable": (
        "cannot be told: no conversation of theirs is known",
        "无法通知:没有该客户的对话渠道",
    ),
    "tickets.subject": ("What the customer said", "客户的描述"),
    "tickets.resolution": ("Resolution", "处理结果"),
    "tickets.theirs": (
        "This ticket is {assignee}'s; you can comment on it.",
        "该工单由 {assignee} 负责,您可以添加备注。",
    ),
    "tickets.take": ("Take this ticket", "我来负责"),
    "tickets.assign_to": ("Assign to", "分配给"),
    "tickets.assign": ("Assign", "分配"),
    "tickets.set_status": ("Status", "状态"),
    "tickets.change": ("Change", "更改"),
    "tickets.resolution_label": (
        "Resolution note (internal: what was done)",
        "处理结果说明(内部可见:做了哪些处理)",
    ),
    "tickets.close_hint": (
        "Closing tells the customer on {channel}, in their language, that this ticket is closed.",
        "关闭后会通过{channel}用客户的语言通知客户该工单已关闭。",
    ),
    "tickets.close_hint_unreachable": (
        "The customer cannot be told: no conversation of theirs is known.",
        "无法通知客户:没有该客户的对话渠道。",
    ),
    "tickets.close": ("Close the ticket", "关闭工单"),
    "tickets.tell_again": ("Tell the customer again", "重新通知客户"),
    "tickets.history": ("History", "处理记录"),
    "tickets.comment_label": ("Internal comment (staff only)", "内部备注(仅员工可见)"),
    "tickets.comment": ("Add comment", "添加备注"),
    "tickets.event.opened": ("opened by the assistant ({channel})", "由智能助手创建({channel})"),
    "tickets.event.comment": ("commented:", "备注:"),
    "tickets.event.status": ("set the status to {status}", "将状态改为{status}"),
    "tickets.event.assign": ("assigned it to {assignee}", "分配给 {assignee}"),
    "tickets.event.close": ("closed it:", "关闭了工单:"),
    "tickets.event.told": ("the customer was told it closed", "已通知客户工单关闭"),
    "tickets.done.assigned": ("Assigned.", "已分配。"),
    "tickets.done.commented": ("Comment added.", "备注已添加。"),
    "tickets.done.status": ("Status changed.", "状态已更改。"),
    "tickets.done.closed": ("Closed; the customer was told.", "工单已关闭,已通知客户。"),
    "tickets.done.told": ("The customer was told.", "已通知客户。"),
    "tickets.done.not_told": (
        "Closed, but the customer could not be told now (the assistant did not answer); try again.",
        "工单已关闭,但暂时无法通知客户(智能助手未响应),请重试。",
    ),
    "tickets.done.unchanged": ("Nothing to change.", "没有需要更改的内容。"),
    "tickets.customer_closed": (
        "Your ticket {ticket} is closed: our team has dealt with it. If anything is still not right, just reply "
        "here and we'll help.",
        "您的工单 {ticket} 已处理完毕并关闭。如仍有问题,直接在这里回复,我们会继续为您处理。",
    ),
    "tickets.error.not_found": ("No ticket {number}.", "没有工单 {number}。"),
    "tickets.error.bad_number": ("Not a ticket number: TK and 12 digits.", "不是工单号:应为 TK 加 12 位数字。"),
    "tickets.error.bad_filter": ("Unknown filter {value}.", "未知的筛选条件 {value}。"),
    "tickets.error.bad_status": (
        "A ticket's status is changed to open or pending; close it with a resolution note.",
        "工单状态只能改为待处理或处理中;关闭请填写处理结果。",
    ),
    "tickets.error.empty_comment": ("Write the comment first.", "请先填写备注。"),
    "tickets.error.long_comment": ("A comment has at most {n} characters.", "备注最多 {n} 个字符。"),
    "tickets.error.empty_resolution": ("Write the resolution note first.", "请先填写处理结果。"),
    "tickets.error.long_resolution": ("A resolution note has at most {n} characters.", "处理结果最多 {n} 个字符。"),
    "tickets.error.not_yours": (
        "Ticket {number} is {assignee}'s: only they or a supervisor can change it.",
        "工单 {number} 由 {assignee} 负责:只有负责人或主管可以更改。",
    ),
    "tickets.error.assign_others": (
        "Only a supervisor assigns a ticket to someone else.",
        "只有主管可以把工单分配给他人。",
    ),
    "tickets.error.no_such_agent": ("No active staff account {name}.", "没有可用的员工账号 {name}。"),
    # --- refusals (console.accounts, console.handoffs, console.corrections, console.transcripts)
    "refusal.password_short": ("a password has at least {n} characters", "密码至少 {n} 个字符"),
    "refusal.password_long": ("a password has at most {n} characters", "密码最多 {n} 个字符"),
    "refusal.password_has_username": ("a password must not contain the username", "密码不能包含用户名"),
    "refusal.username": (
        "a username is 2-64 characters: lowercase letters, digits, dot, dash or underscore, starting "
        "with a letter or digit",
        "用户名为 2-64 个字符:小写字母、数字、点、连字符或下划线,以字母或数字开头",
    ),
    "refusal.no_user": ("no console user {id}", "没有编号为 {id} 的工作台用户"),
    "refusal.language": ("a console language is one of {choices}", "界面语言只能是 {choices} 之一"),
    "refusal.role": ("a role is one of {choices}", "角色只能是 {choices} 之一"),
    "refusal.username_taken": ("the username {name} is taken", "用户名 {name} 已被使用"),
    "refusal.last_admin_role": (
        "this is the last admin: make someone else admin first",
        "这是最后一位管理员:请先让其他人成为管理员",
    ),
    "refusal.own_role": ("you cannot change your own role", "您不能修改自己的角色"),
    "refusal.own_account": ("you cannot disable your own account", "您不能停用自己的账户"),
    "refusal.last_admin": ("this is the last admin", "这是最后一位管理员"),
    "refusal.current_password": ("the current password is not right", "当前密码不正确"),
    "refusal.same_password": ("the new password is the same as the current one", "新密码与当前密码相同"),
    "refusal.enrol_secret": ("the enrolment secret is malformed; start again", "设置密钥格式有误,请重新开始"),
    "refusal.enrol_code": (
        "that code does not match: check the authenticator app's clock and try the next code",
        "验证码不匹配:请检查身份验证器应用的时钟,然后试下一个验证码",
    ),
    "refusal.password_wrong": ("the password is not right", "密码不正确"),
    "refusal.unknown_action": ("unknown action {action}", "未知操作 {action}"),
    # an entity row left out of a saved correction (console/corrections.py place_entities)
    "entity.dropped.no_type": ("“{value}” has no entity type", "“{value}”没有选择实体类型"),
    "entity.dropped.not_in_domain": ("{entity} is not an entity type of the domain", "{entity} 不是领域中的实体类型"),
    "entity.dropped.not_for_intent": (
        "the intent {intent} does not use the entity {entity}",
        "意图 {intent} 不使用实体 {entity}",
    ),
    "entity.dropped.no_value": ("the {entity} entity has no value", "实体 {entity} 没有值"),
    "entity.dropped.brackets": ("“{value}”: an entity value cannot contain brackets", "“{value}”:实体值不能包含括号"),
    "entity.dropped.not_found": (
        "“{value}” ({entity}) does not appear in the example (or overlaps another entity)",
        "“{value}”({entity})没有出现在样例中(或与另一个实体重叠)",
    ),
    "conversation.saved_without": (
        "These entities were left out of it:",
        "以下实体未纳入其中:",
    ),
    "conversation.not_prefilled": (
        "Not pre-filled, they do not fit this message:",
        "以下实体与本条消息不符,未预先填入:",
    ),
    "refusal.no_message": ("no message {id}", "没有编号为 {id} 的消息"),
    "refusal.not_customer_message": (
        "only a customer's message has an intent to correct",
        "只有客户的消息才有可纠正的意图",
    ),
    "refusal.not_an_intent": ("{intent} is not an intent of the domain", "{intent} 不是领域中的意图"),
    "refusal.empty_example": ("the example text is empty", "样例文字为空"),
    "refusal.no_correction": ("no correction {id}", "没有编号为 {id} 的纠错"),
    "refusal.no_handoff": ("no hand-off {id}", "没有编号为 {id} 的转人工"),
    "refusal.handed_back": ("this conversation was already handed back", "此对话已经交还"),
    "refusal.taken": ("{agent} has already taken this conversation", "{agent} 已经接待了此对话"),
    "refusal.hand_back": (
        "only the agent serving this conversation (or a supervisor) can hand it back",
        "只有正在接待此对话的客服(或主管)可以交还",
    ),
    "refusal.take_first": (
        "take the conversation first: only the agent serving it can answer",
        "请先接待此对话:只有接待的客服可以回复",
    ),
    "refusal.filter_choice": ("{name}: {value} is not one of {choices}", "{name}:{value} 不是 {choices} 之一"),
    "refusal.filter_date": ("{name}: {value} is not a date (YYYY-MM-DD)", "{name}:{value} 不是日期(YYYY-MM-DD)"),
    "refusal.filter_page": ("page: not a number", "page:不是数字"),
    "refusal.no_conversation": ("no conversation {id}", "没有编号为 {id} 的对话"),
    # --- what the CRM stores as names
    "reason.customer asked": ("customer asked", "客户要求转人工"),
    "reason.complaint": ("complaint", "投诉"),
    "reason.not understood": ("not understood", "多次未能理解"),
    "reason.fallback": ("not understood", "未能理解"),
    "reason.contact_human_agent": ("customer asked", "客户要求转人工"),
    "intent.nlu_fallback": ("not understood (fallback)", "未能识别(兜底)"),
    "language.en": ("English", "英文"),
    "language.zh": ("Chinese", "中文"),
    "handoff_status.waiting": ("waiting", "等待中"),
    "handoff_status.assigned": ("with an agent", "接待中"),
    "handoff_status.closed": ("handed back", "已交还"),
    "conversation_status.open": ("open", "进行中"),
    "conversation_status.resolved_by_bot": ("resolved by the bot", "机器人已解决"),
    "conversation_status.handed_off": ("handed off", "已转人工"),
    "conversation_status.resolved_by_agent": ("resolved by an agent", "客服已解决"),
    "conversation_status.abandoned": ("abandoned", "已放弃"),
    "channel.web": ("web", "网页"),
    "channel.wechat": ("WeChat", "微信"),
    "channel.phone": ("phone", "电话"),
    "channel.email": ("email", "邮件"),
    "channel.rest": ("app", "应用"),
    "sender.customer": ("customer", "客户"),
    "sender.bot": ("bot", "机器人"),
    "sender.agent": ("agent", "客服"),
    "role.agent": ("agent", "客服"),
    "role.supervisor": ("supervisor", "主管"),
    "role.admin": ("admin", "管理员"),
    "tier.standard": ("standard", "普通"),
    "tier.silver": ("silver", "白银"),
    "tier.gold": ("gold", "黄金"),
    "tier.platinum": ("platinum", "铂金"),
    "lifecycle.prospect": ("prospect", "潜在客户"),
    "lifecycle.new": ("new", "新客户"),
    "lifecycle.active": ("active", "活跃"),
    "lifecycle.at_risk": ("at risk", "有流失风险"),
    "lifecycle.churned": ("churned", "已流失"),
    "segment.high_value": ("high value", "高价值"),
    "segment.potential": ("potential", "潜力"),
    "segment.new": ("new", "新客户"),
    "segment.at_risk": ("at risk", "有流失风险"),
    "segment.silent": ("silent", "沉默"),
    "segment.lost": ("lost", "已流失"),
    "churn_risk.low": ("low", "低"),
    "churn_risk.medium": ("medium", "中"),
    "churn_risk.high": ("high", "高"),
    "order_status.placed": ("placed", "已下单"),
    "order_status.paid": ("paid", "已支付"),
    "order_status.shipped": ("shipped", "已发货"),
    "order_status.delivered": ("delivered", "已送达"),
    "order_status.cancelled": ("cancelled", "已取消"),
    "order_status.returned": ("returned", "已退货"),
    "ticket_category.order": ("order", "订单"),
    "ticket_category.delivery": ("delivery", "配送"),
    "ticket_category.refund": ("refund", "退款"),
    "ticket_category.product": ("product", "商品"),
    "ticket_category.payment": ("payment", "支付"),
    "ticket_category.account": ("account", "账户"),
    "ticket_category.complaint": ("complaint", "投诉"),
    "ticket_category.other": ("other", "其他"),
    "ticket_priority.low": ("low", "低"),
    "ticket_priority.normal": ("normal", "普通"),
    "ticket_priority.high": ("high", "高"),
    "ticket_priority.urgent": ("urgent", "紧急"),
    "ticket_status.open": ("open", "待处理"),
    "ticket_status.pending": ("pending", "处理中"),
    "ticket_status.resolved": ("resolved", "已解决"),
    "ticket_status.closed": ("closed", "已关闭"),
    "interaction.view": ("viewed", "浏览"),
    "interaction.click": ("clicked", "点击"),
    "interaction.add_to_cart": ("added to cart", "加入购物车"),
    "interaction.purchase": ("bought", "购买"),
    "interaction.chat_mention": ("mentioned in chat", "对话中提到"),
    "interaction.rec_impression": ("was recommended", "被推荐"),
    "interaction.rec_click": ("clicked a recommendation", "点击推荐"),
    "interaction.rating": ("rated", "评分"),
    "dead_status.pending": ("pending", "待处理"),
    "dead_status.retried": ("retried", "已重放"),
    "dead_status.dropped": ("dropped", "已丢弃"),
    "consent.marketing": ("marketing", "营销"),
    "consent.personalization": ("personalisation", "个性化"),
    # --- experiments page (console/views/experiments.py, console/experiments.py, templates/experiment*.html)
    "nav.experiments": ("Experiments", "实验"),
    "experiments.title": ("Experiments", "A/B 实验"),
    "experiments.intro": (
        "A/B tests on what the assistant shows — its recommendations, the wording of selected replies, and "
        "outreach offers against a hold-out — as `python -m crm experiments` runs them: create a draft, start it, "
        "and read the report once every arm has its planned sample.",
        "对助手展示的内容做 A/B 实验:商品推荐、部分回复的措辞、以及营销触达的优惠(与不触达的对照组比较),"
        "与 `python -m crm experiments` 相同:先创建草稿,再启动;等每组都达到计划样本量后再解读报告。",
    ),
    "experiments.none": ("No experiment yet.", "还没有实验。"),
    "experiments.key": ("Key", "标识"),
    "experiments.key_hint": ("lower-case letters, digits, - and _", "小写字母、数字、- 和 _"),
    "experiments.surface": ("Surface", "实验位置"),
    "experiments.metric": ("Primary metric", "主要指标"),
    "experiments.arms": ("Arms", "实验组"),
    "experiments.starts_at": ("Starts", "开始时间"),
    "experiments.stops_at": ("Stops", "结束时间"),
    "experiments.exposures": ("Exposures", "曝光人数"),
    "experiments.target": ("Target", "目标人群"),
    "experiments.planned": ("Planned per arm", "每组计划样本"),
    "experiments.days": ("{n} days", "{n} 天"),
    "experiments.days.one": ("{n} day", "{n} 天"),
    "experiments.new": ("New experiment", "新建实验"),
    "experiments.description": ("Description", "说明"),
    "experiments.arm_name": ("Arm", "组名"),
    "experiments.weight": ("Weight", "权重"),
    "experiments.strategy": ("Strategy", "推荐策略"),
    "experiments.diversity": ("Category variety", "类目多样化"),
    "experiments.settings": ("Other settings", "其他设置"),
    "experiments.settings_placeholder": ("e.g. popularity_weight=0.3", "例如 popularity_weight=0.3"),
    "experiments.default_option": ("served default", "默认"),
    "experiments.control": ("control", "对照组"),
    "experiments.arm_row": ("Arm {n}", "第 {n} 组"),
    "experiments.arms_hint": (
        "The first arm is the control; 2 to 5 arms, empty rows are left out. Weights are whole numbers (50 and 50 "
        "split evenly). Other settings as the command line takes them (key=value, separated by commas): {keys}.",
        "第一组为对照组;共 2 到 5 组,空行忽略。权重为整数(50 与 50 即平分)。其他设置与命令行写法相同"
        "(key=value,用逗号分隔):{keys}。",
    ),
    "experiments.wording_key": ("Message reworded (reply wording)", "改写的消息(回复措辞)"),
    "experiments.wording_en": ("Wording (English)", "措辞(英文)"),
    "experiments.wording_zh": ("Wording (Chinese)", "措辞(中文)"),
    "experiments.wording_hint": (
        "Reply wording: each arm's words for the chosen message, in English and Chinese (an arm left empty, such "
        "as the control, says the usual words). Outreach: a treatment arm's own offer in both languages (left "
        "empty: the campaign's message); the first arm is the hold-out and is never contacted. Wordings cannot hold "
        "curly braces; recommendation experiments take no wordings.",
        "回复措辞:每组为所选消息填写中英文措辞(留空的组,例如对照组,使用原有措辞)。营销触达:实验组可填写自己的"
        "中英文优惠文案(留空则使用活动的文案);第一组为不触达的对照组。措辞中不能包含花括号;商品推荐实验不填写措辞。",
    ),
    "experiments.sample_size": ("Planned sample per arm", "每组计划样本量"),
    "experiments.or": ("or", "或"),
    "experiments.baseline": ("Control's expected rate", "对照组预期转化率"),
    "experiments.baseline_placeholder": ("e.g. 0.05", "例如 0.05"),
    "experiments.mde": ("Smallest lift worth detecting", "最小可检测提升"),
    "experiments.mde_placeholder": ("e.g. 0.1 for +10 %", "例如 0.1 表示 +10 %"),
    "experiments.size_hint": (
        "Give the planned analysed units per arm, or the control's expected rate and the smallest relative lift "
        "worth detecting (two-proportion z-test, 80 % power). It cannot change once created: that is what keeps "
        "the verdict honest.",
        "填写每组计划分析的样本量,或填写对照组预期转化率和值得检测的最小相对提升(双比例 z 检验,80% 检验功效)。"
        "创建后不可修改,以保证结论可信。",
    ),
    "experiments.alpha": ("Significance level (alpha)", "显著性水平(alpha)"),
    "experiments.window_days": ("Conversion window (days)", "转化窗口(天)"),
    "experiments.create": ("Create draft", "创建草稿"),
    "experiments.refused": ("The CRM refused: {reason}", "CRM 拒绝了此操作:{reason}"),
    "experiments.done.created": (
        "Experiment created as a draft: nobody is assigned until it starts.",
        "实验已创建为草稿:启动前不会分配任何客户。",
    ),
    "experiments.done.started": ("Experiment started.", "实验已启动。"),
    "experiments.done.stopped": (
        "Experiment stopped: nobody new is assigned; conversions of those already exposed still count.",
        "实验已停止:不再分配新客户;已曝光客户的转化仍会计入。",
    ),
    "experiments.done.stop_scheduled": ("Stop scheduled.", "已安排停止时间。"),
    "experiments.refusal.too_long": ("{field}: at most {n} characters", "{field}:最多 {n} 个字符"),
    "experiments.refusal.number": ("{field} must be a number, not {value}", "{field} 必须是数字,而不是 {value}"),
    "experiments.refusal.colon": (
        "arm {name}: the name, the weight and the settings go in their own fields (no ':')",
        "实验组 {name}:名称、权重和设置请分别填写(不要用“:”)",
    ),
    "experiments.refusal.size_both": (
        "give either the planned sample per arm or a baseline rate with a lift, not both",
        "请填写每组计划样本量,或填写基准转化率和提升,不要同时填写",
    ),
    "experiments.refusal.size_positive": (
        "the planned sample per arm must be a positive whole number",
        "每组计划样本量必须是正整数",
    ),
    "experiments.refusal.size_missing": (
        "give the planned sample per arm, or the control's expected rate and the smallest lift worth detecting",
        "请填写每组计划样本量,或填写对照组预期转化率和最小可检测提升",
    ),
    "experiments.refusal.mde_missing": (
        "the baseline rate needs the smallest lift worth detecting (e.g. 0.1 for +10 %)",
        "填写基准转化率时还需填写最小可检测提升(例如 0.1 表示 +10 %)",
    ),
    "experiments.refusal.wording_surface": (
        "wordings are for reply-wording and outreach experiments: empty them, or choose one of those surfaces",
        "措辞只用于回复措辞和营销触达实验:请清空措辞,或选择这两种实验位置之一",
    ),
    "experiments.refusal.ranking_surface": (
        "arm {name}: this experiment changes wordings only; leave the strategy, the variety and the other settings "
        "at the default",
        "实验组 {name}:此实验只改变措辞;推荐策略、类目多样化和其他设置请保持默认",
    ),
    "experiments.refusal.holdout_message": (
        "arm {name} is the hold-out (never contacted): leave its wording empty",
        "实验组 {name} 是不触达的对照组:请不要填写措辞",
    ),
    "experiments.refusal.wording_key": (
        "choose the message the arms reword",
        "请选择各组要改写的消息",
    ),
    "experiments.refusal.wording_missing": (
        "a reply-wording experiment needs a wording in at least one arm, in English and Chinese",
        "回复措辞实验至少需要一组填写中英文措辞",
    ),
    "experiments.refusal.wording_language": (
        "arm {name}: give the wording in both English and Chinese",
        "实验组 {name}:措辞需要同时填写英文和中文",
    ),
    "experiments.refusal.wording_too_long": (
        "arm {name}: a wording has at most {n} characters",
        "实验组 {name}:措辞最多 {n} 个字符",
    ),
    "experiments.refusal.wording_braces": (
        "arm {name}: a wording cannot hold {{ or }} (this message fills in nothing)",
        "实验组 {name}:措辞中不能包含 {{ 或 }}(此消息没有可填入的内容)",
    ),
    "experiments.refusal.alpha": ("alpha must be between 0 and 0.5", "alpha 必须在 0 和 0.5 之间"),
    "experiments.refusal.moment": (
        "{value} is not a date and time (e.g. 2026-12-07T09:30)",
        "{value} 不是有效的日期时间(例如 2026-12-07T09:30)",
    ),
    "experiment.title": ("Experiment {key}", "实验 {key}"),
    "experiment.back": ("All experiments", "全部实验"),
    "experiment.created": ("Created", "创建时间"),
    "experiment.measures": ("{metric} within {n} days of the exposure", "曝光后 {n} 天内的{metric}"),
    "experiment.as_of": ("Figures as of", "统计截至"),
    "experiment.as_of_hint": (
        "Empty: now. A time without an offset is in {tz}.",
        "留空即为现在。未带时区的时间按 {tz} 计算。",
    ),
    "experiment.recount": ("Count again", "重新统计"),
    "experiment.json": (
        "Download the report (JSON, as python -m crm experiments report --json prints it)",
        "下载报告(JSON,与 python -m crm experiments report --json 的输出相同)",
    ),
    "experiment.start": ("Start…", "启动…"),
    "experiment.start_confirm": (
        "Starting assigns customers to the arms (by a salted hash, the same arm on every linked channel) and gives "
        "each their arm's variant (its recommendations, or an outreach message or its hold-out). One experiment "
        "runs per surface at a time; a stopped experiment cannot be restarted.",
        "启动后,客户会被分配到各组(加盐哈希,已关联的各渠道保持同一组),并按所在组得到相应版本"
        "(推荐结果,或营销触达消息及不触达的对照)。"
        "同一位置同时只能运行一个实验;停止后不能重新启动。",
    ),
    "experiment.start_at": ("Start at (empty: now)", "开始时间(留空即现在)"),
    "experiment.start_yes": ("Yes, start it", "确认启动"),
    "experiment.stop": ("Stop…", "停止…"),
    "experiment.stop_confirm": (
        "Stopping ends assignment: nobody new enters the experiment, and it cannot be restarted. Conversions of "
        "those already exposed keep counting. Stopped before the planned sample, it gives no verdict.",
        "停止后不再分配新客户,且不能重新启动;已曝光客户的转化继续计入。未达到计划样本量就停止,将得不出结论。",
    ),
    "experiment.stop_at": ("Stop at (empty: now)", "停止时间(留空即现在)"),
    "experiment.stop_yes": ("Yes, stop it", "确认停止"),
    "experiment.starts_later": ("Assignment starts at {at}.", "将于 {at} 开始分配。"),
    "experiment.stops_later": ("Assignment stops at {at}.", "将于 {at} 停止分配。"),
    "experiment.verdict.srm": (
        "Do not trust these figures: sample ratio mismatch (chi-square p = {p}). The arms did not get the traffic "
        "their weights ask for, so the groups may differ in more than the variant; find the cause (assignment, "
        "exposure logging, bot traffic) first.",
        "请勿采信这些数据:样本比例失衡(卡方检验 p = {p})。各组流量与权重不符,组间差异可能不只是实验变量;"
        "请先查明原因(分配、曝光记录、机器流量)。",
    ),
    "experiment.verdict.early": (
        "Do not read these results yet: the smallest arm has {smallest} of the planned {planned} analysed units. "
        "This is a fixed-horizon test; calling it early (stopping on a good day) makes false winners much more "
        "likely than the stated error rate.",
        "现在还不能解读结果:样本最少的一组只有 {smallest} 个已分析样本,计划为 {planned} 个。这是固定样本量检验;"
        "提前下结论(在数据好看的一天停止)会使误判赢家的概率远高于设定的错误率。",
    ),
    "experiment.verdict.winner": (
        "{arm} beats {control}: lift {lift} ({level} interval {low} to {high}), p = {p} (Holm-adjusted).",
        "{arm} 优于 {control}:提升 {lift}({level} 置信区间 {low} 至 {high}),p = {p}(Holm 校正)。",
    ),
    "experiment.verdict.control": (
        "{control} beats {arms}: the variant did significantly worse.",
        "{control} 优于 {arms}:实验组显著更差。",
    ),
    "experiment.verdict.none": ("No significant difference at alpha = {alpha}.", "在 alpha = {alpha} 下没有显著差异。"),
    "experiment.verdict.none_mde": (
        "No significant difference at alpha = {alpha}; with this sample a change of {mde} or more would have shown "
        "with 80 % power.",
        "在 alpha = {alpha} 下没有显著差异;以当前样本量,{mde} 及以上的变化有 80% 的把握被检测到。",
    ),
    "experiment.horizon": ("Fixed horizon", "固定样本量"),
    "experiment.horizon.reached": (
        "reached: every arm has at least {planned} analysed units",
        "已达到:每组至少有 {planned} 个已分析样本",
    ),
    "experiment.horizon.not_reached": (
        "not reached: {smallest} of {planned} analysed units in the smallest arm",
        "未达到:最少的一组有 {smallest}/{planned} 个已分析样本",
    ),
    "experiment.arm": ("Arm", "组"),
    "experiment.variant": ("What it changes", "变量"),
    "experiment.exposed": ("Exposed", "曝光"),
    "experiment.analysed": ("Analysed", "已分析"),
    "experiment.analysed_hint": (
        "Exposed units whose conversion window has ended by the time counted",
        "截至统计时间,转化窗口已结束的曝光样本",
    ),
    "experiment.converted": ("Converted", "转化"),
    "experiment.rate": ("Rate [{level} interval]", "转化率 [{level} 置信区间]"),
    "experiment.lift": ("Lift vs control [{level}]", "相对对照组提升 [{level}]"),
    "experiment.p": ("p (z-test)", "p 值(z 检验)"),
    "experiment.p_holm": ("p (Holm)", "p 值(Holm 校正)"),
    "experiment.tests": (
        "How: rate intervals are Wilson score intervals; p-values are two-sided two-proportion z-tests (pooled "
        "variance) against the control, Holm-adjusted across the {n} treatment arms; the lift interval is the log "
        "(Katz) interval of the ratio of the rates.",
        "方法:转化率区间为 Wilson 区间;p 值为与对照组的双侧双比例 z 检验(合并方差),"
        "并对 {n} 个实验组做 Holm 校正;提升区间为两组转化率之比的对数(Katz)区间。",
    ),
    "experiment.tests.one": (
        "How: rate intervals are Wilson score intervals; the p-value is a two-sided two-proportion z-test (pooled "
        "variance) against the control (one treatment arm: Holm leaves it unchanged); the lift interval is the log "
        "(Katz) interval of the ratio of the rates.",
        "方法:转化率区间为 Wilson 区间;p 值为与对照组的双侧双比例 z 检验(合并方差)"
        "(只有一个实验组,Holm 校正不改变它);提升区间为两组转化率之比的对数(Katz)区间。",
    ),
    "experiment.srm": ("Sample ratio", "样本比例"),
    "experiment.srm.fine": ("fine (chi-square p = {p})", "正常(卡方检验 p = {p})"),
    "experiment.srm.mismatch": ("MISMATCH (chi-square p = {p})", "失衡(卡方检验 p = {p})"),
    "experiment.srm.none": ("nobody exposed yet", "尚无曝光"),
    "experiment.mde": ("Minimum detectable effect now", "当前最小可检测效应"),
    "experiment.mde_value": ("{mde} relative change (80 % power)", "相对变化 {mde}(80% 检验功效)"),
    "experiment.charts": ("Charts", "图表"),
    "experiment.chart.rates": ("Each arm's rate with its interval", "各组转化率及置信区间"),
    "experiment.chart.rates_alt": ("Conversion rate of each arm with its interval", "各组转化率及置信区间图"),
    "experiment.chart.daily": ("Cumulative rate at the end of each day", "每日累计转化率"),
    "experiment.chart.daily_alt": ("Cumulative conversion rate of each arm per day", "各组每日累计转化率图"),
    "experiment.chart.daily_hint": (
        "How the figures moved (shaded: each arm's {level} interval). No reason to stop early: only the fixed "
        "horizon decides.",
        "仅供了解走势(阴影为各组的 {level} 置信区间),不能据此提前停止:以固定样本量为准。",
    ),
    "chart.no_analysed_units": (
        "No analysed units yet (conversion windows still open)",
        "尚无已分析样本(转化窗口尚未结束)",
    ),
    "chart.rate_with_interval": ("rate (%) with {level} interval", "转化率(%)及 {level} 置信区间"),
    "chart.cumulative_rate": ("cumulative rate (%)", "累计转化率(%)"),
    "experiment_status.draft": ("draft", "草稿"),
    "experiment_status.running": ("running", "进行中"),
    "experiment_status.stopped": ("stopped", "已停止"),
    "experiment_metric.rec_click": ("recommendation click-through", "推荐点击"),
    "experiment_metric.add_to_cart": ("add to cart", "加入购物车"),
    "experiment_metric.purchase": ("purchase", "购买"),
    "experiment_metric.resolved": ("resolved by the assistant", "机器人解决"),
    "experiment_metric.csat": ("satisfied (survey rating 4-5)", "满意(满意度评分 4-5 分)"),  # CSAT (#16 item 4)
    "experiment_surface.recommendations": ("recommendations", "商品推荐"),
    "experiment_surface.outreach": ("outreach (the first arm is the hold-out)", "营销触达(第一组为不触达的对照组)"),
    # reply wording experiments (#17 item 2): the arms' wordings are given in the form or with --wording
    "experiment_surface.replies": ("reply wording", "回复措辞"),
    "reply_message.rec_intro_personal": ("heading of a customer's own recommendations", "个性化推荐的标题"),
    "reply_message.rec_intro_popular": ("heading of the popular list (guests)", "热门推荐的标题(访客)"),
    "reply_message.retention_offer": ("offer to a consenting customer at risk", "给有流失风险且同意营销的客户的优惠"),
    "reply_message.handoff_promise": ("first sentence of the hand-off to a person", "转人工时的第一句话"),
    "experiment_target.all": ("all customers", "全部客户"),
    "experiment_target.segment": ("segment", "客户分群"),
    "experiment_target.channel": ("channel", "渠道"),
    "arm_strategy.hybrid": ("hybrid: the trained blend", "混合:训练好的默认组合"),
    "arm_strategy.als": ("ALS: the customer's taste only", "ALS:仅按客户偏好"),
    "arm_strategy.popularity": ("popularity: what sells", "热门:按销量"),
    "arm_diversity.on": ("varied categories", "类目多样化"),
    "arm_diversity.off": ("no category variety", "不做类目多样化"),
}

# The kinds of stored names `label` translates, with every value each can take (the completeness test's list).
LABELLED: dict[str, tuple[str, ...]] = {
    "language": tuple(v.value for v in Language),
    "handoff_status": tuple(v.value for v in HandoffStatus),
    "conversation_status": tuple(v.value for v in ConversationStatus),
    "channel": tuple(v.value for v in Channel),
    "sender": tuple(v.value for v in MessageSender),
    "role": tuple(v.value for v in StaffRole),
    "tier": tuple(v.value for v in Tier),
    "lifecycle": tuple(v.value for v in LifecycleStage),
    "segment": tuple(v.value for v in Segment),
    "churn_risk": tuple(v.value for v in ChurnRisk),
    "order_status": tuple(v.value for v in OrderStatus),
    # orders panel and notices
    "order_action": ("refund", "cancel", "address", "resend"),
    "refund_kind": tuple(v.value for v in RefundKind),
    "refund_status": tuple(v.value for v in RefundStatus),
    "shipment_status": tuple(v.value for v in ShipmentStatus),
    "ticket_category": tuple(v.value for v in TicketCategory),
    "ticket_priority": tuple(v.value for v in TicketPriority),
    "ticket_status": tuple(v.value for v in TicketStatus),
    "interaction": tuple(v.value for v in InteractionKind),
    "dead_status": tuple(v.value for v in DeadLetterStatus),
    "consent": ("marketing", "personalization"),
    # experiments page
    "experiment_status": tuple(v.value for v in ExperimentStatus),
    "experiment_metric": tuple(v.value for v in ExperimentMetric),
    "experiment_surface": tuple(v.value for v in ExperimentSurface),
    "experiment_target": tuple(v.value for v in ExperimentTarget),
    "arm_strategy": ("hybrid", "als", "popularity"),
    "reply_message": tuple(REPLY_KEYS),
    "arm_diversity": ("on", "off"),
    # what actions/handoff.py records (and older or demo hand-offs: "fallback", the intent that asked)
    "reason": ("customer asked", "complaint", "not understood", "fallback", "contact_human_agent"),
}


def _index(language: str) -> int:
    return 1 if language == Language.ZH.value else 0


def translate(language: str, key: str, /, **values: Any) -> str:
    """The message `key` in `language`, with `values` put in its `{name}` fields. An unknown key is a KeyError:
    the catalogue test finds every key the templates use, so this only fails on a programming mistake."""
    if values.get("n") == 1 and f"{key}.one" in MESSAGES:
        key = f"{key}.one"
    text = MESSAGES[key][_index(language)]
    return text.format_map(values) if values else text


def label(language: str, kind: str, value: Any) -> str:
    """A stored name (a status, a channel, a hand-off reason…) in words; one this catalogue does not know is
    shown as stored (the data may be newer than the console)."""
    raw = "" if value is None else str(getattr(value, "value", value))
    entry = MESSAGES.get(f"{kind}.{raw}")
    return raw if entry is None else entry[_index(language)]


def choose_language(accept_language: str | None) -> str:
    """The sign-in page's language from the browser's Accept-Language: Chinese when the most preferred of its
    Chinese and English entries is Chinese (zh, zh-CN, zh-Hant…), English otherwise. Only the first
    ACCEPT_LANGUAGE_MAX_CHARS characters and ACCEPT_LANGUAGE_MAX_ENTRIES entries are read; a malformed
    weight counts as 0."""
    best: tuple[float, int, str] | None = None
    entries = (accept_language or "")[:ACCEPT_LANGUAGE_MAX_CHARS].split(",")[:ACCEPT_LANGUAGE_MAX_ENTRIES]
    for position, entry in enumerate(entries):
        tag, _, params = entry.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        params = params.strip()
        if params:
            name, _, number = params.partition("=")
            try:
                weight = float(number) if name.strip() == "q" and len(number) <= 6 else 0.0
            except ValueError:
                weight = 0.0
        if weight > 0 and (best is None or (weight, -position) > (best[0], best[1])):
            best = (weight, -position, primary)
    return best[2] if best is not None else Language.EN.value


# --- refusals ---------------------------------------------------------------------------------------------


def refusal(kind: type[CRMError], key: str, /, **values: Any) -> CRMError:
    """A CRM error (InvalidInput, NotAllowed, NotFound…) in the catalogue's words: its text is the English
    message (logs, the command line) and `describe` gives it in a staff member's language."""
    error = kind(translate(Language.EN.value, key, **values))
    error.message_key, error.message_values = key, values  # type: ignore[attr-defined]
    return error


def describe(language: str, error: Exception) -> str:
    """What a page says about a refusal: in `language` when it came from `refusal`, else as the CRM said it."""
    key = getattr(error, "message_key", None)
    return str(error) if key is None else translate(language, key, **getattr(error, "message_values", {}))


# --- intents and button payloads ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _intent_labels(path: str, stamp: float) -> dict[str, dict[str, str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {
        str(intent): {lang: str(text) for lang, text in names.items() if isinstance(text, str)}
        for intent, names in data.items()
        if isinstance(names, dict)
    }


def intent_labels(path: Path) -> dict[str, dict[str, str]]:
    """intent -> {en, zh}: the names the assistant itself uses for intents (data/knowledge/intent_labels.yml),
    re-read when the file changes; none when it is missing (raw intent names are shown)."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return {}
    return _intent_labels(str(path), stamp)


def intent_label(language: str, intent: str | None, labels: dict[str, dict[str, str]]) -> str:
    """An intent in the staff member's words; an intent nobody named yet stays as its name."""
    if not intent:
        return ""
    named = labels.get(intent, {}).get(language)
    return named or label(language, "intent", intent)


def as_read(language: str, text: str, labels: dict[str, dict[str, str]]) -> str:
    """A customer message as staff should read it: a raw button payload ("/affirm", written when the
    feedback consumer did not see the button's title) becomes the intent's label, through the same rule the
    consumer and the live view use for pressed buttons (`crm.rasa_events.as_said`)."""
    offered = {f"/{intent}": intent_label(language, intent, labels) for intent in labels}
    return as_said(text, offered)


# "customer [track_order 0.93]: text" or "bot: text", as actions/handoff.py writes a hand-off's summary.
_SUMMARY_LINE = re.compile(r"(customer|bot) ?(?:\[(\S{1,80}) ([0-9.]{1,8})\])?: ?(.*)")


def readable_summary(language: str, summary: str, labels: dict[str, dict[str, str]]) -> str:
    """A hand-off's summary with its speakers, intents and pressed payloads in the staff member's words; a line
    in another form is kept as it is."""
    lines = []
    for line in summary.splitlines():
        match = _SUMMARY_LINE.fullmatch(line)
        if match is None:
            lines.append(line)
            continue
        who, intent, confidence, said = match.groups()
        head = translate(language, f"summary.{who}")
        if intent:
            head += f" [{intent_label(language, intent, labels)} {confidence}]"
        lines.append(f"{head}: {as_read(language, said, labels) if who == 'customer' else said}")
    return "\n".join(lines)


# --- dates and times ---------------------------------------------------------------------------------------

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MOMENT_KINDS = ("datetime", "date", "time", "minute")


def format_moment(language: str, moment: datetime | None, tz: ZoneInfo, kind: str = "datetime") -> str:
    """A moment in the shop's time zone, as each language writes it: "2026年12月6日 20:56" or
    "6 Dec 2026, 20:56"; `kind` is one of MOMENT_KINDS (a date, a time with seconds, hours and minutes)."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    if kind == "time":
        return local.strftime("%H:%M:%S")
    if kind == "minute":
        return local.strftime("%H:%M")
    if language == Language.ZH.value:
        day = f"{local.year}年{local.month}月{local.day}日"
    else:
        day = f"{local.day} {MONTHS_EN[local.month - 1]} {local.year}"
    if kind == "date":
        return day
    if kind != "datetime":
        raise ValueError(f"a moment is shown as one of {', '.join(MOMENT_KINDS)}, not {kind!r}")
    return f"{day} {local:%H:%M}" if language == Language.ZH.value else f"{day}, {local:%H:%M}"
