"""Every change to the registry is audited: a decorator on :class:`Registry`'s register,
refresh and unregister that hands who asked, the product and the outcome to an auditor.

It wraps the methods rather than living in their bodies, so authorization checks added
to the bodies are audited with everything else (a refusal ends as its error code).
Failures are audited too: the product is the one the error names, else the one the
argument names, if registered. The auditor never fails the change (it logs a lost event).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from gateway.errors import GatewayError
from gateway.identity import Principal
from gateway.registry.model import RegisteredProduct

Change = Callable[..., Awaitable[RegisteredProduct]]
M = TypeVar("M", bound=Change)


class ChangeAuditor(Protocol):
    """Where registry changes are written (``gateway.audit.AuditLog``)."""

    async def record_change(
        self,
        actor: Principal | None,
        action: str,
        *,
        product_id: str | None,
        product_key: str | None = None,
        outcome: str,
        detail: str = "",
        request_id: str | None = None,
    ) -> None: ...


def audited(action: str) -> Callable[[M], M]:
    """Audit each call of a ``Registry`` method ``(self, target, *, actor=None, ...)`` as
    ``action``; ``target`` (a URL, an id or a key) is the event's detail. A keyword
    ``request_id`` is taken here (the method never sees it) and goes on the event."""

    def decorate(method: M) -> M:
        @functools.wraps(method)
        async def run(self: Any, target: str, *args: Any, **kwargs: Any) -> RegisteredProduct:
            auditor: ChangeAuditor | None = self.auditor
            actor: Principal | None = kwargs.get("actor")
            request_id: str | None = kwargs.pop("request_id", None)
            try:
                product = await method(self, target, *args, **kwargs)
            except Exception as exc:
                if auditor is not None:
                    code = exc.code if isinstance(exc, GatewayError) else GatewayError.code
                    named = exc.product_id if isinstance(exc, GatewayError) else None
                    pid, key = await _product_of(self, named, target, action)
                    await auditor.record_change(
                        actor, action, product_id=pid, product_key=key, outcome=code,
                        detail=target, request_id=request_id,
                    )  # fmt: skip
                raise
            if auditor is not None:
                await auditor.record_change(
                    actor, action, product_id=product.id, product_key=product.key,
                    outcome="ok", detail=target, request_id=request_id,
                )  # fmt: skip
            return product

        return cast(M, run)

    return decorate


async def _product_of(
    registry: Any, named: str | None, target: str, action: str
) -> tuple[str | None, str | None]:
    """The product a failed change concerns: the error's, else the registered product
    the id or key names (a URL names none)."""
    if named is not None:
        return named, None
    if action.endswith(".register"):
        return None, None
    try:
        found: RegisteredProduct | None = await registry.store.get(target)
    except GatewayError:
        return None, None
    return (found.id, found.key) if found is not None else (None, None)
