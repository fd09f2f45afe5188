"""Hand-written Nix tokenizer with the start conditions of Nix 2.8's flex lexer.

Nix's lexer is stateful: inside ``"..."`` and ``''...''`` different rules apply,
``${`` nests a new expression context, and a path with interpolation switches to
path-continuation states.  Flex picks the longest match among the active rules
(the earliest rule on a tie); we reproduce that, so tokens split exactly where
real Nix splits them.

Source text is handled as latin-1 decoded bytes: one character per byte, so
columns count bytes as Nix's do and any byte sequence round-trips unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from lark import Token

from ..errors import ParseError, Pos

KEYWORDS = {
    "if": "IF", "then": "THEN", "else": "ELSE", "assert": "ASSERT", "with": "WITH",
    "let": "LET", "in": "IN", "rec": "REC", "inherit": "INHERIT", "or": "OR_KW",
}

# Operators and punctuation of the DEFAULT state.  Two-character operators come
# first in the rule order, so on a tie they win over single characters.
OPERATORS = {
    "...": "ELLIPSIS", "==": "EQ", "!=": "NEQ", "<=": "LEQ", ">=": "GEQ", "&&": "AND",
    "||": "OR", "->": "IMPL", "//": "UPDATE", "++": "CONCAT",
}
PUNCTUATION = {
    "{": "LBRACE", "}": "RBRACE", "(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB",
    ":": "COLON", ";": "SEMI", ",": "COMMA", "@": "AT", ".": "DOT", "?": "QUESTION",
    "=": "EQUAL", "<": "LT", ">": "GT", "+": "PLUS", "-": "MINUS", "*": "STAR",
    "/": "SLASH", "!": "BANG", '"': "DQUOTE",
}

# Names Nix's bison parser uses for tokens in its "unexpected X" messages.
DISPLAY_NAMES = {v: f"'{k}'" for k, v in PUNCTUATION.items()}
DISPLAY_NAMES.update({v: v for v in KEYWORDS.values()})
DISPLAY_NAMES.update({v: v for v in OPERATORS.values()})
DISPLAY_NAMES.update({"FORMALS_LBRACE": "'{'", "$END": "end of file", "CHAR": "character"})

_PATH_CHAR = r"[a-zA-Z0-9._\-+]"
_ID = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'\-]*")
_INT = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"(?:[1-9][0-9]*\.[0-9]*|0?\.[0-9]+)(?:[Ee][+-]?[0-9]+)?")
_PATH = re.compile(rf"{_PATH_CHAR}*(?:/{_PATH_CHAR}+)+/?")
_PATH_SEG = re.compile(rf"{_PATH_CHAR}*/")
_PATH_SEG_INTERP = re.compile(rf"{_PATH_CHAR}*/\$\{{")
_PATH_CHARS = re.compile(rf"{_PATH_CHAR}+")
_HPATH = re.compile(rf"~(?:/{_PATH_CHAR}+)+/?")
_HPATH_INTERP = re.compile(r"~/\$\{")
_SPATH = re.compile(rf"<{_PATH_CHAR}+(?:/{_PATH_CHAR}+)*>")
_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+")
_WHITESPACE = re.compile(r"[ \t\r\n]+")
_LINE_COMMENT = re.compile(r"#[^\r\n]*")
_LONG_COMMENT = re.compile(r"/\*(?:[^*]|\*+[^*/])*\*+/")
_IND_OPEN = re.compile(r"''(?: *\n)?")
_STRING_BODY = re.compile(r'(?:[^$"\\]|\$[^{"\\]|\\[\s\S]|\$\\[\s\S])+')
_IND_BODY = re.compile(r"(?:[^$']|\$[^{']|'[^'$])+")
_ESCAPE = re.compile(r"\\([\s\S])|\r\n?")
_UNESCAPED_NUL = re.compile(r"(?:[^\\\0]|\\[\s\S])*\0")
_DBL_MIN = 2.2250738585072014e-308
_PATH_START_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+/~<")
_AFTER_ID_AMBIGUOUS = frozenset("./:+")

_new_str = str.__new__

# Start conditions.
DEFAULT, STRING, IND_STRING, INPATH, INPATH_SLASH = range(5)


def unescape(text: str) -> str:
    """Nix's ``unescapeStr``: ``\\n``, ``\\r``, ``\\t`` escapes, any other escaped char
    stands for itself, and CR or CR/LF become LF."""

    def replace(m: re.Match[str]) -> str:
        c = m.group(1)
        if c is None:
            return "\n"
        return {"n": "\n", "r": "\r", "t": "\t"}.get(c, c)

    if "\0" in text:
        # unescapeStr walks a C string: an unescaped NUL ends the text.
        m = _UNESCAPED_NUL.match(text)
        if m is not None:
            text = text[:m.end() - 1]
    return _ESCAPE.sub(replace, text) if ("\\" in text or "\r" in text) else text


@dataclass(slots=True)
class Source:
    """A Nix source text with the name positions report (a path, «string» or «stdin»)."""

    text: str
    file: str
    base_dir: str


class Lexer:
    """Turns a :class:`Source` into lark tokens, one pass, no parser feedback needed."""

    def __init__(self, source: Source) -> None:
        self.text = source.text
        self.file = source.file
        self.pos = 0
        self.line = 1
        self.col = 1
        # Start of the last lexeme (tokens, whitespace and comments alike): Nix
        # reports an unexpected end of file there.
        self.last_line = 1
        self.last_col = 1
        # Start of the lexeme before that one (flex's ``prev_yylloc``): where Nix
        # puts a path's end, and then the end of file, when a path ends the input.
        self.prev_line = 1
        self.prev_col = 1
        self.states: list[int] = []

    # -- position bookkeeping ------------------------------------------------

    def _advance(self, lexeme: str) -> None:
        """Move past ``lexeme``, counting lines as Nix's adjustLoc does (CR/LF is one)."""
        self.prev_line, self.prev_col = self.last_line, self.last_col
        self.last_line, self.last_col = self.line, self.col
        self.pos += len(lexeme)
        if "\r" not in lexeme:
            newlines = lexeme.count("\n")
            if newlines:
                self.line += newlines
                self.col = len(lexeme) - lexeme.rfind("\n")
            else:
                self.col += len(lexeme)
            return
        i, n = 0, len(lexeme)
        while i < n:
            c = lexeme[i]
            if c == "\r" or c == "\n":
                if c == "\r" and i + 1 < n and lexeme[i + 1] == "\n":
                    i += 1
                self.line += 1
                self.col = 1
            else:
                self.col += 1
            i += 1

    def _token(self, kind: str, value: str, lexeme: str) -> Token:
        # Token's own constructor goes through two Python-level wrappers; this
        # is the lexer's hottest line, so the slots are filled directly.
        tok = _new_str(Token, value)
        tok.type, tok.value, tok.start_pos, tok.line, tok.column = kind, value, self.pos, self.line, self.col
        self._advance(lexeme)
        tok.end_line, tok.end_column, tok.end_pos = self.line, self.col, self.pos
        return tok

    def error(self, message: str) -> ParseError:
        return ParseError(message, Pos(self.file, self.line, self.col))

    @property
    def state(self) -> int:
        return self.states[-1] if self.states else DEFAULT

    # -- the scanner -------------------------------------------------------

    def tokens(self, deferred_errors: bool = False) -> list[Token]:
        """All tokens of the source, with formals-opening braces marked.

        Nix's parser pulls tokens one at a time, so a syntax error before an
        invalid token (an integer too large, a trailing slash) is the one Nix
        reports.  With ``deferred_errors`` a lexical error does not raise here:
        it ends the list as a LEXERROR token whose value is the error, for the
        parser to raise when it gets that far.
        """
        toks: list[Token] = []
        try:
            toks.extend(self._scan())
        except ParseError as err:
            if not deferred_errors:
                raise
            toks.append(Token("LEXERROR", err, self.pos, self.line, self.col))  # type: ignore[arg-type]
        mark_formals(toks)
        return toks

    def _scan(self) -> Iterator[Token]:
        text = self.text
        end = len(text)
        states = self.states
        while self.pos < end:
            state = states[-1] if states else DEFAULT
            if state == DEFAULT and text[self.pos] == "\0":
                # Nix's catch-all rule returns the byte as the token number, and
                # token 0 is the end of input for bison: nothing after a NUL counts.
                self._advance("\0")
                break
            if state == DEFAULT:
                tok = self._scan_default()
                if tok is None:
                    continue
            elif state == STRING:
                tok = self._scan_string()
            elif state == IND_STRING:
                tok = self._scan_ind_string()
            else:
                tok = self._scan_path(state)
            if tok is not None:
                yield tok
        if self.state == INPATH:
            # Flex's <<EOF>> rule runs no user action, so the location Nix restores
            # is that of the lexeme before the path's last piece; the end of file
            # is then reported there as well.
            self.states.pop()
            self.last_line, self.last_col = self.prev_line, self.prev_col
            yield Token("PATH_END", "", self.pos, self.prev_line, self.prev_col)
        elif self.state == INPATH_SLASH:
            raise ParseError("path has a trailing slash", Pos(self.file, self.last_line, self.last_col))

    def _scan_default(self) -> Token | None:
        text, pos = self.text, self.pos
        c = text[pos]
        if c in " \t\r\n":
            self._advance(_WHITESPACE.match(text, pos).group())
            return None
        if c == "#":
            self._advance(_LINE_COMMENT.match(text, pos).group())
            return None
        if c == "/" and text.startswith("/*", pos):
            m = _LONG_COMMENT.match(text, pos)
            if m:
                self._advance(m.group())
                return None
        if c == "$" and text.startswith("${", pos):
            self.states.append(DEFAULT)
            return self._token("DOLLAR_CURLY", "${", "${")
        if c == "{":
            self.states.append(DEFAULT)
            return self._token("LBRACE", "{", "{")
        if c == "}":
            if self.states:
                self.states.pop()
            return self._token("RBRACE", "}", "}")
        if c == '"':
            self.states.append(STRING)
            return self._token("DQUOTE", '"', '"')
        if c == "'" and text.startswith("''", pos):
            lexeme = _IND_OPEN.match(text, pos).group()
            self.states.append(IND_STRING)
            return self._token("IND_STRING_OPEN", lexeme, lexeme)
        if c in _PATH_START_CHARS:
            tok = self._scan_word()
            if tok is not None:
                return tok
        two = text[pos:pos + 2]
        if text.startswith("...", pos):
            return self._token("ELLIPSIS", "...", "...")
        if two in OPERATORS:
            return self._token(OPERATORS[two], two, two)
        return self._token(PUNCTUATION.get(c, "CHAR"), c, c)

    def _scan_word(self) -> Token | None:
        """Longest match among identifiers, numbers, paths, search paths and URIs."""
        text, pos = self.text, self.pos
        m = _ID.match(text, pos)
        if m is not None:
            word = m.group()
            after = text[m.end():m.end() + 1]
            if after not in _AFTER_ID_AMBIGUOUS or after == "":
                return self._token(KEYWORDS.get(word, "ID"), word, word)
        # (length, -rule order, kind) -- flex: longest match, earliest rule on a tie.
        best: tuple[int, int, str] = (0, 0, "")
        candidates = (
            (1, "ID", _ID), (2, "INT", _INT), (3, "FLOAT", _FLOAT),
            (4, "PATH_INTERP", _PATH_SEG_INTERP), (4, "HPATH_INTERP", _HPATH_INTERP),
            (5, "PATH", _PATH), (6, "HPATH", _HPATH), (7, "SPATH", _SPATH), (8, "URI", _URI),
        )
        for order, kind, regex in candidates:
            m = regex.match(text, pos)
            if m is not None and (m.end() - pos, -order) > best[:2]:
                best = (m.end() - pos, -order, kind)
        length, _, kind = best
        if length == 0:
            return None
        # Operators that start with a path character and tie or beat the word.
        for op in ("...", "->", "++", "//", "<="):
            if text.startswith(op, pos) and len(op) >= length:
                return None
        lexeme = text[pos:pos + length]
        if kind == "ID":
            return self._token(KEYWORDS.get(lexeme, "ID"), lexeme, lexeme)
        if kind in ("INT", "FLOAT"):
            return self._number(kind, lexeme)
        if kind == "PATH_INTERP":
            seg = _PATH_SEG.match(text, pos).group()
            self.states.append(INPATH_SLASH)
            return self._token("PATH", seg, seg)
        if kind == "HPATH_INTERP":
            self.states.append(INPATH_SLASH)
            return self._token("HPATH", "~/", "~/")
        if kind in ("PATH", "HPATH"):
            self.states.append(INPATH_SLASH if lexeme.endswith("/") else INPATH)
        return self._token(kind, lexeme, lexeme)

    def _number(self, kind: str, lexeme: str) -> Token:
        if kind == "INT":
            if int(lexeme) > 2**63 - 1:
                raise self.error(f"invalid integer '{lexeme}'")
        else:
            value = abs(float(lexeme))
            # strtod reports ERANGE on overflow and on underflow to a subnormal or zero.
            mantissa = re.split("[eE]", lexeme)[0]
            if value == float("inf") or (value < _DBL_MIN and mantissa.strip("0.")):
                raise self.error(f"invalid float '{lexeme}'")
        return self._token(kind, lexeme, lexeme)

    def _scan_string(self) -> Token:
        text, pos = self.text, self.pos
        if text.startswith("${", pos):
            self.states.append(DEFAULT)
            return self._token("DOLLAR_CURLY", "${", "${")
        if text[pos] == '"':
            self.states.pop()
            return self._token("DQUOTE", '"', '"')
        m = _STRING_BODY.match(text, pos)
        body = m.group() if m else ""
        if text.startswith('$"', pos + len(body)):
            # The trailing-context rule: a string part may end in '$' before '"'.
            body += "$"
        if not body:
            # A lone '$', '\' or '$\' at the end of input; the parser reports it.
            body = text[pos:pos + 2] if text.startswith("$\\", pos) else text[pos]
        return self._token("STR", unescape(body), body)

    def _scan_ind_string(self) -> Token:
        text, pos = self.text, self.pos
        if text.startswith("''", pos):
            if text.startswith("'''", pos):
                return self._token("IND_STR_LIT", "''", "'''")
            if text.startswith("''$", pos):
                return self._token("IND_STR_LIT", "$", "''$")
            if text.startswith("''\\", pos) and pos + 3 < len(text):
                lexeme = text[pos:pos + 4]
                return self._token("IND_STR_LIT", unescape(lexeme[2:]), lexeme)
            self.states.pop()
            return self._token("IND_STRING_CLOSE", "''", "''")
        if text.startswith("${", pos):
            self.states.append(DEFAULT)
            return self._token("DOLLAR_CURLY", "${", "${")
        m = _IND_BODY.match(text, pos)
        if m is not None:
            return self._token("IND_STR", m.group(), m.group())
        c = text[pos]  # a lone '$' or "'"
        return self._token("IND_STR_LIT", c, c)

    def _scan_path(self, state: int) -> Token | None:
        text, pos = self.text, self.pos
        if text.startswith("${", pos):
            self.states[-1] = INPATH
            self.states.append(DEFAULT)
            return self._token("DOLLAR_CURLY", "${", "${")
        best = max((r.match(text, pos) for r in (_PATH, _PATH_SEG, _PATH_CHARS)),
                   key=lambda m: m.end() if m else -1)
        if best is not None:
            lexeme = best.group()
            self.states[-1] = INPATH_SLASH if lexeme.endswith("/") else INPATH
            return self._token("STR", lexeme, lexeme)
        if state == INPATH_SLASH:
            raise self.error("path has a trailing slash")
        # Nix re-reads this character in the default state and gives the path's
        # end the location of the path's last piece.
        self.states.pop()
        return Token("PATH_END", "", pos, self.last_line, self.last_col)


# Tokens after which an expression that may be a lambda starts; elsewhere (an
# argument, a list element, an operand) a '{' can only open a set, and Nix's GLR
# parser never tries formals there.
LAMBDA_MAY_FOLLOW = frozenset({"COLON", "SEMI", "IN", "LPAR", "DOLLAR_CURLY", "EQUAL", "QUESTION",
                                "THEN", "ELSE", "IF", "ASSERT", "WITH"})


def mark_formals(toks: list[Token]) -> None:
    """Retype each ``{`` that opens a lambda's formals as FORMALS_LBRACE.

    Nix's GLR parser tells ``{ a, b }: ...`` from ``{ a = b; }`` by trying both
    where a lambda may start; an LALR parser needs the decision up front.  The
    token before the brace says whether formals are possible at all, the token
    after it (or, for ``{ }``, the one after the closing brace) settles it, and
    for the one tie left (``{ }`` then a token neither reading takes) the parser
    reports the formals' error as Nix does.
    """
    n = len(toks)
    for i, tok in enumerate(toks):
        if tok.type != "LBRACE":
            continue
        nxt = toks[i + 1].type if i + 1 < n else None
        formals = False
        if i >= 2 and toks[i - 1].type == "AT" and toks[i - 2].type == "ID":
            formals = True  # only formals may follow ``x @``
        elif i > 0 and toks[i - 1].type not in LAMBDA_MAY_FOLLOW:
            formals = False  # a function argument, list element, operand: a set
        elif nxt == "ELLIPSIS":
            formals = True
        elif nxt == "RBRACE":
            formals = i + 2 < n and toks[i + 2].type in ("COLON", "AT")
        elif nxt == "ID" and i + 2 < n:
            after = toks[i + 2].type
            if after in ("COMMA", "QUESTION"):
                formals = True
            elif after == "RBRACE":
                # ``{ x }`` is never a valid set: as in Nix's GLR parser, the
                # formals reading is the one that survives longest.
                formals = True
        if formals:
            tok.type = "FORMALS_LBRACE"
