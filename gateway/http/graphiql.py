"""GraphiQL with no CDN: serve the page's scripts and styles from ``node_modules``.

Strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from a CDN,
each pinned with a Subresource Integrity hash. ``package.json`` pins the same versions;
``npm ci`` puts the identical files in ``node_modules``. This module serves an allow-list
of those files under ``/assets/graphiql/`` and rewrites the page to point there, keeping
each ``integrity`` attribute, so the browser still checks every byte. A file whose hash
differs from the page's (another Strawberry version, a damaged install) keeps its CDN URL.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

log = logging.getLogger(__name__)

MOUNT_PATH = "/assets/graphiql"
CDN_PREFIX = "https://unpkg.com/"
ASSETS_DIR_ENV = "MESHGATE_ASSETS_DIR"
FALLBACK_WARNING = "GraphiQL assets not installed (run npm ci); falling back to the CDN"

# The files Strawberry's page uses, as paths inside node_modules. Nothing else is served.
ASSET_FILES: tuple[str, ...] = (
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
    "js-cookie/dist/js.cookie.min.js",
    "graphiql/graphiql.min.css",
    "graphiql/graphiql.min.js",
    "@graphiql/plugin-explorer/dist/style.css",
    "@graphiql/plugin-explorer/dist/index.umd.js",
)

# <script ...> and <link ...> start tags; attributes are read from each tag below.
_TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
_URL_ATTR = re.compile(r'\b(src|href)="(' + re.escape(CDN_PREFIX) + r'[^"]+)"')
_INTEGRITY_ATTR = re.compile(r'\bintegrity="([^"]+)"')
# https://unpkg.com/<package>@<version>/<path>, where a package may be @scope/name.
_CDN_URL = re.compile(re.escape(CDN_PREFIX) + r"((?:@[^/@]+/)?[^/@]+)@[^/]+/(.+)")

_warned: set[str] = set()


def _repo_root() -> Path:
    # gateway/http/graphiql.py -> the folder holding the `gateway` package.
    return Path(__file__).resolve().parent.parent.parent


def graphiql_assets_dir(root: Path | None = None) -> Path | None:
    """The ``node_modules`` folder holding every GraphiQL asset, or None if any is missing.

    ``root`` is the folder that contains ``node_modules``; by default the value of
    ``MESHGATE_ASSETS_DIR`` or else the checkout the ``gateway`` package sits in.
    """
    if root is None:
        env = os.environ.get(ASSETS_DIR_ENV)
        root = Path(env) if env else _repo_root()
    modules = root / "node_modules"
    if all((modules / name).is_file() for name in ASSET_FILES):
        return modules
    return None


class _AllowListStaticFiles(StaticFiles):
    """StaticFiles that answers 404 for any file not in ``ASSET_FILES``."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if Path(path).as_posix() not in ASSET_FILES:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def graphiql_routes(root: Path | None = None) -> list[BaseRoute]:
    """``/assets/graphiql/<file>`` for the allow-listed files; no route if none installed."""
    modules = graphiql_assets_dir(root)
    if modules is None:
        return []
    return [Mount(MOUNT_PATH, app=_AllowListStaticFiles(directory=modules), name="graphiql")]


@functools.lru_cache(maxsize=32)
def _sri_sha384(path: Path, mtime_ns: int, size: int) -> str:
    # mtime and size are part of the key so a reinstalled file is hashed again.
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def file_integrity(path: Path) -> str:
    """The Subresource Integrity value (``sha384-<base64>``) of the file at ``path``."""
    st = path.stat()
    return _sri_sha384(path, st.st_mtime_ns, st.st_size)


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def localize_graphiql_html(html: str, assets_available: bool, *, root: Path | None = None) -> str:
    """Point Strawberry's GraphiQL page at ``/assets/graphiql/`` instead of the CDN.

    Each allow-listed CDN URL becomes ``/assets/graphiql/<package>/<path>`` when the
    installed file matches the tag's ``integrity``; the attribute stays, so the browser
    checks the local copy as it checked the CDN's. With ``assets_available`` false the
    page is returned unchanged and one warning is logged per process.
    """
    if not assets_available:
        _warn_once(FALLBACK_WARNING)
        return html
    modules = graphiql_assets_dir(root)
    if modules is None:
        _warn_once(FALLBACK_WARNING)
        return html

    def rewrite(tag: re.Match[str]) -> str:
        text = tag.group(0)
        url_attr = _URL_ATTR.search(text)
        if url_attr is None:
            return text
        cdn = _CDN_URL.fullmatch(url_attr.group(2))
        if cdn is None:
            return text
        name = f"{cdn.group(1)}/{cdn.group(2)}"
        if name not in ASSET_FILES:
            return text
        integrity = _INTEGRITY_ATTR.search(text)
        if integrity is not None and integrity.group(1) != file_integrity(modules / name):
            _warn_once(
                f"GraphiQL asset {name} does not match the page's integrity hash "
                f"(is package.json in step with Strawberry?); loading it from the CDN"
            )
            return text
        start, end = url_attr.span(2)
        return text[:start] + f"{MOUNT_PATH}/{name}" + text[end:]

    return _TAG.sub(rewrite, html)
