"""The security suite's running stack: the same fixtures as tests/e2e (a stack of its own, on free
ports, with a fresh demo CRM and the fake WeChat API)."""

from tests.e2e.conftest import alice, crm, crm_url, customer, in_crm, li, stack, wechat_api  # noqa: F401
