"""The Nix tokenizer on its own: token kinds and values, positions, errors.

The expectations follow Nix 2.8's flex lexer (longest match, earliest rule on a
tie, start conditions for strings and paths); the differential suite checks the
same behaviour end to end against real Nix.
"""
from __future__ import annotations

import pytest

from nixproc_disnix.compiler.lexer import Lexer, Source, unescape
from nixproc_disnix.errors import ParseError


def lex(text: str, **kwargs):
    return Lexer(Source(text, "«string»", "/base")).tokens(**kwargs)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.type, t.value) for t in lex(text)]


# -- longest match ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    pytest.param("a/b", [("PATH", "a/b"), ("PATH_END", "")], id="a/b-is-a-path"),
    pytest.param("1/2", [("PATH", "1/2"), ("PATH_END", "")], id="1/2-is-a-path"),
    pytest.param("a/ b", [("ID", "a"), ("SLASH", "/"), ("ID", "b")], id="a/-space-b-is-division"),
    pytest.param("a//b", [("ID", "a"), ("UPDATE", "//"), ("ID", "b")], id="a//b-is-update"),
    pytest.param("a:b", [("URI", "a:b")], id="a:b-is-a-uri"),
    pytest.param("x:x", [("URI", "x:x")], id="x:x-is-a-uri"),
    pytest.param("a: b", [("ID", "a"), ("COLON", ":"), ("ID", "b")], id="a:-space-b-is-a-lambda"),
    pytest.param("a.b.c", [("ID", "a"), ("DOT", "."), ("ID", "b"), ("DOT", "."), ("ID", "c")], id="a.b-is-select"),
    pytest.param("a.or", [("ID", "a"), ("DOT", "."), ("OR_KW", "or")], id="a.or"),
    pytest.param("<a/b>", [("SPATH", "<a/b>")], id="search-path"),
    pytest.param("a<b>c", [("ID", "a"), ("SPATH", "<b>"), ("ID", "c")], id="a<b>c-has-a-search-path"),
    pytest.param("a < b", [("ID", "a"), ("LT", "<"), ("ID", "b")], id="less-than"),
    pytest.param("a<=b", [("ID", "a"), ("LEQ", "<="), ("ID", "b")], id="less-equal"),
    pytest.param("a-b", [("ID", "a-b")], id="dash-in-identifier"),
    pytest.param("a -b", [("ID", "a"), ("MINUS", "-"), ("ID", "b")], id="minus"),
    pytest.param("a->b", [("ID", "a-"), ("GT", ">"), ("ID", "b")], id="a->b-identifier-takes-the-dash"),
    pytest.param("a'b", [("ID", "a'b")], id="quote-in-identifier"),
    pytest.param("a+b", [("ID", "a"), ("PLUS", "+"), ("ID", "b")], id="plus"),
    pytest.param("a++b", [("ID", "a"), ("CONCAT", "++"), ("ID", "b")], id="concat"),
    pytest.param("a+ +b", [("ID", "a"), ("PLUS", "+"), ("PLUS", "+"), ("ID", "b")], id="two-pluses"),
    pytest.param("a...", [("ID", "a"), ("ELLIPSIS", "...")], id="ellipsis"),
    pytest.param("1e5", [("INT", "1"), ("ID", "e5")], id="1e5-is-int-then-identifier"),
    pytest.param(".5e3", [("FLOAT", ".5e3")], id="float-leading-dot"),
    pytest.param("2.", [("FLOAT", "2.")], id="float-trailing-dot"),
    pytest.param("00.5", [("INT", "00"), ("FLOAT", ".5")], id="00.5-is-int-then-float"),
    pytest.param("0.", [("INT", "0"), ("DOT", ".")], id="0.-is-int-then-dot"),
    pytest.param("1.5.5", [("FLOAT", "1.5"), ("FLOAT", ".5")], id="two-floats"),
    pytest.param("or", [("OR_KW", "or")], id="or-keyword"),
    pytest.param("iff lets", [("ID", "iff"), ("ID", "lets")], id="keyword-prefixes-are-identifiers"),
    pytest.param("__curPos", [("ID", "__curPos")], id="curpos-is-an-identifier-token"),
    pytest.param("#x\n1", [("INT", "1")], id="line-comment"),
    pytest.param("/*a*/1", [("INT", "1")], id="block-comment"),
    pytest.param("/* a", [("SLASH", "/"), ("STAR", "*"), ("ID", "a")], id="unterminated-block-comment"),
    pytest.param("$x", [("CHAR", "$"), ("ID", "x")], id="stray-dollar"),
])
def test_longest_match(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


# -- strings -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    pytest.param('"$${x}"', [("DQUOTE", '"'), ("STR", "$${x}"), ("DQUOTE", '"')], id="dollar-dollar-brace"),
    pytest.param('"\\${x}"', [("DQUOTE", '"'), ("STR", "${x}"), ("DQUOTE", '"')], id="escaped-interpolation"),
    pytest.param('"$"', [("DQUOTE", '"'), ("STR", "$"), ("DQUOTE", '"')], id="lone-dollar"),
    pytest.param('"a$"', [("DQUOTE", '"'), ("STR", "a$"), ("DQUOTE", '"')], id="dollar-before-quote"),
    pytest.param('"a\\nb\\tc\\rd\\qe"', [("DQUOTE", '"'), ("STR", "a\nb\tc\rdqe"), ("DQUOTE", '"')], id="escapes"),
    pytest.param('"a\r\nb\rc"', [("DQUOTE", '"'), ("STR", "a\nb\nc"), ("DQUOTE", '"')], id="cr-lf-normalised"),
    pytest.param('"a${b}c"', [("DQUOTE", '"'), ("STR", "a"), ("DOLLAR_CURLY", "${"), ("ID", "b"), ("RBRACE", "}"),
                              ("STR", "c"), ("DQUOTE", '"')], id="interpolation"),
    pytest.param('"${ {a=1;}.a }"', [("DQUOTE", '"'), ("DOLLAR_CURLY", "${"), ("LBRACE", "{"), ("ID", "a"),
                                     ("EQUAL", "="), ("INT", "1"), ("SEMI", ";"), ("RBRACE", "}"), ("DOT", "."),
                                     ("ID", "a"), ("RBRACE", "}"), ("DQUOTE", '"')], id="braces-nest-in-interpolation"),
    pytest.param('"a${"b"}c"', [("DQUOTE", '"'), ("STR", "a"), ("DOLLAR_CURLY", "${"), ("DQUOTE", '"'), ("STR", "b"),
                                ("DQUOTE", '"'), ("RBRACE", "}"), ("STR", "c"), ("DQUOTE", '"')], id="nested-string"),
    pytest.param("''$", [("IND_STRING_OPEN", "''"), ("IND_STR_LIT", "$")], id="ind-lone-dollar-at-eof"),
    pytest.param("''a''$b''", [("IND_STRING_OPEN", "''"), ("IND_STR", "a"), ("IND_STR_LIT", "$"), ("IND_STR", "b"),
                               ("IND_STRING_CLOSE", "''")], id="ind-escaped-dollar"),
    pytest.param("'''''x''", [("IND_STRING_OPEN", "''"), ("IND_STR_LIT", "''"), ("IND_STR", "x"),
                              ("IND_STRING_CLOSE", "''")], id="ind-escaped-quotes"),
    pytest.param("''''\\n''", [("IND_STRING_OPEN", "''"), ("IND_STR_LIT", "\n"), ("IND_STRING_CLOSE", "''")],
                 id="ind-escaped-newline"),
    pytest.param("''\n  a''", [("IND_STRING_OPEN", "''\n"), ("IND_STR", "  a"), ("IND_STRING_CLOSE", "''")],
                 id="ind-open-eats-first-newline"),
    pytest.param("''a$b'c''", [("IND_STRING_OPEN", "''"), ("IND_STR", "a$b'c"), ("IND_STRING_CLOSE", "''")],
                 id="ind-dollar-and-quote-are-text"),
    pytest.param("''$${x}''", [("IND_STRING_OPEN", "''"), ("IND_STR", "$${x}"), ("IND_STRING_CLOSE", "''")],
                 id="ind-dollar-dollar-brace"),
])
def test_string_tokens(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize("raw, value", [
    ("a\\nb", "a\nb"), ("\\t\\r", "\t\r"), ("\\q", "q"), ("\\\\", "\\"), ("a\r\nb", "a\nb"), ("a\rb", "a\nb"),
    ("a\\\rb", "a\rb"), ("a\0b", "a"), ("a\\\0b", "a\0b"), ("plain", "plain"),
])
def test_unescape(raw: str, value: str) -> None:
    assert unescape(raw) == value


# -- paths ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    pytest.param("./a/${x}/b", [("PATH", "./a/"), ("DOLLAR_CURLY", "${"), ("ID", "x"), ("RBRACE", "}"),
                                ("STR", "/b"), ("PATH_END", "")], id="interpolated"),
    pytest.param("./a${x}", [("PATH", "./a"), ("DOLLAR_CURLY", "${"), ("ID", "x"), ("RBRACE", "}"),
                             ("PATH_END", "")], id="interpolation-glued-to-segment"),
    pytest.param("~/${x}", [("HPATH", "~/"), ("DOLLAR_CURLY", "${"), ("ID", "x"), ("RBRACE", "}"),
                            ("PATH_END", "")], id="home-interpolated"),
    pytest.param("~/a", [("HPATH", "~/a"), ("PATH_END", "")], id="home"),
    pytest.param("./a;", [("PATH", "./a"), ("PATH_END", ""), ("SEMI", ";")], id="path-end-before-punctuation"),
    pytest.param("/a//b", [("PATH", "/a/"), ("STR", "/b"), ("PATH_END", "")], id="double-slash-splits"),
])
def test_path_tokens(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


# -- positions -------------------------------------------------------------------------

def positions(text: str) -> list[tuple[str, int, int]]:
    return [(t.value, t.line, t.column) for t in lex(text)]


def test_positions_count_lines_and_columns() -> None:
    assert positions("a  b\n c") == [("a", 1, 1), ("b", 1, 4), ("c", 2, 2)]


def test_crlf_is_one_line_break_and_cr_alone_is_one() -> None:
    assert positions("x\r\ny\rz\n w") == [("x", 1, 1), ("y", 2, 1), ("z", 3, 1), ("w", 4, 2)]


def test_tab_is_one_column() -> None:
    assert positions("\t\ta") == [("a", 1, 3)]


def test_positions_after_multiline_tokens_and_comments() -> None:
    toks = lex('"a\nb" /* c\r\n d */ x # e\r\ny')
    assert [(t.type, t.line, t.column) for t in toks] == [
        ("DQUOTE", 1, 1), ("STR", 1, 2), ("DQUOTE", 2, 2), ("ID", 3, 7), ("ID", 4, 1)]


def test_columns_count_bytes() -> None:
    # Sources are latin-1 decoded bytes: a two-byte UTF-8 character is two columns.
    text = '"\u00e9" x'.encode("utf-8").decode("latin-1")
    assert positions(text)[-1] == ("x", 1, 6)


def test_tokens_carry_their_end() -> None:
    inherit = lex("{\n  inherit a;\n}")[1]
    assert (inherit.type, inherit.line, inherit.column, inherit.end_line, inherit.end_column) == (
        "INHERIT", 2, 3, 2, 10)


def test_path_end_sits_on_the_last_path_piece() -> None:
    toks = lex("(/a//b )")
    assert [(t.type, t.column) for t in toks if t.type in ("STR", "PATH_END")] == [("STR", 5), ("PATH_END", 5)]


def test_path_end_at_end_of_input_sits_on_the_piece_before() -> None:
    # Flex's <<EOF>> rule restores the location saved before the last lexeme.
    toks = lex("[ ./a")
    assert (toks[-1].type, toks[-1].line, toks[-1].column) == ("PATH_END", 1, 2)


# -- formals detection -------------------------------------------------------------------

@pytest.mark.parametrize("text, formals", [
    ("{ a }: a", True), ("{ a, b }: a", True), ("{ a ? 1 }: a", True), ("{ ... }: 1", True), ("{ }: 1", True),
    ("{ }@x: 1", True), ("x@{ }: 1", True), ("x@{ a = 1; }", True), ("{ a }", True),
    ("{ }", False), ("{ a = 1; }", False), ("{ inherit a; }", False), ('{ "a" = 1; }', False),
    ("f { a, b }", False), ("f { a }: 1", False), ("[ { ... } ]", False), ("a + { x }: x", False),
])
def test_formals_brace_is_marked(text: str, formals: bool) -> None:
    braces = [t.type for t in lex(text) if t.type in ("LBRACE", "FORMALS_LBRACE")]
    assert braces[0] == ("FORMALS_LBRACE" if formals else "LBRACE")


# -- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message, line, column", [
    pytest.param("./a/", "path has a trailing slash", 1, 1, id="trailing-slash-at-eof-is-at-the-path"),
    pytest.param("\n  ./a/b/", "path has a trailing slash", 2, 3, id="trailing-slash-at-eof-second-line"),
    pytest.param("./a/ x", "path has a trailing slash", 1, 5, id="trailing-slash-then-char"),
    pytest.param("./a/${x}/", "path has a trailing slash", 1, 9, id="trailing-slash-after-interpolation"),
    pytest.param("1 9223372036854775808", "invalid integer '9223372036854775808'", 1, 3, id="int-overflow"),
    pytest.param("\n 1.0e-400", "invalid float '1.0e-400'", 2, 2, id="float-underflow"),
    pytest.param("1.5e400", "invalid float '1.5e400'", 1, 1, id="float-overflow"),
])
def test_lexical_errors(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ParseError) as info:
        lex(text)
    assert info.value.message == message
    assert (info.value.pos.line, info.value.pos.column) == (line, column)


def test_max_int_is_fine_and_zero_underflow_is_not_an_error() -> None:
    assert kinds("9223372036854775807 0.0e-400") == [("INT", "9223372036854775807"), ("FLOAT", "0.0e-400")]


def test_deferred_error_ends_the_token_list() -> None:
    toks = lex("( 1 ] 99999999999999999999 x", deferred_errors=True)
    assert [t.type for t in toks] == ["LPAR", "INT", "RSQB", "LEXERROR"]
    assert isinstance(toks[-1].value, ParseError)
    assert toks[-1].value.message == "invalid integer '99999999999999999999'"


def test_nul_byte_ends_the_input() -> None:
    assert kinds("1 \x00 2 )") == [("INT", "1")]
    assert kinds('"a\x00b"') == [("DQUOTE", '"'), ("STR", "a"), ("DQUOTE", '"')]
    assert kinds("''a\x00b''") == [("IND_STRING_OPEN", "''"), ("IND_STR", "a\x00b"), ("IND_STRING_CLOSE", "''")]
