"""Feedback as the graph asks for it: who may report, rate and read, and whose name
each reader sees.

Reporting and rating need a signed-in caller (anonymous: ``UNAUTHENTICATED``, checked
before the product is looked up, so an anonymous caller learns nothing) and a registered
product (``PRODUCT_NOT_FOUND``). The rating summary is for whoever may see the product;
the issues and ratings themselves, text written by people, for signed-in callers.

Who reported an issue or gave a rating is shown to the product's owners
(``owner:<domain>``), to admins and to that caller; to anyone else it is null. A
consumer who reports a problem should not be exposed to every other reader for it, and a
subject is often an e-mail address; the owners need it to follow up.
"""

from __future__ import annotations

from typing import Any

from gateway.feedback import MAX_PAGE, Feedback, Issue, Page, Rating, RatingSummary
from gateway.registry import RegisteredProduct
from resolvers.access import signed_in


def _feedback(info: Any) -> Feedback:
    found: Feedback = info.context.services.feedback
    return found


async def _product(info: Any, product_id: str) -> RegisteredProduct:
    found: RegisteredProduct = await info.context.services.registry.require(product_id)
    return found


async def report(
    info: Any, product_id: str, text: str, severity: str
) -> tuple[RegisteredProduct, Issue]:
    """Store the caller's issue with the product; the product and the issue stored."""
    caller = signed_in(info, "reportIssue")
    product = await _product(info, product_id)
    return product, await _feedback(info).report(product, caller.subject, text, severity)


async def rate(
    info: Any, product_id: str, stars: int, comment: str | None
) -> tuple[RegisteredProduct, Rating]:
    """Store the caller's rating of the product in place of theirs."""
    caller = signed_in(info, "rateProduct")
    product = await _product(info, product_id)
    return product, await _feedback(info).rate(product, caller.subject, stars, comment)


async def summary(info: Any, product: RegisteredProduct) -> RatingSummary:
    return await _feedback(info).summary(product.id)


async def issues(
    info: Any, product: RegisteredProduct, severity: str | None, first: int, after: str | None
) -> Page[Issue]:
    signed_in(info, "feedback.issues")
    return await _feedback(info).issues(
        product.id, severity=severity, first=min(first, MAX_PAGE), after=after
    )


async def ratings(
    info: Any, product: RegisteredProduct, first: int, after: str | None
) -> Page[Rating]:
    signed_in(info, "feedback.ratings")
    return await _feedback(info).ratings(product.id, first=min(first, MAX_PAGE), after=after)


def who(info: Any, product: RegisteredProduct, subject: str) -> str | None:
    """``subject`` when the caller may know who gave this feedback; else None."""
    caller = info.context.principal
    if caller.anonymous:
        return None
    return subject if caller.subject == subject or caller.owns_domain(product.domain) else None
