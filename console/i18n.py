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
from crm.models import (
    Channel,
    ChurnRisk,
    ConversationStatus,
    DeadLetterStatus,
    HandoffStatus,
    InteractionKind,
    Language,
    LifecycleStage,
    MessageSender,
    OrderStatus,
    Segment,
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
    "dashboard.self_service": ("Self-service rate", "自助解决率"),
    "dashboard.resolved_by_bot": ("{n} resolved by the bot", "机器人解决 {n} 个"),
    "dashboard.fallback_rate": ("Fallback rate", "未识别率"),
    "dashboard.of_messages": ("{part} of {whole} messages", "{whole} 条消息中的 {part} 条"),
    "dashboard.low_confidence": ("Low confidence", "低置信度"),
    "dashboard.messages_below": ("{n} messages < 0.5", "{n} 条消息 < 0.5"),
    "dashboard.handoff_rate": ("Hand-off rate", "转人工率"),
    "dashboard.n_conversations": ("{n} conversations", "{n} 个对话"),
    "dashboard.handoff_wait": ("Hand-off wait", "转人工等待"),
    "dashboard.median_p90": ("median; 90th percentile {n} min", "中位数;90 分位 {n} 分钟"),
    "dashboard.waiting_now": ("Waiting now", "当前等待"),
    "dashboard.longest": ("longest {n} min", "最长 {n} 分钟"),
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
    "dashboard.chart.rates": ("Self-service, fallback and hand-off rates", "自助解决率、未识别率和转人工率"),
    "dashboard.chart.rates_alt": (
        "Self-service, fallback and hand-off rates over time",
        "自助解决率、未识别率和转人工率的变化",
    ),
    "dashboard.chart.waits": ("Hand-off wait times", "转人工等待时长"),
    "dashboard.chart.waits_alt": (
        "Histogram of minutes until an agent took a hand-off",
        "客服接待前等待分钟数的直方图",
    ),
    "dashboard.chart.funnel": ("Recommendation funnel", "推荐漏斗"),
    "dashboard.chart.funnel_alt": ("Recommendation impressions, clicks and purchases", "推荐的曝光、点击和购买"),
    "dashboard.chart.intents": ("Most frequent intents", "最常见的意图"),
    "dashboard.chart.intents_alt": ("The ten most frequent intents", "最常见的十个意图"),
    "definition.conversations": (
        "Conversations started in the period, on every channel.",
        "该时段内在所有渠道开始的对话。",
    ),
    "definition.containment": (
        "Self-service (containment) rate: conversations the assistant resolved without a person "
        "(outcome resolved_by_bot), divided by all conversations started in the period.",
        "自助解决率:智能助手无需人工就解决的对话(结果为机器人解决),除以该时段内开始的全部对话。",
    ),
    "definition.fallback": (
        "Fallback rate: customer messages the NLU could not place (intent nlu_fallback), divided "
        "by all customer messages in the period.",
        "未识别率:NLU 无法识别的客户消息(意图 nlu_fallback),除以该时段内的全部客户消息。",
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
    "definition.wait": (
        "Hand-off wait: minutes from the customer's request for a person until an agent took it, for "
        "requests made in the period (median and 90th percentile).",
        "转人工等待:从客户请求人工到客服接待的分钟数,统计该时段内的请求(中位数和 90 分位)。",
    ),
    "definition.waiting_now": (
        "Conversations waiting for an agent right now, and the longest current wait.",
        "当前正在等待客服的对话,以及目前最长的等待时间。",
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
    "chart.no_conversations": ("no conversations in this period", "该时段内没有对话"),
    "chart.conversations": ("conversations", "对话数"),
    "chart.self_service": ("self-service", "自助解决"),
    "chart.fallback": ("fallback", "未识别"),
    "chart.handoff": ("hand-off", "转人工"),
    "chart.per_day": ("% per day", "每天 %"),
    "chart.per_week": ("% per week", "每周 %"),
    "chart.no_waits": ("no hand-off was taken by an agent in this period", "该时段内没有客服接待的转人工"),
    "chart.median": ("median {n} min", "中位数 {n} 分钟"),
    "chart.minutes_until_taken": ("minutes until an agent took the conversation", "客服接待前的分钟数"),
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
    "refusal.not_an_entity": (
        "{entity} is not an entity of the domain ({known})",
        "{entity} 不是领域中的实体({known})",
    ),
    "refusal.entity_value": ("the {entity} entity needs a value", "实体 {entity} 需要一个值"),
    "refusal.entity_brackets": ("an entity value cannot contain brackets", "实体值不能包含括号"),
    "refusal.entity_not_found": (
        "{value} does not appear in the example (or overlaps another entity)",
        "{value} 没有出现在样例中(或与另一个实体重叠)",
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
    "ticket_category": tuple(v.value for v in TicketCategory),
    "ticket_priority": tuple(v.value for v in TicketPriority),
    "ticket_status": tuple(v.value for v in TicketStatus),
    "interaction": tuple(v.value for v in InteractionKind),
    "dead_status": tuple(v.value for v in DeadLetterStatus),
    "consent": ("marketing", "personalization"),
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
