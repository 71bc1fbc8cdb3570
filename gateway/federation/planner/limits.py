"""Size limits, checked on the text and its tokens before the parser runs.

sqlglot's parser is recursive: a deeply nested statement could exhaust Python's stack, and
a statement of millions of tokens would cost memory and time before any other rule could
refuse it. So the bytes, the token count (the node limit applied before parsing: a token
makes at most one node) and the nesting depth of parentheses and CASE blocks are checked
first; the node count of the parsed tree is checked again after parsing, with its depth
and its joins; the engine SQL the planner writes is checked last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType

from gateway.errors import SqlInvalid, SqlTooLarge
from gateway.federation.planner.dialect import READ_DIALECT

if TYPE_CHECKING:
    from gateway.settings import Settings

_OPEN = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.CASE})
_CLOSE = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.END})


@dataclass(frozen=True)
class PlannerLimits:
    """How large a statement may be; every limit is on by default."""

    max_bytes: int = 256 * 1024
    """Bytes of the statement's UTF-8 text."""
    max_depth: int = 32
    """Nesting depth of parentheses, brackets and CASE ... END blocks."""
    max_nodes: int = 20_000
    """Tokens before parsing, then nodes of the parsed tree."""
    max_tree_depth: int = 100
    """Depth of the parsed tree (``a + b + c ...`` nests without parentheses); column
    resolution costs grow with depth times columns."""
    max_joins: int = 32
    """Joins in the whole statement (comma joins included): resolving NATURAL and USING
    joins costs, and writes, quadratically in their number."""
    max_output_bytes: int = 1024 * 1024
    """Bytes of the engine SQL the planner writes (star and NATURAL expansion grow it)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> PlannerLimits:
        """The limits the operator set (``MESHGATE_SQL_MAX_*``).

        >>> from gateway.settings import Settings
        >>> PlannerLimits.from_settings(Settings()) == PlannerLimits()
        True
        """
        return cls(
            max_bytes=settings.sql_max_bytes,
            max_depth=settings.sql_max_depth,
            max_nodes=settings.sql_max_nodes,
            max_tree_depth=settings.sql_max_tree_depth,
            max_joins=settings.sql_max_joins,
            max_output_bytes=settings.sql_max_output_bytes,
        )


def check_text(sql: str, limits: PlannerLimits) -> list[Token]:
    """The statement's tokens, once its bytes, token count and nesting are within limits.

    >>> len(check_text("SELECT (1)", PlannerLimits()))
    4
    >>> check_text("SELECT ((1))", PlannerLimits(max_depth=1))
    Traceback (most recent call last):
    ...
    gateway.errors.SqlTooLarge: the statement nests 2 levels deep; the limit is 1
    """
    try:
        size = len(sql.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in a JSON string)
        raise SqlInvalid("the statement is not valid Unicode text") from None
    if size > limits.max_bytes:
        raise SqlTooLarge(
            f"the statement has {size} bytes; the limit is {limits.max_bytes}",
            limit="max_bytes",
        )
    try:
        tokens = READ_DIALECT.tokenize(sql)
    except TokenError as exc:
        raise SqlInvalid(f"the statement cannot be read: {exc}") from None
    if len(tokens) > limits.max_nodes:
        raise SqlTooLarge(
            f"the statement has {len(tokens)} tokens; the limit is {limits.max_nodes} nodes",
            limit="max_nodes",
        )
    depth = nesting(tokens)
    if depth > limits.max_depth:
        raise SqlTooLarge(
            f"the statement nests {depth} levels deep; the limit is {limits.max_depth}",
            limit="max_depth",
        )
    return tokens


def nesting(tokens: Sequence[Token]) -> int:
    """The deepest nesting of parentheses, brackets and CASE blocks in ``tokens``."""
    depth = deepest = 0
    for token in tokens:
        if token.token_type in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in _CLOSE:
            depth = max(depth - 1, 0)
    return deepest


def check_tree(tree: exp.Expr, limits: PlannerLimits) -> None:
    """Refuse a parsed tree of more than ``max_nodes`` nodes, ``max_tree_depth`` levels
    or ``max_joins`` joins.

    The walk keeps its own stack: it cannot exhaust Python's.

    >>> import sqlglot
    >>> check_tree(sqlglot.parse_one("SELECT a + b + c"), PlannerLimits(max_tree_depth=3))
    Traceback (most recent call last):
    ...
    gateway.errors.SqlTooLarge: the statement's tree is deeper than 3 levels
    """
    count = joins = 0
    stack: list[tuple[exp.Expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise SqlTooLarge(
                f"the statement has more than {limits.max_nodes} nodes", limit="max_nodes"
            )
        if depth > limits.max_tree_depth:
            raise SqlTooLarge(
                f"the statement's tree is deeper than {limits.max_tree_depth} levels",
                limit="max_tree_depth",
            )
        if isinstance(node, exp.Join):
            joins += 1
            if joins > limits.max_joins:
                raise SqlTooLarge(
                    f"the statement has more than {limits.max_joins} joins",
                    limit="max_joins",
                )
        stack.extend((child, depth + 1) for child in node.iter_expressions())


def check_output(sql: str, limits: PlannerLimits) -> str:
    """``sql`` (the engine SQL the planner wrote) unless it exceeds ``max_output_bytes``.

    >>> check_output("SELECT 1", PlannerLimits(max_output_bytes=4))
    Traceback (most recent call last):
    ...
    gateway.errors.SqlTooLarge: the rewritten statement has 8 bytes; the limit is 4
    """
    size = len(sql.encode("utf-8"))
    if size > limits.max_output_bytes:
        raise SqlTooLarge(
            f"the rewritten statement has {size} bytes; the limit is {limits.max_output_bytes}",
            limit="max_output_bytes",
        )
    return sql
