"""YQL-specific cases taken from YQL's own documentation, with the results the docs state.

Source: YDB's YQL reference (``ydb/docs/en/core/yql/reference/`` in ``ydb-platform/ydb``), at
the commit recorded per case; ``line`` is the line of the example in that file. Only examples
whose result the doc states (a ``-- result`` comment) are taken, and ``documented`` is that
comment's text as written. ``baseline`` is dev's outcome when the case was recorded (``pass``,
``refused``: a ``YqlError`` naming the construct, or ``wrong``, with ``reason``); the tests fail
when a case does worse. Never edit ``documented`` to make a case pass.
"""

from __future__ import annotations

from dataclasses import dataclass

REF = "ydb/docs/en/core/yql/reference/"
BASIC = (REF + "builtins/basic.md", "24eec63932cb19dd9c9366508ddeebd71baaee07")
STRING = (REF + "udf/list/string.md", "8d1f198b29675e67a3be3e54c4c3f12deac9e153")
MATH = (REF + "udf/list/math.md", "ef7babba1b57e28527098c62a859aa2411d955cd")
LIST = (REF + "builtins/list.md", "4ebb32d97865e2b47daa68ca9eb7e7967b060a01")
CAST = (REF + "_includes/cast_examples.md", "8d1f198b29675e67a3be3e54c4c3f12deac9e153")
EXPR = (REF + "syntax/expressions.md", "006a9844f5860062c06ddfe91088fd2b66316aa1")


@dataclass(frozen=True)
class DocCase:
    """One documented example: where it is, its YQL, the result the doc states."""

    id: str
    source: tuple[str, str]
    line: int
    yql: str
    documented: str

    @property
    def path(self) -> str:
        return self.source[0]

    @property
    def commit(self) -> str:
        return self.source[1]

    @property
    def baseline(self) -> str:
        return BASELINE.get(self.id, ("pass", ""))[0]

    @property
    def reason(self) -> str:
        return BASELINE.get(self.id, ("pass", ""))[1]


CASES: tuple[DocCase, ...] = (
    # builtins/basic.md
    DocCase("substring-pos-len", BASIC, 82, 'SELECT SUBSTRING("abcdefg", 3, 1);', "d"),
    DocCase("substring-pos", BASIC, 86, 'SELECT SUBSTRING("abcdefg", 3);', "defg"),
    DocCase("substring-null-pos", BASIC, 90, 'SELECT SUBSTRING("abcdefg", NULL, 3);', "abc"),
    DocCase("find", BASIC, 113, 'SELECT FIND("abcdefg_abcdefg", "abc");', "0"),
    DocCase("find-from", BASIC, 117, 'SELECT FIND("abcdefg_abcdefg", "abc", 1);', "8"),
    DocCase("find-missing", BASIC, 121, 'SELECT FIND("abcdefg_abcdefg", "abc", 9);', "null"),
    DocCase("rfind", BASIC, 142, 'SELECT RFIND("abcdefg_abcdefg", "bcd");', "9"),
    DocCase("rfind-from", BASIC, 146, 'SELECT RFIND("abcdefg_abcdefg", "bcd", 8);', "1"),
    DocCase("rfind-missing", BASIC, 150, 'SELECT RFIND("abcdefg_abcdefg", "bcd", 0);', "null"),
    DocCase(
        "startswith-and-endswith",
        BASIC,
        169,
        'SELECT StartsWith("abc_efg", "abc") AND EndsWith("abc_efg", "efg");',
        "true",
    ),
    DocCase(
        "startswith-or-endswith",
        BASIC,
        173,
        'SELECT StartsWith("abc_efg", "efg") OR EndsWith("abc_efg", "abc");',
        "false",
    ),
    DocCase("startswith-null", BASIC, 177, 'SELECT StartsWith("abcd", NULL);', "null"),
    DocCase("endswith-null", BASIC, 181, 'SELECT EndsWith(NULL, Utf8(""));', "null"),
    # udf/list/string.md
    DocCase("string-base64encode", STRING, 144, 'SELECT String::Base64Encode("YQL");', '"WVFM"'),
    DocCase("string-strip", STRING, 145, 'SELECT String::Strip("YQL ");', '"YQL"'),
    DocCase(
        "string-splittolist-limit",
        STRING,
        146,
        'SELECT String::SplitToList("1,2,3,4,5,6,7", ",", 3 as Limit);',
        '["1", "2", "3", "4,5,6,7"]',
    ),
    # udf/list/math.md
    DocCase("math-pi", MATH, 16, "SELECT Math::Pi();", "3.141592654"),
    DocCase("math-e", MATH, 17, "SELECT Math::E();", "2.718281828"),
    DocCase("math-eps", MATH, 18, "SELECT Math::Eps();", "2.220446049250313e-16"),
    DocCase("math-isnan", MATH, 32, "SELECT Math::IsNaN(0.0/0.0);", "true"),
    DocCase("math-isfinite", MATH, 33, "SELECT Math::IsFinite(1.0/0.0);", "false"),
    DocCase("math-sqrt", MATH, 73, "SELECT Math::Sqrt(256);", "16"),
    DocCase("math-trunc", MATH, 74, "SELECT Math::Trunc(1.2345);", "1"),
    DocCase("math-atan2", MATH, 90, "SELECT Math::Atan2(1, 0);", "1.570796327"),
    DocCase("math-remainder", MATH, 91, "SELECT Math::Remainder(2.1, 2);", "0.1"),
    DocCase("math-pow", MATH, 104, "SELECT Math::Pow(2, 10);", "1024"),
    DocCase("math-round", MATH, 105, "SELECT Math::Round(1.2345, -2);", "1.23"),
    DocCase("math-fuzzyequals", MATH, 117, "SELECT Math::FuzzyEquals(1.01, 1.0, 0.05);", "true"),
    DocCase("math-mod", MATH, 137, "SELECT Math::Mod(-1, 7);", "6"),
    DocCase("math-rem", MATH, 138, "SELECT Math::Rem(-1, 7);", "-1"),
    # builtins/list.md (line 0: not counted; find the example by its text)
    DocCase("listnotnull", LIST, 0, "SELECT ListNotNull([3,null,4]);", "[3,4]"),
    DocCase("listflatten", LIST, 0, "SELECT ListFlatten([[1,2],[3,4]]);", "[1,2,3,4]"),
    DocCase("listfromrange", LIST, 0, "SELECT ListFromRange(-2, 2);", "[-2, -1, 0, 1]"),
    DocCase("listfromrange-step", LIST, 0, "SELECT ListFromRange(2, 1, -0.5);", "[2.0, 1.5]"),
    DocCase("listreplicate", LIST, 0, "SELECT ListReplicate(true, 3);", "[true, true, true]"),
    DocCase(
        "listaggregate",
        LIST,
        0,
        'SELECT ListAggregate(AsList(1, 2, 3), AggregationFactory("Sum"));',
        "6",
    ),
    DocCase(
        "listfold",
        LIST,
        0,
        "$l = [1, 4, 7, 2];\n$y = ($x, $y) -> { RETURN $x + $y; };\n"
        "SELECT ListFold($l, 6, $y) AS fold;",
        "20",
    ),
    DocCase(
        "listtakewhile",
        LIST,
        0,
        "$data = AsList(1, 2, 5, 1, 2, 7);\nSELECT ListTakeWhile($data, ($x) -> {return $x <= 3});",
        "[1, 2]",
    ),
    # _includes/cast_examples.md (included by syntax/expressions.md#cast): one SELECT there,
    # one expression per case here.
    DocCase("cast-string-to-double", CAST, 4, 'SELECT CAST("12345" AS Double);', "12345.0"),
    DocCase("cast-double-to-uint8", CAST, 5, "SELECT CAST(1.2345 AS Uint8);", "1"),
    DocCase("cast-int-to-string", CAST, 6, "SELECT CAST(12345 AS String);", '"12345"'),
    DocCase("cast-to-decimal", CAST, 7, 'SELECT CAST("1.2345" AS Decimal(5, 2));', "1.23"),
    DocCase("cast-failure-is-null", CAST, 8, 'SELECT CAST("xyz" AS Uint64) IS NULL;', "true"),
    DocCase("cast-negative-to-unsigned", CAST, 9, "SELECT CAST(-1 AS Uint16) IS NULL;", "true"),
    DocCase(
        "cast-list-optional-items",
        CAST,
        10,
        "SELECT CAST([-1, 0, 1] AS List<Uint8?>);",
        "[null, 0, 1]",
    ),
    DocCase(
        "cast-list-drops-failed-items",
        CAST,
        12,
        'SELECT CAST(["3.14", "bad", "42"] AS List<Float>);',
        "[3.14, 42]",
    ),
    DocCase("cast-uint8-max", CAST, 14, "SELECT CAST(255 AS Uint8);", "255"),
    DocCase("cast-out-of-range-is-null", CAST, 15, "SELECT CAST(256 AS Uint8) IS NULL;", "true"),
    # syntax/expressions.md (line 0: not counted; find the example by its text)
    DocCase("bitcast-uint32", EXPR, 0, "SELECT BITCAST(100000ul AS Uint32);", "100000"),
    DocCase("bitcast-int16", EXPR, 0, "SELECT BITCAST(100000ul AS Int16);", "-31072"),
    DocCase("bitcast-uint16", EXPR, 0, "SELECT BITCAST(100000ul AS Uint16);", "34464"),
    DocCase("bitcast-negative-int16", EXPR, 0, "SELECT BITCAST(-1 AS Int16);", "-1"),
    DocCase("bitcast-negative-uint16", EXPR, 0, "SELECT BITCAST(-1 AS Uint16);", "65535"),
    DocCase(
        "lambda-block",
        EXPR,
        0,
        '$f = ($y) -> {\n    $prefix = "x";\n    RETURN $prefix || $y;\n};\nSELECT $f("y");',
        '"xy"',
    ),
    DocCase("lambda-expression", EXPR, 0, '$g = ($y) -> ("x" || $y);\nSELECT $g("z");', '"xz"'),
    DocCase(
        "lambda-optional-argument-omitted",
        EXPR,
        0,
        "$h = ($x, $y?) -> ($x + ($y ?? 0));\nSELECT $h(1);",
        "1",
    ),
    DocCase(
        "lambda-optional-argument-given",
        EXPR,
        0,
        "$h = ($x, $y?) -> ($x + ($y ?? 0));\nSELECT $h(2, 3);",
        "5",
    ),
)


# Dev's outcome per case when recorded, where it is not "pass": (outcome, why).
BASELINE: dict[str, tuple[str, str]] = {
    "string-splittolist-limit": (
        "refused",
        "String::SplitToList() takes 2 argument(s), got 3",
    ),
    "listfromrange-step": (
        "refused",
        "ListFromRange over Double values is not supported (DuckDB's range takes integers)",
    ),
    "listaggregate": (
        "refused",
        "function AggregationFactory() is not supported (column 39)",
    ),
    "cast-to-decimal": (
        "refused",
        "CAST to Decimal(5,2) is not supported",
    ),
    "cast-list-optional-items": (
        "refused",
        "CAST to List<Uint8> is not supported",
    ),
    "cast-list-drops-failed-items": (
        "refused",
        "CAST to List<Float> is not supported",
    ),
}
