"""A customer with a case in every state a customer's page shows, in English or in Chinese.

Built through the services, as people would have made them, so each page shows what it
would show in use: evidence with long hashes, a question, a proposal, a rejection, a
resolved case and one the Dispute Committee decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation import services as lifecycle
from escalation.models import Panel
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category, png_upload
from tickets import services
from tickets.models import Ticket

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
TRON_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"

# What the people write, in the customer's language: a Chinese page shows Chinese data,
# so any English left on it is the application's own.
WORDS = {
    "en": {
        "name": "Lin Wei",
        "withdrawal": ("USDT withdrawal never arrived", "I withdrew 1520.35 USDT on TRC20."),
        "spot": ("Limit order filled below my price", "My limit sell filled far below it."),
        "question": "Please send a screenshot of the order details page.",
        "deposit": ("ETH deposit not credited", "Etherscan shows 64 confirmations."),
        "proposal": "We credit the fee we charged twice.",
        "kyc": ("KYC review stuck", "Under review for two weeks."),
        "rejection": "This is about a partner's service, which we do not run.",
        "api": ("API key stopped working", "Every call returns 401."),
        "fixed": "We rotated the key; please create a new one.",
        "login": ("Account frozen after a login abroad", "I was travelling."),
        "disagree": "I did travel, and I told you so.",
        "rationale": "The customer reported the trip before the login.",
        "remedy": "Unfreeze the account today.",
        "dissent": "The login pattern matched a takeover.",
        "agent": "Alex Agent",
        "officer": "Olga Officer",
        "member": "Member",
        "screenshot": "withdrawal-history-screenshot-2026-11-18.png",
    },
    "zh-hans": {
        "name": "林伟",
        "withdrawal": ("USDT 提现一直未到账", "我在 TRC20 网络上提现了 1520.35 USDT。"),
        "spot": ("限价单成交价远低于我的价格", "我的限价卖单成交价远低于设定价格。"),
        "question": "请发送订单详情页面的截图。",
        "deposit": ("ETH 充值未到账", "区块浏览器显示已有 64 个确认。"),
        "proposal": "我们将退还重复收取的手续费。",
        "kyc": ("身份认证审核卡住了", "已经审核了两个星期。"),
        "rejection": "这是合作方的服务，不由我们运营。",
        "api": ("API 密钥无法使用", "每次调用都返回 401。"),
        "fixed": "我们已更换密钥，请创建一个新的。",
        "login": ("境外登录后账户被冻结", "当时我在旅行。"),
        "disagree": "我确实在旅行，也提前告诉过你们。",
        "rationale": "客户在登录之前就报告了行程。",
        "remedy": "今天解冻该账户。",
        "dissent": "该登录模式与盗号行为一致。",
        "agent": "王客服",
        "officer": "李专员",
        "member": "委员",
        "screenshot": "提现记录截图.png",
    },
}


@dataclass
class Cases:
    customer: object
    agent: object
    tickets: dict[str, Ticket]


def _file(customer, code, subject_and_description, fields=None, files=()):
    subject, description = subject_and_description
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject=subject,
        description=description,
        fields=fields or {},
        files=files,
    )


def every_kind_of_case(language: str = "en") -> Cases:
    """One case per state; committee members are created so the panel can sit and decide."""
    words = WORDS[language]
    customer = CustomerFactory(full_name=words["name"])
    customer.customer_profile.preferred_language = language
    customer.customer_profile.save()
    agent = AgentFactory(full_name=words["agent"])
    officer = UserFactory(role="appeal_officer", is_staff=True, full_name=words["officer"])
    members = [
        UserFactory(role="committee", is_staff=True, full_name=f"{words['member']} {n}")
        for n in (1, 2, 3)
    ]

    new = _file(
        customer,
        "withdrawal-not-received",
        words["withdrawal"],
        {
            "occurred_at": "2026-11-18 10:18",
            "asset": "USDT",
            "network": "TRC20",
            "amount": "1520.35",
            "wallet_address": TRON_ADDRESS,
            "txid": TRON_TXID,
        },
        files=[png_upload(words["screenshot"])],
    )

    waiting = _file(
        customer,
        "spot-order",
        words["spot"],
        {
            "order_id": "1734592210038",
            "trading_pair": "BTC/USDT",
            "occurred_at": "2026-11-20 03:12",
        },
    )
    services.ticket_request_info(ticket=waiting, actor=agent, body=words["question"])

    proposed = _file(customer, "other", words["deposit"])
    services.ticket_propose_resolution(
        ticket=proposed,
        actor=agent,
        kind="compensation",
        summary=words["proposal"],
        amount="250",
        asset="USDT",
    )

    rejected = _file(customer, "kyc", words["kyc"])
    services.ticket_reject(ticket=rejected, actor=agent, reason=words["rejection"])

    resolved = _file(customer, "other", words["api"])
    services.ticket_propose_resolution(
        ticket=resolved, actor=agent, kind="technical_fix", summary=words["fixed"]
    )
    lifecycle.resolution_accept(ticket=resolved, actor=customer)

    decided = _file(
        customer, "compromised-account", words["login"], {"occurred_at": "2026-11-21 01:40"}
    )
    services.ticket_propose_resolution(
        ticket=decided, actor=agent, kind="explanation", summary=words["dissent"]
    )
    lifecycle.appeal_file(ticket=decided, customer=customer, reason=words["disagree"])
    services.ticket_claim(ticket=decided, actor=officer)
    services.ticket_propose_resolution(
        ticket=decided, actor=officer, kind="explanation", summary=words["dissent"]
    )
    lifecycle.appeal_file(ticket=decided, customer=customer, reason=words["disagree"])
    panel = lifecycle.panel_draw(ticket=decided)  # the task drew it already: this returns it
    assert panel.state == Panel.State.SITTING
    for member in members[:2]:
        lifecycle.vote_cast(
            ticket=decided,
            member=member,
            decision="overturn",
            rationale=words["rationale"],
            remedy=words["remedy"],
        )
    lifecycle.vote_cast(
        ticket=decided, member=members[2], decision="uphold", rationale=words["dissent"]
    )
    panel.refresh_from_db()
    lifecycle.decision_publish(
        ticket=decided, member=panel.drafter, rationale=words["rationale"], remedy=words["remedy"]
    )

    tickets = {
        "new": new,
        "waiting": waiting,
        "proposed": proposed,
        "rejected": rejected,
        "resolved": resolved,
        "decided": decided,
    }
    return Cases(customer=customer, agent=agent, tickets=tickets)
