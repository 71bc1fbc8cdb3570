"""What a SQL quality rule may contain: an allow-list of sqlglot node classes.

A rule is third-party text run on the product's own store with the kit's credentials,
so it is judged by what it *is*, never by what it lacks: every node of its tree must be
of a class listed here, and a function sqlglot does not know (``exp.Anonymous``) must
carry a name from :data:`ANONYMOUS_FUNCTIONS`. Anything else is refused, so a function
that reads files, settings or the environment (``pg_read_file``, ``LOAD_FILE``,
``getenv``, ``current_setting``), changes the session (``set_config``), waits
(``pg_sleep``, ``SLEEP``, ``BENCHMARK``) or locks (``FOR UPDATE``) never reaches a store,
whatever its dialect, and so does anything a newer sqlglot learns to parse.

The functions are aggregates, arithmetic, text and date functions that compute from
their arguments only. Time is bounded elsewhere (each rule runs under a time limit).
"""

from __future__ import annotations

from sqlglot import exp

#: The shape of one read-only query: clauses, references, literals, operators.
STRUCTURE: frozenset[type[exp.Expr]] = frozenset({
    exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.With, exp.CTE,
    exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered,
    exp.Limit, exp.Offset, exp.Fetch, exp.Distinct, exp.Qualify,
    exp.Table, exp.TableAlias, exp.Alias, exp.Column, exp.Identifier, exp.Star, exp.Dot,
    exp.Literal, exp.Boolean, exp.Null, exp.Var, exp.Paren, exp.Tuple,
    exp.DataType, exp.DataTypeParam, exp.Interval, exp.IntervalSpan,
    exp.Window, exp.WindowSpec, exp.Filter, exp.WithinGroup, exp.IgnoreNulls,
    exp.RespectNulls,
    # predicates and operators
    exp.And, exp.Or, exp.Not, exp.Xor, exp.Neg, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT,
    exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Is, exp.In, exp.Between, exp.Like,
    exp.ILike, exp.Escape, exp.Exists, exp.Any, exp.All, exp.Add, exp.Sub, exp.Mul,
    exp.Div, exp.IntDiv, exp.Mod, exp.DPipe, exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor,
    exp.BitwiseNot, exp.Case, exp.If, exp.Cast, exp.TryCast,
})  # fmt: skip

#: Functions sqlglot knows, by class: they compute from their arguments only.
FUNCTIONS: frozenset[type[exp.Func]] = frozenset({
    # aggregates and windows
    exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Stddev, exp.StddevSamp,
    exp.StddevPop, exp.Variance, exp.VariancePop, exp.Median, exp.PercentileCont,
    exp.PercentileDisc, exp.Quantile, exp.ApproxDistinct, exp.AnyValue, exp.LogicalAnd,
    exp.LogicalOr, exp.CountIf, exp.RowNumber, exp.Rank, exp.DenseRank, exp.Lag, exp.Lead,
    exp.FirstValue, exp.LastValue, exp.Corr, exp.CovarPop, exp.CovarSamp,
    # conditionals
    exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least,
    # arithmetic
    exp.Abs, exp.Round, exp.Ceil, exp.Floor, exp.Sign, exp.Sqrt, exp.Pow, exp.Ln, exp.Log,
    exp.Exp, exp.Trunc, exp.IsNan, exp.IsInf, exp.Cbrt,
    # text
    exp.Length, exp.Lower, exp.Upper, exp.Trim, exp.Substring, exp.Concat, exp.ConcatWs,
    exp.Replace, exp.Left, exp.Right, exp.StrPosition, exp.SplitPart, exp.RegexpLike,
    exp.RegexpReplace, exp.RegexpExtract, exp.StartsWith, exp.EndsWith, exp.Contains,
    exp.Initcap, exp.Translate, exp.Reverse, exp.Ascii,
    # dates and times
    exp.CurrentDate, exp.CurrentTimestamp, exp.Extract, exp.TimestampTrunc, exp.DateTrunc,
    exp.DateDiff, exp.DateAdd, exp.DateSub, exp.TimestampDiff, exp.TimestampAdd,
    exp.TimestampSub, exp.Year, exp.Month, exp.Day, exp.Quarter, exp.DayOfWeek,
    exp.DayOfYear, exp.WeekOfYear, exp.StrToDate, exp.StrToTime, exp.TimeToStr,
    exp.TsOrDsToDate, exp.TsOrDsToTimestamp, exp.TimeToUnix, exp.UnixToTime,
    exp.DateFromParts, exp.Date, exp.DateStrToDate, exp.TimeStrToTime, exp.LastDay,
    exp.Hour, exp.Minute, exp.Second, exp.ToChar,
})  # fmt: skip

#: Functions sqlglot does not know in some dialect (``exp.Anonymous``), by lower-case name.
ANONYMOUS_FUNCTIONS: frozenset[str] = frozenset({
    "now", "curdate", "age", "date_part", "datepart", "epoch", "isfinite", "hour", "minute",
    "second", "dayofmonth", "log10", "log2", "cbrt", "truncate", "ifnull", "nvl", "strlen",
    "char_length", "character_length", "octet_length", "btrim", "ltrim", "rtrim",
    "instr", "locate", "position", "ascii", "reverse", "translate", "make_date",
})  # fmt: skip


#: Bare words some stores read as session values, not columns (``SELECT user`` is the
#: login on PostgreSQL): refused unquoted, so a rule cannot leak them through an error.
SESSION_WORDS: frozenset[str] = frozenset({
    "user", "current_user", "session_user", "system_user", "current_role", "current_schema",
    "current_catalog", "current_database",
})  # fmt: skip


def refusal(node: exp.Expr) -> str | None:
    """Why ``node`` may not be in a SQL rule, or ``None`` when it may.

    >>> import sqlglot
    >>> refusal(sqlglot.parse_one("pg_sleep(10)", read="postgres"))
    'function pg_sleep is not on the SQL rule allow-list'
    >>> refusal(sqlglot.parse_one("abs(x)")) is None
    True
    """
    kind = type(node)
    if kind is exp.Anonymous:
        name = str(node.name)
        if name.lower() in ANONYMOUS_FUNCTIONS:
            return None
        return f"function {name} is not on the SQL rule allow-list"
    if kind is exp.Column and _session_word(node):
        return f"{node.name} is a session value, not a column: quote it if it is a column"
    if kind in STRUCTURE or kind in FUNCTIONS:
        return None
    if kind is exp.Lock:
        return "a SQL rule may not lock rows (FOR UPDATE / FOR SHARE)"
    if kind is exp.Into:
        return "a SQL rule may not write (SELECT INTO)"
    if isinstance(node, exp.Func):
        return f"function {_function_name(node)} is not on the SQL rule allow-list"
    return f"{_describe(kind)} is not allowed in a SQL rule"


def _session_word(column: exp.Expr) -> bool:
    name = column.this
    return (
        isinstance(name, exp.Identifier)
        and not name.quoted
        and not column.args.get("table")
        and name.name.lower() in SESSION_WORDS
    )


def _function_name(node: exp.Func) -> str:
    try:
        return node.sql_name()
    except NotImplementedError:  # a few function classes have no single SQL name
        return type(node).__name__


def _describe(kind: type[exp.Expr]) -> str:
    return f"the construct {kind.__name__}"
