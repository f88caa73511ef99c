def case_chat_part(request, ticket):
    return None
