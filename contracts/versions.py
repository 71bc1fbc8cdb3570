"""Choosing the newest of several contract or product versions.

Why a library: semantic-version precedence has rules a hand-made key gets wrong (a
pre-release such as ``1.0.0-rc1`` comes BEFORE ``1.0.0``; build metadata such as
``+build.7`` names a build, not a newer version; ``rc.10`` follows ``rc.9``). The
``semver`` package implements semver.org 2.0.0 and is used for every comparison here.

The order this module gives is the order in which "newest" is chosen, which is semantic
versioning plus two explicit rules:

1. **A release is preferred to every pre-release.** The newest version is the newest
   release; a pre-release is the newest only when no release exists. So ``2.0.0-rc1``
   does not replace ``1.4.0`` as the table a bare name reads, and callers who want the
   candidate name it (``table@2.0.0-rc1``).
2. **Strings that are not semantic versions.** ODCS does not require semantic versions.
   A loose numeric form is read as the version it abbreviates: an optional ``v`` and one
   to three numbers (``v2`` is ``2.0.0``, ``1.0`` is ``1.0.0``, ``1.1-rc1`` is
   ``1.1.0-rc1``). Anything else (``latest``, ``2024-05``) sorts BELOW every version that
   reads, and among such strings by text: a version the order cannot judge never wins
   over one it can.

Versions of equal precedence (``1.0.0+a`` and ``1.0.0+b``, or ``1.0`` and ``1.0.0``)
have equal keys; a stable sort keeps them in the order they were given.
"""

from __future__ import annotations

from semver import Version

__all__ = ["is_release", "major", "parse_version", "version_key"]


def parse_version(version: str) -> Version | None:
    """The semantic version ``version`` stands for, or None if it reads as none.

    >>> str(parse_version("v2"))
    '2.0.0'
    >>> str(parse_version("1.0.0-rc.1+build.5"))
    '1.0.0-rc.1+build.5'
    >>> parse_version("latest") is None
    True
    """
    text = version[1:] if version[:1] in ("v", "V") else version
    try:
        return Version.parse(text, optional_minor_and_patch=True)
    except (ValueError, TypeError):
        return None


def is_release(version: str) -> bool:
    """Whether ``version`` is a release: a semantic version without a pre-release part.

    >>> is_release("1.0.0"), is_release("1.0.0+build.1"), is_release("1.0.0-rc1")
    (True, True, False)
    >>> is_release("latest")
    False
    """
    parsed = parse_version(version)
    return parsed is not None and parsed.prerelease is None


def major(version: str) -> int | None:
    """The major number of ``version`` (what ``table@1`` selects), None if it has none.

    >>> major("1.4.2"), major("v2"), major("1.0.0-rc1"), major("latest")
    (1, 2, 1, None)
    """
    parsed = parse_version(version)
    return None if parsed is None else parsed.major


def version_key(version: str) -> tuple[int, int, Version | str]:
    """A sort key whose largest value is the version to call the newest.

    Releases rank above pre-releases, each by semantic-version precedence; build
    metadata does not count; strings that are not versions rank lowest (module doc).

    >>> sorted(["1.10.0", "1.9.0", "2.0.0"], key=version_key)
    ['1.9.0', '1.10.0', '2.0.0']
    >>> sorted(["1.0.0", "1.0.0-rc.10", "1.0.0-rc.9", "1.0.0-alpha"], key=version_key)
    ['1.0.0-alpha', '1.0.0-rc.9', '1.0.0-rc.10', '1.0.0']
    >>> max(["1.0.0", "2.0.0-rc1"], key=version_key)
    '1.0.0'
    >>> version_key("1.0.0+build.9") == version_key("1.0.0+build.10")
    True
    >>> sorted(["latest", "v2", "1.0"], key=version_key)
    ['latest', '1.0', 'v2']
    """
    parsed = parse_version(version)
    if parsed is None:
        return (0, 0, version)
    return (1, 1 if parsed.prerelease is None else 0, parsed)
