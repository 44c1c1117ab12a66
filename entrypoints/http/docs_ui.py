"""The `/schema` docs UIs (Scalar, Swagger UI, ReDoc) on bundles Folio serves itself, so they work offline.

The bundles are npm packages vendored at fixed versions under `static/docs/` (see its README); Litestar's
render plugins are pointed at them, and each UI is told not to reach out (no CDN fonts, no telemetry, no
request proxy), so a docs page makes no request beyond this server.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin, RedocRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
ASSETS = "/schema/assets"
SCALAR = f"{ASSETS}/docs/scalar-1.76.0"
SWAGGER = f"{ASSETS}/docs/swagger-ui-5.35.0"
REDOC = f"{ASSETS}/docs/redoc-2.5.4"
_FAVICON = f"<link rel='icon' type='image/svg+xml' href='{ASSETS}/favicon.svg'>"
_SCALAR_OPTIONS = {
    "withDefaultFonts": False,  # the default loads fonts from fonts.scalar.com
    "telemetry": False,
    "proxyUrl": "",  # the default sends "try it" requests through proxy.scalar.com
    "agent": {"disabled": True},
    "showDeveloperTools": "never",
    "hideClientButton": True,  # opens client.scalar.com
    "persistAuth": False,
}


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Scalar at `/schema` (and `/schema/scalar`), Swagger UI at `/schema/swagger`, ReDoc at `/schema/redoc`."""
    return [
        ScalarRenderPlugin(
            path=["/", "/scalar"],
            js_url=f"{SCALAR}/standalone.js",
            css_url=f"{ASSETS}/scalar.css",
            options=_SCALAR_OPTIONS,
            favicon=_FAVICON,
        ),
        SwaggerRenderPlugin(
            js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
            favicon=_FAVICON,
        ),
        RedocRenderPlugin(js_url=f"{REDOC}/redoc.standalone.js", google_fonts=False, favicon=_FAVICON),
    ]


def assets_router() -> Router:
    """The vendored bundles, cached for a day (a new version lives under a new folder name)."""
    return create_static_files_router(
        path=ASSETS,
        directories=[STATIC],
        name="docs-assets",
        cache_control=CacheControlHeader(max_age=86400, public=True),
        include_in_schema=False,
    )
