"""The outreach message as the customer reads it: the campaign's text in their language and how to stop.

On WeChat the way out is a reply (退订 / STOP, kelian.opt_out); on the web page it is a button whose
payload is such a word, so both channels reach the same opt-out."""

from __future__ import annotations


from crm.experiments.variants import MAX_OUTREACH_CHARS, arm_message
from crm.models import Channel, Language, OutreachCampaign

MAX_MESSAGE_CHARS = (
    MAX_OUTREACH_CHARS  # WeChat refuses texts over 2048 bytes; 600 Chinese characters and the footer fit
)

_FOOTER = {
    (Channel.WECHAT, Language.ZH): "回复“退订”即不再接收此类消息。",
    (Channel.WECHAT, Language.EN): 'Reply "STOP" to stop these messages.',
    (Channel.WEB, Language.ZH): "不想再收到此类消息?点“退订”即可。",
    (Channel.WEB, Language.EN): "Don't want these messages? Press Unsubscribe.",
}
BUTTON_TITLE = {Language.ZH: "退订", Language.EN: "Unsubscribe"}
# Opt-out words (kelian.opt_out) in the message's language, so pressing it keeps the conversation's language.
BUTTON_PAYLOAD = {Language.ZH: "退订", Language.EN: "unsubscribe"}


def campaign_text(campaign: OutreachCampaign, arm: str | None, language: Language) -> str:
    """The offer a customer in `arm` reads: the arm's own message (an outreach experiment's `--wording
    ARM:outreach_message:...`) in their language, else the campaign's."""
    language = Language(language)
    experiment = campaign.experiment
    if arm is not None and experiment is not None:
        for candidate in experiment.arms:
            if candidate.name == arm:
                own = arm_message(candidate.parameters, language.value)
                if own:
                    return own
    return campaign.message_zh if language == Language.ZH else campaign.message_en


def compose(text: str, channel: Channel, language: Language) -> str:
    return f"{text.strip()}\n\n{_FOOTER[(Channel(channel), Language(language))]}"


def opt_out_button(language: Language) -> dict[str, str]:
    return {"title": BUTTON_TITLE[Language(language)], "payload": BUTTON_PAYLOAD[Language(language)]}
