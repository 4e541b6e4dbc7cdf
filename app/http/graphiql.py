"""GraphiQL served from the project itself: the page and its pinned assets, no CDN."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parents[1] / "static" / "graphiql"
PREFIX = "/graphiql/static"

PAGE = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>CRM GraphQL API</title>
    <link rel="stylesheet" href="{PREFIX}/graphiql.min.css">
    <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="{PREFIX}/react.production.min.js"></script>
    <script src="{PREFIX}/react-dom.production.min.js"></script>
    <script src="{PREFIX}/graphiql.min.js"></script>
    <script src="{PREFIX}/init.js"></script>
  </body>
</html>
"""


def graphiql_page() -> str:
    """The GraphiQL page: every script and style it loads is served by this API."""
    return PAGE


def graphiql_assets() -> Mount:
    """The route serving GraphiQL's vendored assets (see static/graphiql/VERSIONS.md)."""
    return Mount(PREFIX, app=StaticFiles(directory=ASSETS), name="graphiql-assets")
