"""Reading unit-file values back the way systemd does, to prove what the generator writes round-trips.

Written for the tests from systemd.syntax(7) and systemd.service(5), not
from the generator: a command line is split into words with C escapes and
single/double quotes (systemd's ``extract_first_word`` with unquoting and
unescaping), each word has its specifiers expanded (only ``%%`` is
expected here), and at exec time ``$$`` becomes ``$``. A lone ``$`` would
substitute a variable, so it fails the round trip.

``systemd --test`` dumps a unit's parsed command lines with its own quoting
(:func:`decode_dumped_command_line` reads that back), which lets the tests
compare against what real systemd parsed.
"""
from __future__ import annotations

WHITESPACE = " \t\n\r"
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", '"': '"', "'": "'", "s": " "}


class SyntaxFailure(ValueError):
    """The text is not what systemd would accept."""


def _unescape(text: str, index: int) -> tuple[str, int]:
    """The C escape starting after the backslash at ``text[index - 1]``: its character and the next index."""
    if index >= len(text):
        raise SyntaxFailure("backslash at end of text")
    char = text[index]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char], index + 1
    if char == "x":
        digits = text[index + 1 : index + 3]
        if len(digits) != 2:
            raise SyntaxFailure("short \\x escape")
        value = int(digits, 16)
        if value == 0:
            raise SyntaxFailure("\\x00 is refused")
        return chr(value), index + 3
    if char in "01234567":
        digits = text[index : index + 3]
        if len(digits) != 3 or any(digit not in "01234567" for digit in digits):
            raise SyntaxFailure("short octal escape")
        return chr(int(digits, 8)), index + 3
    raise SyntaxFailure(f"unknown escape \\{char}")


def split_words(text: str, command_line: bool = False) -> list[str]:
    """Words as ``extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)`` yields them, one after another.

    In a ``command_line`` an unquoted lone ``;`` (checked on the raw text,
    as systemd does) would separate two commands: refused.
    """
    words: list[str] = []
    index = 0
    while True:
        while index < len(text) and text[index] in WHITESPACE:
            index += 1
        if index >= len(text):
            return words
        if command_line and text[index] == ";" and text[index + 1 : index + 2] in ("", *WHITESPACE):
            raise SyntaxFailure("a lone ; separates commands")
        word: list[str] = []
        quote: str | None = None
        while index < len(text):
            char = text[index]
            index += 1
            if char == "\\":
                unescaped, index = _unescape(text, index)
                word.append(unescaped)
            elif quote is not None:
                if char == quote:
                    quote = None
                else:
                    word.append(char)
            elif char in "'\"":
                quote = char
            elif char in WHITESPACE:
                break
            else:
                word.append(char)
        if quote is not None:
            raise SyntaxFailure("unbalanced quoting")
        words.append("".join(word))


def expand_specifiers(word: str) -> str:
    """``%%`` → ``%``; any other specifier would be expanded by systemd, which the generator must not leave."""
    result: list[str] = []
    index = 0
    while index < len(word):
        if word[index] == "%":
            if word[index + 1 : index + 2] != "%":
                raise SyntaxFailure(f"unescaped specifier in {word!r}")
            result.append("%")
            index += 2
        else:
            result.append(word[index])
            index += 1
    return "".join(result)


def substitute_variables(word: str) -> str:
    """Exec time: ``$$`` → ``$``; a lone ``$`` would substitute an environment variable."""
    if word.replace("$$", "").count("$"):
        raise SyntaxFailure(f"unescaped $ in {word!r}")
    return word.replace("$$", "$")


def command_argv(line: str) -> list[str]:
    """The argv systemd executes for an ``ExecStart=`` value without prefixes."""
    words = split_words(line, command_line=True)
    return [substitute_variables(expand_specifiers(word)) for word in words]


def environment_assignment(value: str) -> tuple[str, str]:
    """An ``Environment=`` value holding one assignment: its name and value (no ``$`` substitution)."""
    words = split_words(value)
    if len(words) != 1 or "=" not in words[0]:
        raise SyntaxFailure(f"not exactly one assignment: {value!r}")
    name, _, assigned = expand_specifiers(words[0]).partition("=")
    return name, assigned


def decode_dumped_command_line(line: str) -> list[str]:
    """The words of a ``Command Line:`` printed by ``systemd --test``: bare, or double-quoted with escapes.

    systemd prints ``$``, backticks, quotes and backslashes backslash-escaped
    and other unprintable characters as C escapes (octal for most).
    """
    words: list[str] = []
    index = 0
    while index < len(line):
        if line[index] == " ":
            index += 1
            continue
        if line[index] != '"':
            end = line.find(" ", index)
            end = len(line) if end == -1 else end
            words.append(line[index:end])
            index = end
            continue
        index += 1
        word: list[str] = []
        while line[index] != '"':
            if line[index] == "\\":
                if line[index + 1] in "$`":
                    word.append(line[index + 1])
                    index += 2
                else:
                    unescaped, index = _unescape(line, index + 1)
                    word.append(unescaped)
            else:
                word.append(line[index])
                index += 1
        words.append("".join(word))
        index += 1
    return words
