"""Exactly one read-only query: SELECT, WITH, a set operation (UNION / INTERSECT / EXCEPT)
or VALUES. Everything else is refused with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import Token, TokenType

from gateway.errors import SqlInvalid, SqlNotAllowed, SqlTooLarge
from gateway.federation.planner.dialect import READ

# Statements that define or change the schema, and statements that change data.
_DDL = (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, exp.Refresh, exp.Comment,
        exp.Analyze, exp.Cache, exp.Uncache)  # fmt: skip
_DML = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Copy, exp.LoadData, exp.Export)
# Session, transaction, security and engine-administration statements.
_OTHER = (exp.Set, exp.Use, exp.Describe, exp.Pragma, exp.Grant, exp.Revoke, exp.Commit,
          exp.Rollback, exp.Transaction, exp.Attach, exp.Detach, exp.Install, exp.Kill,
          exp.Declare, exp.Show, exp.Summarize, exp.Lock, exp.Command)  # fmt: skip
# sqlglot logs warnings about the statements it reads (a fallback to a Command, a scope
# it cannot traverse): a caller's statement would write to the gateway's log at will, and
# the refusal says it better. Set once: plans run in several threads at a time, so a
# level saved and restored around each parse would race.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

_ONLY = "only one read-only query (SELECT, WITH, VALUES, UNION / INTERSECT / EXCEPT) is allowed"


def parse_statement(sql: str, tokens: Sequence[Token]) -> exp.Expr:
    """The one read-only query ``sql`` holds, or :class:`SqlNotAllowed` saying why not.

    >>> parse_statement("SELECT 1", []).sql()
    'SELECT 1'
    >>> parse_statement("DELETE FROM t", [])
    Traceback (most recent call last):
    ...
    gateway.errors.SqlNotAllowed: SQL not allowed: DML statements change data (DELETE): \
only one read-only query (SELECT, WITH, VALUES, UNION / INTERSECT / EXCEPT) is allowed
    """
    statements = _parse(sql, tokens)
    if not statements:
        raise SqlInvalid("the statement is empty")
    if len(statements) > 1:
        raise SqlNotAllowed(f"multiple statements ({len(statements)}): {_ONLY}")
    tree = statements[0]
    check_read_only(tree, _first_word(tokens, tree))
    while isinstance(tree, exp.Subquery) and _bare(tree):
        tree = tree.this
    if not isinstance(tree, exp.Query | exp.Values):
        raise SqlNotAllowed(f"{_first_word(tokens, tree)} statements are not allowed: {_ONLY}")
    return tree


def check_read_only(tree: exp.Expr, word: str) -> None:
    """Refuse DDL, DML, commands and ``SELECT ... INTO`` anywhere in ``tree``."""
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise SqlNotAllowed(f"SELECT ... INTO creates a table: {_ONLY}")
        if isinstance(node, _DDL):
            raise SqlNotAllowed(f"DDL statements change the schema ({_keyword(node)}): {_ONLY}")
        if isinstance(node, _DML):
            raise SqlNotAllowed(f"DML statements change data ({_keyword(node)}): {_ONLY}")
        if isinstance(node, exp.Command):
            command = (str(node.this).split() or [word])[0].upper()
            if command == "EXPLAIN":
                raise SqlNotAllowed(f"EXPLAIN is not a query (use explainSql): {_ONLY}")
            raise SqlNotAllowed(f"{command} statements are not allowed: {_ONLY}")
        if isinstance(node, exp.Lock):
            raise SqlNotAllowed(f"locking reads (FOR UPDATE / FOR SHARE) are not allowed: {_ONLY}")
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise SqlNotAllowed("parameters (?, $1, :name) are not supported: write the values")
        if isinstance(node, _OTHER):
            raise SqlNotAllowed(f"{word} statements are not allowed: {_ONLY}")


def _parse(sql: str, tokens: Sequence[Token]) -> list[exp.Expr]:
    try:
        parsed = sqlglot.parse(sql, read=READ)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        detail = str(first.get("description") or exc).splitlines()[0]
        raise SqlInvalid(
            f"the statement does not parse: {detail}",
            line=first.get("line"),
            col=first.get("col"),
        ) from None
    except RecursionError:
        raise SqlTooLarge("the statement nests too deeply to parse", limit="max_depth") from None
    # A comment after the last semicolon parses as an empty Semicolon statement.
    return [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]


def _bare(tree: exp.Subquery) -> bool:
    """A parenthesized query with nothing around it: ``(SELECT 1)``."""
    return not any(v for k, v in tree.args.items() if k != "this")


def _keyword(node: exp.Expr) -> str:
    return node.key.upper().replace("TRUNCATETABLE", "TRUNCATE").replace("LOADDATA", "LOAD")


def _first_word(tokens: Sequence[Token], tree: exp.Expr) -> str:
    """The statement's first keyword as written, to name what was refused."""
    for token in tokens:
        if token.token_type not in (TokenType.SEMICOLON, TokenType.L_PAREN):
            return token.text.upper()
    return tree.key.upper()
