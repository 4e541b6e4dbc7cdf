"""GraphiQL works offline: the page and everything it loads come from this server."""

from __future__ import annotations

import re

import httpx
import pytest

SOURCES = re.compile(r'(?:src|href)="([^"]+)"')
CSS_URLS = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)")
JS_LOADS = re.compile(r"\bimport\(\s*['\"]([^'\"]+)|importScripts\(\s*['\"]([^'\"]+)")


def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


async def _page(http: httpx.AsyncClient) -> str:
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    return response.text


async def test_graphiql_page_loads_nothing_from_another_host(http: httpx.AsyncClient) -> None:
    sources = SOURCES.findall(await _page(http))

    assert sources
    assert [url for url in sources if _is_external(url)] == []


@pytest.mark.parametrize(("suffix", "media_type"), [(".js", "javascript"), (".css", "text/css")])
async def test_every_asset_of_the_page_is_served(
    http: httpx.AsyncClient, suffix: str, media_type: str
) -> None:
    assets = [url for url in SOURCES.findall(await _page(http)) if url.endswith(suffix)]

    responses = [await http.get(url) for url in assets]

    assert assets
    assert [(r.status_code, media_type in r.headers["content-type"]) for r in responses] == [
        (200, True)
    ] * len(assets)


async def test_graphiql_styles_and_scripts_load_nothing_from_another_host(
    http: httpx.AsyncClient,
) -> None:
    loads: list[str] = []
    for url in SOURCES.findall(await _page(http)):
        body = (await http.get(url)).text
        pattern = CSS_URLS if url.endswith(".css") else JS_LOADS
        loads.extend(next(part for part in match if part) for match in pattern.findall(body))

    assert [url for url in loads if _is_external(url)] == []
