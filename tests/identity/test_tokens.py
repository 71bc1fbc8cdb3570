"""Bearer JWTs: what is accepted and every way a forged or stale token is refused.

Asymmetric issuers are tested against a real JWKS endpoint under uvicorn, with key
rotation and a flood of unknown key ids.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.identity.issuers import Issuer, IssuerConfigError, load_issuers
from gateway.identity.jwks import JwksCache
from gateway.identity.tokens import InvalidToken, TokenVerifier
from tests.fixtures.uvicorn import running

SECRET = b"s" * 40
HS = Issuer("https://hs.test", "meshgate", ("HS256",), secret=SECRET)


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": "https://hs.test", "aud": "meshgate", "sub": "ana", "iat": now,
            "exp": now + 600, "roles": ["Analyst", "precipitation_reader"]}  # fmt: skip
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


class KeySite:
    """A JWKS endpoint whose keys a test changes; counts its requests."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0

    def app(self) -> Starlette:
        async def jwks(request: Request) -> JSONResponse:
            self.hits += 1
            return JSONResponse({"keys": self.keys})

        return Starlette(routes=[Route("/jwks", jwks)])


def public_jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(
        jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key())
    )
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="module")
def key_site() -> Iterator[tuple[KeySite, str]]:
    site = KeySite()
    with running(site.app(), lifespan="off") as base:
        yield site, f"{base}/jwks"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def verifier(http: httpx.AsyncClient, *issuers: Issuer, min_refetch: float = 30.0) -> TokenVerifier:
    return TokenVerifier(issuers, JwksCache(http, min_refetch=min_refetch))


async def test_a_good_hs256_token_gives_the_subject_and_lower_case_roles(
    http: httpx.AsyncClient,
) -> None:
    principal = await verifier(http, HS).verify(jwt.encode(claims(), SECRET, "HS256"))
    assert principal.subject == "ana" and principal.kind == "user"
    assert principal.roles == frozenset({"analyst", "precipitation_reader"})
    assert principal.issuer == "https://hs.test"


@pytest.mark.parametrize(
    ("payload", "reason"),
    # Made when the test runs, not when it is collected: a long run must not expire them.
    [
        (lambda: claims(exp=int(time.time()) - 3600), "expired"),
        (lambda: claims(aud="another-service"), "audience"),
        (lambda: claims(iss="https://evil.test"), "issuer is not trusted"),
        (lambda: claims(sub=None), "'sub'"),
        (lambda: claims(exp=None), "'exp'"),
        (lambda: claims(nbf=int(time.time()) + 3600), "not valid yet"),
    ],
)
async def test_stale_or_foreign_tokens_are_refused(
    http: httpx.AsyncClient, payload: Callable[[], dict[str, Any]], reason: str
) -> None:
    with pytest.raises(InvalidToken) as caught:
        await verifier(http, HS).verify(jwt.encode(payload(), SECRET, "HS256"))
    assert reason in str(caught.value)


async def test_forged_signatures_are_refused(http: httpx.AsyncClient) -> None:
    check = verifier(http, HS)
    with pytest.raises(InvalidToken):
        await check.verify(jwt.encode(claims(), b"x" * 40, "HS256"))
    good = jwt.encode(claims(), SECRET, "HS256")
    head, body, _ = good.split(".")
    forged_body = (
        base64.urlsafe_b64encode(json.dumps(claims(roles=["admin"])).encode()).rstrip(b"=").decode()
    )
    with pytest.raises(InvalidToken):
        await check.verify(f"{head}.{forged_body}.{good.split('.')[2]}")
    # alg "none": no signature at all.
    unsigned = jwt.encode(claims(roles=["admin"]), None, algorithm="none")
    with pytest.raises(InvalidToken):
        await check.verify(unsigned)
    with pytest.raises(InvalidToken):
        await check.verify("not-a-jwt")
    with pytest.raises(InvalidToken):
        await check.verify("a" * 20_000)


async def test_rs256_from_jwks_with_rotation(
    http: httpx.AsyncClient, key_site: tuple[KeySite, str]
) -> None:
    site, url = key_site
    old, new = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")
    site.keys = [public_jwk(old, "k1", "RS256")]
    site.hits = 0
    issuer = Issuer("https://oidc.test", "meshgate", ("RS256",), "realm_access.roles", jwks_url=url)
    check = verifier(http, issuer, min_refetch=0.0)
    payload = claims(iss="https://oidc.test", roles=None, realm_access={"roles": ["Owner:Flood"]})
    principal = await check.verify(jwt.encode(payload, old, "RS256", headers={"kid": "k1"}))
    assert principal.owns_domain("flood")
    # The issuer rotates to a new key: the unknown kid triggers one refetch.
    site.keys = [public_jwk(new, "k2", "RS256")]
    principal = await check.verify(jwt.encode(payload, new, "RS256", headers={"kid": "k2"}))
    assert principal.subject == "ana" and site.hits == 2
    # A token signed by a key the issuer never published.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidToken):
        await check.verify(jwt.encode(payload, stranger, "RS256", headers={"kid": "k2"}))


async def test_es256_and_no_algorithm_confusion(
    http: httpx.AsyncClient, key_site: tuple[KeySite, str]
) -> None:
    site, url = key_site
    private = ec.generate_private_key(ec.SECP256R1())
    site.keys = [public_jwk(private, "e1", "ES256")]
    issuer = Issuer("https://oidc.test", "meshgate", ("ES256",), jwks_url=url)
    check = verifier(http, issuer)
    payload = claims(iss="https://oidc.test")
    assert (
        await check.verify(jwt.encode(payload, private, "ES256", headers={"kid": "e1"}))
    ).subject
    # HS256 signed with the public key as the secret: the classic confusion attack.
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = _hs256_raw(payload, pem, "e1")
    with pytest.raises(InvalidToken) as caught:
        await check.verify(forged)
    assert "ES256" in str(caught.value)


def _hs256_raw(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token built by hand (the library refuses a PEM key as an HMAC secret)."""
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


async def test_unknown_key_ids_do_not_flood_the_issuer(
    http: httpx.AsyncClient, key_site: tuple[KeySite, str]
) -> None:
    site, url = key_site
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    site.keys = [public_jwk(private, "k1", "RS256")]
    site.hits = 0
    check = verifier(http, Issuer("https://oidc.test", "meshgate", ("RS256",), jwks_url=url))
    payload = claims(iss="https://oidc.test")
    for i in range(50):
        with pytest.raises(InvalidToken):
            await check.verify(
                jwt.encode(payload, private, "RS256", headers={"kid": f"made-up-{i}"})
            )
    assert site.hits == 1  # the first fetch; no refetch within min_refetch


def test_issuers_file_is_checked_field_by_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "issuers.yaml"
    path.write_text("issuers:\n  - issuer: x\n    algorithms: [HS256, RS256]\n")
    with pytest.raises(IssuerConfigError, match=r"issuers\[0\].algorithms: mix"):
        load_issuers(str(path), default_audience="meshgate")
    path.write_text("issuers:\n  - issuer: x\n    algorithms: [none]\n")
    with pytest.raises(IssuerConfigError, match="not accepted"):
        load_issuers(str(path), default_audience="meshgate")
    path.write_text("issuers:\n  - issuer: x\n    algorithms: [HS256]\n    secret_env: SHORT\n")
    monkeypatch.setenv("SHORT", "tooshort")
    with pytest.raises(IssuerConfigError, match="at least 32"):
        load_issuers(str(path), default_audience="meshgate")
    monkeypatch.setenv("SHORT", "k" * 32)
    (issuer,) = load_issuers(str(path), default_audience="meshgate")
    assert issuer.symmetric and issuer.audience == "meshgate"


async def test_a_kept_token_is_not_checked_again_and_is_refused_once_it_expires(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[object] = []
    decode = jwt.decode

    def counted(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[0])
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    check = TokenVerifier([HS], JwksCache(http), leeway=0.0)
    # A fractional exp: PyJWT reads whole seconds (int(exp)), so the token is expired
    # from `whole` on, 0.9 s before its exp.
    whole = int(time.time()) + 2
    token = jwt.encode(claims(exp=whole + 0.9), SECRET, "HS256")
    assert (await check.verify(token)).subject == "ana"
    checks = len(decoded)
    assert checks >= 1 and check.kept == 1
    assert (await check.verify(token)).subject == "ana"
    assert len(decoded) == checks  # kept: not parsed nor verified again
    time.sleep(max(0.0, whole + 0.05 - time.time()))
    with pytest.raises(InvalidToken, match="expired"):
        await check.verify(token)
    assert check.kept == 0


async def test_a_kept_token_is_refused_once_its_key_leaves_the_key_set(
    http: httpx.AsyncClient, key_site: tuple[KeySite, str]
) -> None:
    site, url = key_site
    old, new = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")
    site.keys = [public_jwk(old, "k1", "RS256")]
    issuer = Issuer("https://oidc.test", "meshgate", ("RS256",), jwks_url=url)
    # The key set is kept 0.2 s: then fetched again, as a rotation is seen.
    check = TokenVerifier([issuer], JwksCache(http, ttl=0.2, min_refetch=0.0))
    token = jwt.encode(claims(iss="https://oidc.test"), old, "RS256", headers={"kid": "k1"})
    assert (await check.verify(token)).subject == "ana"
    assert (await check.verify(token)).subject == "ana" and check.kept == 1
    # The same key id now names another key: the kept token is verified again, and
    # refused.
    site.keys = [public_jwk(new, "k1", "RS256")]
    time.sleep(0.3)
    with pytest.raises(InvalidToken, match="signature"):
        await check.verify(token)
    assert check.kept == 0
    # Kept again under the old key, which the issuer then drops (compromised, say).
    site.keys = [public_jwk(old, "k1", "RS256")]
    time.sleep(0.3)
    assert (await check.verify(token)).subject == "ana" and check.kept == 1
    site.keys = [public_jwk(new, "k2", "RS256")]
    time.sleep(0.3)
    with pytest.raises(InvalidToken, match="no signing key"):
        await check.verify(token)
    assert check.kept == 0


async def test_only_verified_tokens_are_kept_and_never_more_than_the_cap(
    http: httpx.AsyncClient,
) -> None:
    check = TokenVerifier([HS], JwksCache(http), max_kept=5)
    good = jwt.encode(claims(), SECRET, "HS256")
    assert (await check.verify(good)).subject == "ana"
    # A forged twin (the kept token's claims, another signature) is verified on its own.
    head, body, _ = good.split(".")
    forged = jwt.encode(claims(), b"x" * 40, "HS256").split(".")[2]
    for bad in (f"{head}.{body}.{forged}", jwt.encode(claims(roles=["admin"]), b"x" * 40)):
        with pytest.raises(InvalidToken):
            await check.verify(bad)
    assert check.kept == 1
    tokens = [jwt.encode(claims(sub=f"user-{i}"), SECRET, "HS256") for i in range(12)]
    for token in tokens:
        await check.verify(token)
        assert check.kept <= 5
    # Each answer is its own token's, kept or not.
    for token in [*tokens, *tokens]:
        assert (await check.verify(token)).subject == jwt.decode(
            token, SECRET, ["HS256"], audience="meshgate"
        )["sub"]
    assert check.kept == 5
    # Nothing kept: every token verified in full.
    off = TokenVerifier([HS], JwksCache(http), max_kept=0)
    assert (await off.verify(good)).subject == "ana" and off.kept == 0


async def test_a_token_whose_exp_is_beyond_any_float_is_kept_and_answered(
    http: httpx.AsyncClient,
) -> None:
    # PyJWT accepts any whole number of seconds; the kept entry must not turn it into a
    # float (which overflows: a 500 instead of an answer).
    check = TokenVerifier([HS], JwksCache(http))
    token = jwt.encode(claims(exp=10**400), SECRET, "HS256")
    for _ in range(2):
        assert (await check.verify(token)).subject == "ana"
    assert check.kept == 1
