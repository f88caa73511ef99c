"""What the chat tests share: a chat in a given state, agents available for chats."""

from chat import services
from chat.models import Chat, ChatAgent
from tests.factories import AgentFactory, CustomerFactory
from tests.factories import category as category_named


def start(customer=None, message="My withdrawal has not arrived", category=None) -> Chat:
    return services.chat_start(
        customer=customer or CustomerFactory(),
        message=message,
        category=category_named(category) if category else None,
    )


def waiting(customer=None, **kwargs) -> Chat:
    chat = start(customer, **kwargs)
    services.chat_request_person(chat=chat, actor=chat.customer)
    chat.refresh_from_db()
    return chat


def available_agent(max_chats: int = 3, **kwargs):
    agent = AgentFactory(**kwargs)
    ChatAgent.objects.create(user=agent, max_chats=max_chats)  # as an admin sets it
    services.chat_availability_set(agent=agent, available=True)
    return agent


def active(customer=None, agent=None, **kwargs) -> Chat:
    agent = agent or available_agent()
    chat = waiting(customer, **kwargs)
    chat.refresh_from_db()
    assert chat.agent_id == agent.pk, "the chat was offered to someone else"
    services.chat_accept(chat=chat, actor=agent)
    chat.refresh_from_db()
    return chat
