"""Consented outreach to customers at risk (#17, item 4).

- `selection`: the rules (churn risk high with CLV in the top fifth; a cart left for a day) and who may
  be reached: marketing consent, not erased, an identity on their preferred (else last) channel;
- `campaigns`: create, list, find a campaign (message per language, cap, window, optional experiment);
- `sending`: a run — frequency cap, once per campaign/customer/occasion, the hold-out arm through the
  experiment's assignment, WeChat through the Rasa server's WeChat channel, the web at the next visit;
- `delivery`: the HTTP call to that channel; `web`: what the web page shows at a conversation's start;
- `consent`: the one-tap opt-out; `wording`: the message with its opt-out line;
- `report`: sends, opens, replies, opt-outs and purchases per arm; `cli`: `python -m crm outreach`.

Nothing is imported here, so `python -m crm` builds its parser without loading the models.
"""
