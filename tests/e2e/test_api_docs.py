"""The API docs page in a real browser: served offline, under the same strict CSP."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_with_no_console_error(page_for):
    page = page_for()
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Redress API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", state="attached")
    assert page.eval_on_selector_all("head style", "styles => styles.length") == 0
    assert page.get_attribute("link[rel=icon]", "href") == "/static/favicon.svg"
