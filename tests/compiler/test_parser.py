"""The parser without Nix: printed ASTs, AST shapes and positions, error messages.

The printed forms and the error messages and positions below are what
``nix-instantiate --parse`` (Nix 2.8.0) gives for the same input (relative
paths resolved against /base, HOME=/home/u).
"""
from __future__ import annotations

import pytest

from nixproc_disnix.compiler import ast
from nixproc_disnix.compiler.lexer import Source
from nixproc_disnix.compiler.parser import parse, parse_file, parse_string
from nixproc_disnix.compiler.printer import show, show_sorted
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import ParseError, Pos

BASE = "/base"


@pytest.fixture(autouse=True)
def _home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/u")


def p(text: str) -> ast.Expr:
    return parse_string(text, BASE)


def at(line: int, column: int, file: str = "«string»") -> Pos:
    return Pos(file, line, column)


# -- printed form (golden, from nix-instantiate --parse) ----------------------------------

@pytest.mark.parametrize("text, printed", [
    ("1 + 2 * 3", "(1 + (__mul 2 3))"),
    ("a: b: a - b", "(a: (b: (__sub a b)))"),
    ("-1", "(__sub 0 1)"),
    ("x: x < 1", "(x: (__lessThan x 1))"),
    ("x: x > 1", "(x: (__lessThan 1 x))"),
    ("x: x <= 1", "(x: (! (__lessThan 1 x)))"),
    ("x: x >= 1", "(x: (! (__lessThan x 1)))"),
    ("x: x == 1 && x != 2 || x", "(x: (((x == 1) && (x != 2)) || x))"),
    ("a: b: a -> b -> a", "(a: (b: (a -> (b -> a))))"),
    ("a: a // a // a", "(a: (a // (a // a)))"),
    ("a: a ++ a ++ a", "(a: (a ++ (a ++ a)))"),
    ("x: !x + 1", "(x: (! (x + 1)))"),
    ("x: -x.y", "(x: (__sub 0 (x).y))"),
    ("<nixpkgs/lib>", '(__findFile __nixPath "nixpkgs/lib")'),
    ("x:x", '"x:x"'),
    ("http://a.org/b?c", '"http://a.org/b?c"'),
    ("./a/../b", "/base/b"),
    ("a/b", "/base/a/b"),
    ("~/a", "/home/u/a"),
    ("x: ./a/${x}/b", '(x: (/base/a/ + x + "/b"))'),
    ('x: "a${x}b"', '(x: ("a" + x + "b"))'),
    ("x: ''\n  a ${x}\n    b\n''", '(x: ("a " + x + "\\n  b\\n"))'),
    ("''\n  a\n    b\n  ''", '"a\\n  b\\n"'),
    ('"a\\nb\\t\\$\\\\"', '"a\\nb\\t\\$\\\\"'),
    ("{ a.b = 1; a.c = 2; }", "{ a = { b = 1; c = 2; }; }"),
    ("rec { a = 1; b = a; }", "rec { a = 1; b = a; }"),
    ("let { body = 1; }", "(rec { body = 1; }).body"),
    ("{ inherit (builtins) map; inherit true; }", "{ map = (builtins).map; inherit true ; }"),
    ('x: { ${x} = 1; "${x}" = 2; }', '(x: { "${x}" = 1; "${(x)}" = 2; })'),
    ("x: x.a.b or 1", "(x: (x).a.b or (1))"),
    ('x: x ? a."b".${x}', '(x: ((x) ? a.b."${x}"))'),
    ("{ a, b ? 1, ... }@args: a", "({ a, b ? 1, ... } @ args: a)"),
    ("x@{ }: x", "({  } @ x: x)"),
    ("(f: f 1 2) (a: b: a)", "((f: (f 1 2)) (a: (b: a)))"),
    ("x: (x 1) 2", "(x: (x 1 2))"),
    ("x: x (x 1)", "(x: (x (x 1)))"),
    ("__curPos", "__curPos"),
    ("with builtins; map", "(with builtins; map)"),
    ("assert true; 1", "assert true; 1"),
    ("if true then 1 else 2", "(if true then 1 else 2)"),
    ('[ 1 "a" { } [ ] ]', '[ (1) ("a") ({ }) ([ ]) ]'),
    ("1.5e10", "1.5e+10"),
    ("0.1", "0.1"),
    ("100000.0", "100000"),
    ("1000000.0", "1e+06"),
    ("2.", "2"),
    ('{ "a b" = 1; "if" = 2; "" = 3; }', '{ "" = 3; "a b" = 1; "if" = 2; }'),
    ("let a = 1; in a", "(let a = 1; in a)"),
])
def test_printed_like_nix(text: str, printed: str) -> None:
    assert show(p(text)) == printed


def test_show_sorted_orders_let_bindings_and_formals() -> None:
    assert show_sorted(p("let b = 1; a = 2; in { z, y }: a")) == "(let a = 2; b = 1; in ({ y, z }: a))"
    assert show(p("let b = 1; a = 2; in { z, y }: a")) == "(let b = 1; a = 2; in ({ z, y }: a))"


# -- AST shapes ----------------------------------------------------------------------------

def test_desugared_arithmetic_and_comparison() -> None:
    e = p("1 - 2")
    assert isinstance(e, ast.Call) and isinstance(e.fun, ast.Var) and e.fun.name == "__sub"
    assert [a.value for a in e.args] == [1, 2]
    e = p("1 + 2")
    assert isinstance(e, ast.ConcatStrings) and not e.force_string and len(e.parts) == 2
    e = p("1 >= 2")
    assert isinstance(e, ast.Not) and isinstance(e.expr, ast.Call) and e.expr.fun.name == "__lessThan"
    assert [a.value for a in e.expr.args] == [1, 2]


def test_prefix_not_swallows_the_sum() -> None:
    e = p("x: y: !x + y").body.body
    assert isinstance(e, ast.Not) and isinstance(e.expr, ast.ConcatStrings)


def test_right_and_left_associativity() -> None:
    e = p("a: a // a // a").body
    assert isinstance(e, ast.BinOp) and e.op == "//" and isinstance(e.right, ast.BinOp)
    e = p("a: a - a - a").body
    assert isinstance(e.args[0], ast.Call) and isinstance(e.args[1], ast.Var)


def test_nested_attribute_paths_merge() -> None:
    e = p("{ a.b = 1; a = { c = 2; }; d.e.f = 3; }")
    assert isinstance(e, ast.Attrs) and set(e.attrs) == {"a", "d"}
    inner = e.attrs["a"].expr
    assert isinstance(inner, ast.Attrs) and set(inner.attrs) == {"b", "c"}
    assert isinstance(e.attrs["d"].expr.attrs["e"].expr.attrs["f"].expr, ast.Int)


def test_dynamic_and_static_string_attribute_names() -> None:
    e = p('x: { ${x} = 1; ${"s"} = 2; "t" = 3; }').body
    assert set(e.attrs) == {"s", "t"}
    assert len(e.dynamic) == 1 and isinstance(e.dynamic[0].name, ast.Var)


def test_inherit_shapes() -> None:
    e = p("let a = 1; s = { }; in { inherit a; inherit (s) b c; }").body
    assert e.attrs["a"].inherited and isinstance(e.attrs["a"].expr, ast.Var)
    sel = e.attrs["b"].expr
    assert not e.attrs["b"].inherited and isinstance(sel, ast.Select) and sel.path == ["b"]


def test_legacy_let_is_select_of_body_from_rec_set() -> None:
    e = p("let { a = 1; body = a; }")
    assert isinstance(e, ast.Select) and e.path == ["body"] and e.expr.recursive


def test_lambda_shapes() -> None:
    e = p("args@{ a, b ? a, ... }: b")
    assert isinstance(e, ast.Lambda) and e.arg == "args" and e.formals.ellipsis
    assert [(f.name, f.default is not None) for f in e.formals.formals] == [("a", False), ("b", True)]
    assert p("x: x").formals is None
    assert p("{ a }@x: a").arg == "x"


def test_lambda_bound_to_attribute_gets_its_name() -> None:
    assert p("{ f = x: x; }").attrs["f"].expr.name == "f"


def test_call_flattening() -> None:
    e = p("f: a: b: (f a) b").body.body.body
    assert isinstance(e, ast.Call) and len(e.args) == 2
    e = p("f: a: b: f (a b)").body.body.body
    assert len(e.args) == 1 and isinstance(e.args[0], ast.Call)
    e = p("<p> { }")
    assert e.fun.name == "__findFile" and len(e.args) == 3


def test_or_as_argument_and_attribute() -> None:
    e = p("let or = 1; f = x: x; in f or").body
    assert isinstance(e, ast.Call) and e.args[0].name == "or"
    e = p("{ or = 1; }.or")
    assert isinstance(e, ast.Select) and e.path == ["or"]


def test_curpos_node() -> None:
    e = p("\n  __curPos")
    assert isinstance(e, ast.CurPos) and e.pos == at(2, 3)


def test_string_values() -> None:
    assert p(r'"a\nb\${c}$$"').value == "a\nb${c}$$"
    assert p("''\n    a\n  b\n''").value == "  a\nb\n"
    assert p("''\n  a\n  ''").value == "a\n"
    assert p("''\ta''").value == "\ta"
    # Escapes stay separate parts, as in Nix (printed ("a" + "\n" + "b")).
    assert show(p("''a''\\nb''")) == '("a" + "\\n" + "b")'


def test_paths_are_absolute_and_canonical() -> None:
    assert p("./a/./b/../c").value == "/base/a/c"
    assert p("/x/y/..").value == "/x"
    assert parse_string("./a", "/other/dir").value == "/other/dir/a"
    e = p("x: ./a/${x}").body
    assert isinstance(e, ast.ConcatStrings) and not e.force_string and e.parts[0].value == "/base/a/"


# -- scopes ----------------------------------------------------------------------------------

def test_variables_are_resolved_statically() -> None:
    e = p("let a = 1; b = 2; in x: b")
    var = e.body.body
    assert (var.level, var.index, var.from_with) == (1, 1, False)


def test_lexical_binding_beats_with() -> None:
    var = p("let a = 1; in with { a = 2; }; a").body.body
    assert not var.from_with and var.level == 1


def test_with_binds_unknown_names() -> None:
    var = p("with { }; with { }; zzz").body.body
    assert var.from_with and var.level == 0


def test_builtins_are_in_scope() -> None:
    e = p("[ true false null builtins map toString import __add ]")
    assert all(isinstance(x, ast.Var) and x.level == 0 for x in e.elems)


def test_scope_check_can_be_skipped() -> None:
    assert isinstance(parse(Source("undefined", "«string»", BASE), check_scopes=False), ast.Var)


# -- positions of nodes -----------------------------------------------------------------------

def test_node_positions() -> None:
    e = p("let\n  f = x: x;\nin f (1 + 2)")
    assert e.pos == at(1, 1)
    assert e.attrs.attrs["f"].pos == at(2, 3)
    assert e.attrs.attrs["f"].expr.pos == at(2, 7)
    call = e.body
    assert call.pos == at(3, 4) and call.args[0].pos == at(3, 7)


def test_binary_operator_position_is_the_left_operand() -> None:
    e = p("x: (x) + 1")
    assert e.body.pos == at(1, 4)


def test_inherit_positions_are_where_the_set_opens() -> None:
    e = p("let a = 1; in {\n  inherit a;\n}").body
    assert e.attrs["a"].pos == at(2, 10) and e.attrs["a"].expr.pos == at(1, 16)


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, line", [
    ("{ a = 1; a = 2; }", "error: attribute 'a' already defined at (string):1:3, at «string»:1:10"),
    ("{ a.b = 1; a.b = 2; }", "error: attribute 'a.b' already defined at (string):1:3, at «string»:1:12"),
    ("{ a = { b = 1; }; a = { b = 2; }; }", "error: attribute 'b' already defined at (string):1:25, at «string»:1:9"),
    ("let a = 1; inherit a; in a", "error: attribute 'a' already defined at (string):1:5, at «string»:1:19"),
    ("{ inherit (x) a a; }", "error: attribute 'a' already defined at (string):1:14, at «string»:1:14"),
    ("{ a, a }: a", "error: duplicate formal function argument 'a', at «string»:1:6"),
    ("x@{ x }: x", "error: duplicate formal function argument 'x', at «string»:1:1"),
    ("x", "error: undefined variable 'x', at «string»:1:1"),
    ("let a = b; in a", "error: undefined variable 'b', at «string»:1:9"),
    ("rec { a = b; }", "error: undefined variable 'b', at «string»:1:11"),
    ("{ inherit x; }", "error: undefined variable 'x', at «string»:1:2"),
    ('let ${"a" + "b"} = 1; in 1', "error: dynamic attributes not allowed in let, at «string»:1:1"),
    ("{ inherit ${toString 1}; }", "error: dynamic attributes not allowed in inherit, at «string»:1:11"),
    ("1 +", "error: syntax error, unexpected end of file, at «string»:1:3"),
    ("(1", "error: syntax error, unexpected end of file, expecting ')', at «string»:1:2"),
    ("{ a = 1 }", "error: syntax error, unexpected '}', expecting ';', at «string»:1:9"),
    ("a == b == c", "error: syntax error, unexpected EQ, at «string»:1:8"),
    ("if 1 then 2", "error: syntax error, unexpected end of file, expecting ELSE, at «string»:1:11"),
    ("./a/", "error: path has a trailing slash, at «string»:1:1"),
    ("1 ./a/", "error: path has a trailing slash, at «string»:1:3"),
    ("9223372036854775808", "error: invalid integer '9223372036854775808', at «string»:1:1"),
    ("1.0e-400", "error: invalid float '1.0e-400', at «string»:1:1"),
    ("1 % 2", "error: syntax error, unexpected invalid token, expecting end of file, at «string»:1:3"),
    ("/* x", "error: syntax error, unexpected '/', at «string»:1:1"),
    ("let\n  a = 1;\n  b = ;\nin a", "error: syntax error, unexpected ';', at «string»:3:7"),
    ("let\r\n  a = 1;\r\n  b = ;\r\nin a", "error: syntax error, unexpected ';', at «string»:3:7"),
    ("{ a } x", "error: syntax error, unexpected ID, expecting ':' or '@', at «string»:1:7"),
    ("f { a, b }", "error: syntax error, unexpected ',', expecting '.' or '=', at «string»:1:6"),
    ("[ -1 ]", "error: syntax error, unexpected '-', at «string»:1:3"),
    ("x: y", "error: undefined variable 'y', at «string»:1:4"),
    ("", "error: syntax error, unexpected end of file, at «string»:1:1"),
    # Which error comes first, as in Nix: lexing is lazy, reductions come before reading on.
    ("( 1 ] 99999999999999999999", "error: syntax error, unexpected ']', expecting ')', at «string»:1:5"),
    ("{ a = 1; a = 2; 99999999999999999999 }",
     "error: attribute 'a' already defined at (string):1:3, at «string»:1:10"),
    ("{ x, x }: 1 )", "error: duplicate formal function argument 'x', at «string»:1:6"),
    ("{ x, x }: 1 99999999999999999999", "error: invalid integer '99999999999999999999', at «string»:1:13"),
])
def test_error_message_and_position(text: str, line: str) -> None:
    with pytest.raises(ParseError) as info:
        p(text)
    assert info.value.one_line() == line


def test_error_pos_attribute() -> None:
    with pytest.raises(ParseError) as info:
        p("{ a = 1; a = 2; }")
    assert info.value.pos == at(1, 10)
    assert info.value.message == "attribute 'a' already defined at (string):1:3"


def test_parse_file_names_positions_by_path(tmp_path) -> None:
    f = tmp_path / "default.nix"
    f.write_bytes(b"{\n  a = ./x;\n  a = 2;\n}\n")
    with pytest.raises(ParseError) as info:
        parse_file(str(f))
    assert info.value.one_line() == (
        f"error: attribute 'a' already defined at {f}:2:3, at {f}:3:3")
    f.write_bytes(b"{ a = ./x; }")
    assert show(parse_file(str(f))) == f"{{ a = {tmp_path}/x; }}"


def test_parse_string_default_base_dir_is_cwd(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_string("./a").value == f"{tmp_path}/a"


def test_parser_is_reusable_after_errors() -> None:
    with pytest.raises(ParseError):
        p("{ a = 1; a = 2; }")
    with pytest.raises(ParseError):
        p("let inherit x; in ( 1 ]")
    assert show(p("let a = 1; in { inherit a; }")) == "(let a = 1; in { inherit a ; })"


def test_deep_nesting_on_a_deep_stack() -> None:
    depth = 3000
    text = "[" * depth + "]" * depth
    assert run_deep(lambda: show(p(text))).count("[") == depth
    chain = "1 + " * depth + "1"
    assert run_deep(lambda: show(p(chain))).count("+") == depth
