"""Rust `regex`-crate patterns, run on RE2.

Unleash's REGEX operator has the semantics of Rust's `regex` crate. RE2 shares its design (no look-around,
no backreferences, linear time) and most of its syntax, so a Rust pattern is translated to an equivalent RE2
pattern where the two differ, and refused where RE2 cannot express it:

- Perl classes `\\d`, `\\w`, `\\s` are Unicode-aware in Rust and ASCII-only in RE2: they are spelled out
  as Unicode classes.
- Rust-only syntax is translated: `(?<name>...)`, `\\u{...}` / `\\U...` escapes, `\\p{Script=Greek}` and
  loose Unicode property names, whitespace inside `{m, n}`, stacked repetitions such as `a**`.
- What Rust rejects but RE2 would accept is refused (`\\Q..\\E`, `\\C`, octal escapes, `(?)`, `[[]`, a
  `{` that is not a repetition, ...), so a pattern never matches on Pitwall that would not compile for
  Unleash.
- What Rust accepts and RE2 cannot express is refused as unsupported: character-class set operations
  (`&&`, `--`, `~~`) and nested classes, `\\W` / `\\S` inside a class, the `x`, `R` and `-u` flags,
  `\\<`, `\\>` and `\\b{...}` word-boundary assertions.

Known approximation: `\\b` and `\\B` use RE2's ASCII word boundary (Rust's is Unicode-aware); they agree
unless a non-ASCII letter or digit sits right at the boundary.
"""

import re
from typing import Any, Final

import re2

from rollout.engine._unicode_names import GENERAL_CATEGORIES, PROPERTY_NAMES, SCRIPTS


class UnsupportedPattern(ValueError):
    """The pattern is invalid in Rust's `regex` crate, or valid there but not expressible in RE2."""


# Rust's Unicode \w: Alphabetic + Mark + Decimal_Number + Connector_Punctuation + Join_Control.
# RE2 has no Alphabetic property: letters, letter numbers and the few Other_Alphabetic symbols
# (circled / squared Latin letters) stand in for it; Other_Alphabetic marks are inside \p{M}.
_WORD_BODY: Final = (
    r"\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}"
    r"\x{24B6}-\x{24E9}\x{1F130}-\x{1F149}\x{1F150}-\x{1F169}\x{1F170}-\x{1F189}"
)
# Rust's Unicode \s: the White_Space property.
_SPACE_BODY: Final = (
    r"\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
)
_CASED_LETTER_BODY: Final = r"\p{Lu}\p{Ll}\p{Lt}"
_POSIX_CLASSES: Final = frozenset(
    {"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph"}
    | {"lower", "print", "punct", "space", "upper", "word", "xdigit"}
)
_SIMPLE_ESCAPES: Final = frozenset("ntrfva")
_FLAGS: Final = frozenset("imsU")
_UNSUPPORTED_FLAGS: Final = frozenset("xuR")  # `u` only when negated
_REPETITION: Final = re.compile(r"\{\s*(\d+)\s*(?:(,)\s*(\d*)\s*)?\}", re.ASCII)
_GROUP_NAME: Final = re.compile(r"[_A-Za-z][_A-Za-z0-9.\[\]]*")
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_SINGLE_PROPERTY: Final = re.compile(r"\\p\{\w+\}", re.ASCII)
_POSIX_CLASS: Final = re.compile(r"\[:(\^?)([a-z]+):\]")

_OPTIONS: Final = re2.Options()
_OPTIONS.log_errors = False


def compile_rust_regex(pattern: str, *, case_insensitive: bool = False) -> Any:
    """An RE2 regexp with the semantics of `pattern` in Rust's `regex` crate; raises UnsupportedPattern."""
    translated = translate(pattern)
    if case_insensitive:
        translated = "(?i)" + translated
    try:
        return re2.compile(translated, options=_OPTIONS)
    except re2.error as error:
        raise UnsupportedPattern(f"invalid regular expression {pattern!r}: {_re2_message(error)}") from None


def _re2_message(error: Exception) -> str:
    message = error.args[0] if error.args else error
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def translate(pattern: str) -> str:
    """The RE2 spelling of the Rust pattern `pattern`; raises UnsupportedPattern."""
    return _Translator(pattern).run()


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.out: list[str] = []
        self.group_starts: list[int] = []
        self.group_names: set[str] = set()
        # Output index where the last repeatable item starts, and what it is: "atom", "assertion" (RE2
        # refuses to repeat one) or "repeated" (RE2 refuses to repeat again).
        self.item_start: int | None = None
        self.item_kind = "atom"

    def fail(self, reason: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{reason} at position {self.pos} in {self.pattern!r}")

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.pattern[index] if index < len(self.pattern) else ""

    def emit_item(self, text: str, kind: str = "atom") -> None:
        self.item_start = len(self.out)
        self.item_kind = kind
        self.out.append(text)

    def run(self) -> str:
        while self.pos < len(self.pattern):
            char = self.pattern[self.pos]
            if char == "\\":
                text, kind = self.escape(in_class=False)
                self.emit_item(text, "assertion" if kind == "assertion" else "atom")
            elif char == "[":
                self.pos += 1
                self.emit_item(self.char_class())
            elif char == "(":
                self.open_group()
            elif char == ")":
                self.close_group()
            elif char == "|":
                self.pos += 1
                self.out.append("|")
                self.item_start = None
            elif char in "^$":
                self.pos += 1
                self.emit_item(char, "assertion")
            elif char in "*+?":
                self.pos += 1
                self.repeat(char)
            elif char == "{":
                self.counted_repetition()
            else:
                self.pos += 1
                self.emit_item(char)
        if self.group_starts:
            raise self.fail("unclosed group")
        return "".join(self.out)

    # --- repetition -------------------------------------------------------------------------------

    def repeat(self, operator: str) -> None:
        if self.item_start is None:
            raise self.fail("repetition operator missing expression")
        if self.item_kind != "atom":
            # Rust allows `^*` and `a**`; RE2 needs the repeated thing wrapped in a group.
            self.out[self.item_start :] = ["(?:", *self.out[self.item_start :], ")"]
        if self.peek() == "?":
            operator += "?"
            self.pos += 1
        self.out.append(operator)
        self.item_kind = "repeated"

    def counted_repetition(self) -> None:
        match = _REPETITION.match(self.pattern, self.pos)
        if match is None:
            raise self.fail("invalid counted repetition")
        low, comma, high = match.groups()
        if high and int(high) < int(low):
            raise self.fail("invalid counted repetition range")
        self.pos = match.end()
        self.repeat("{" + low + (comma or "") + (high or "") + "}")

    # --- groups ------------------------------------------------------------------------------------

    def open_group(self) -> None:
        self.pos += 1
        self.item_start = None
        if self.peek() != "?":
            self.group_starts.append(len(self.out))
            self.out.append("(")
            return
        self.pos += 1
        rest = self.pattern[self.pos :]
        if rest.startswith(("=", "!", "<=", "<!")):
            raise self.fail("look-around is not supported")
        if rest.startswith(("P<", "<")):
            self.pos += 2 if rest.startswith("P<") else 1
            self.named_group()
            return
        if rest.startswith("P="):
            raise self.fail("backreferences are not supported")
        self.flag_group()

    def named_group(self) -> None:
        end = self.pattern.find(">", self.pos)
        name = self.pattern[self.pos : end] if end >= 0 else ""
        if end < 0 or not _GROUP_NAME.fullmatch(name):
            raise self.fail("invalid capture group name")
        if name in self.group_names:
            raise self.fail(f"duplicate capture group name {name!r}")
        self.group_names.add(name)
        self.pos = end + 1
        # Names do not change what matches; RE2's rules for them are narrower than Rust's.
        self.group_starts.append(len(self.out))
        self.out.append("(")

    def flag_group(self) -> None:
        start = self.pos
        seen: set[str] = set()
        negated = False
        kept: list[str] = []
        while True:
            char = self.peek()
            if char == "":
                raise self.fail("unclosed flag group")
            if char in ":)":
                break
            if char in seen or (char == "-" and negated):
                raise self.fail(f"repeated flag {char!r}")
            seen.add(char)
            if char == "-":
                negated = True
                kept.append(char)
            elif char == "u" and not negated:
                pass  # Unicode mode is already on everywhere; RE2 has no such flag.
            elif char in _UNSUPPORTED_FLAGS:
                raise self.fail(f"flag {'-' if negated else ''}{char} is not supported")
            elif char in _FLAGS:
                kept.append(char)
            else:
                raise self.fail(f"unrecognized flag or group syntax {char!r}")
            self.pos += 1
        flags = self.pattern[start : self.pos]
        closer = self.peek()
        if (not flags and closer == ")") or flags.endswith("-"):
            raise self.fail("empty or incomplete flag group")
        self.pos += 1
        spelled = "".join(kept).rstrip("-") if kept != ["-"] else ""
        if closer == ")":
            # `(?i)` sets flags to the end of the enclosing group, in Rust and RE2 alike.
            if spelled:
                self.out.append("(?" + spelled + ")")
            self.item_start = None
        else:
            self.group_starts.append(len(self.out))
            self.out.append("(?" + spelled + ":")

    def close_group(self) -> None:
        self.pos += 1
        if not self.group_starts:
            raise self.fail("unopened group")
        start = self.group_starts.pop()
        self.out.append(")")
        self.item_start = start
        self.item_kind = "atom"

    # --- character classes --------------------------------------------------------------------------

    def char_class(self) -> str:
        parts = ["["]
        if self.peek() == "^":
            parts.append("^")
            self.pos += 1
        # Each item is (text, is_single_character) so ranges can be checked.
        items: list[tuple[str, bool]] = []
        if self.peek() == "]":
            items.append((r"\]", True))
            self.pos += 1
        while True:
            char = self.peek()
            if char == "":
                raise self.fail("unclosed character class")
            if char == "]":
                self.pos += 1
                break
            pair = self.pattern[self.pos : self.pos + 2]
            if pair in ("&&", "--", "~~"):
                raise self.fail("character class set operations are not supported")
            if char == "[":
                items.append((self.posix_class(), False))
            elif char == "\\":
                text, single = self.class_escape()
                items.append((text, single))
            elif char == "-" and items and self.peek(1) not in ("]", ""):
                self.pos += 1
                self.class_range(items)
            else:
                self.pos += 1
                items.append((char, True))
        parts.extend(text for text, _ in items)
        parts.append("]")
        return "".join(parts)

    def class_range(self, items: list[tuple[str, bool]]) -> None:
        low, low_single = items.pop()
        char = self.peek()
        if char == "[":
            raise self.fail("invalid character class range")
        if char == "\\":
            high, high_single = self.class_escape()
        else:
            self.pos += 1
            high, high_single = char, True
        if not (low_single and high_single):
            raise self.fail("invalid character class range")
        items.append((low + "-" + high, False))

    def posix_class(self) -> str:
        match = _POSIX_CLASS.match(self.pattern, self.pos)
        if match is None or match.group(2) not in _POSIX_CLASSES:
            raise self.fail("nested character classes are not supported")
        self.pos = match.end()
        return match.group(0)

    def class_escape(self) -> tuple[str, bool]:
        letter = self.peek(1)
        if letter in ("W", "S"):
            raise self.fail(f"\\{letter} inside a character class is not supported")
        text, kind = self.escape(in_class=True)
        if kind != "class":
            return text, True
        if not text.startswith("[^"):
            return text[1:-1], False
        # A negated class nests in a class only as a single negated property, `\P{X}`.
        body = text[2:-1]
        if _SINGLE_PROPERTY.fullmatch(body) is None:
            raise self.fail("this negated class is not supported inside a character class")
        return "\\P" + body[2:], False

    # --- escapes ------------------------------------------------------------------------------------

    def escape(self, *, in_class: bool) -> tuple[str, str]:
        """Translate the escape at `pos`; returns (RE2 text, kind) with kind atom/class/assertion."""
        self.pos += 1
        char = self.peek()
        if char == "":
            raise self.fail("incomplete escape sequence")
        self.pos += 1
        if char == "d":
            return r"[\p{Nd}]", "class"
        if char == "D":
            return r"[^\p{Nd}]", "class"
        if char == "w":
            return "[" + _WORD_BODY + "]", "class"
        if char == "W":
            return "[^" + _WORD_BODY + "]", "class"
        if char == "s":
            return "[" + _SPACE_BODY + "]", "class"
        if char == "S":
            return "[^" + _SPACE_BODY + "]", "class"
        if char in "pP":
            return self.unicode_class(negated=char == "P"), "class"
        if char in "xuU":
            return self.code_point(char), "atom"
        if char in _SIMPLE_ESCAPES:
            return "\\" + char, "atom"
        if char in "bBAz":
            if in_class:
                raise self.fail(f"\\{char} is not allowed in a character class")
            if char == "b" and self.peek() == "{" and not _REPETITION.match(self.pattern, self.pos):
                raise self.fail("\\b{...} word boundaries are not supported")
            return "\\" + char, "assertion"
        if char in "<>":
            raise self.fail(f"\\{char} word boundaries are not supported")
        if char.isascii() and not char.isalnum():
            return "\\" + char, "atom"
        raise self.fail(f"invalid escape sequence \\{char}")

    def code_point(self, kind: str) -> str:
        if self.peek() == "{":
            end = self.pattern.find("}", self.pos)
            digits = self.pattern[self.pos + 1 : end] if end >= 0 else ""
            self.pos = end + 1
        else:
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = self.pattern[self.pos : self.pos + width]
            if len(digits) != width:
                digits = ""
            self.pos += width
        if not digits or len(digits) > 8 or not set(digits) <= _HEX:
            raise self.fail(f"invalid \\{kind} escape")
        value = int(digits, 16)
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise self.fail("escape is not a Unicode scalar value")
        return f"\\x{{{value:X}}}"

    def unicode_class(self, *, negated: bool) -> str:
        if self.peek() == "{":
            end = self.pattern.find("}", self.pos)
            if end < 0:
                raise self.fail("unclosed Unicode class")
            query = self.pattern[self.pos + 1 : end]
            self.pos = end + 1
        else:
            query = self.peek()
            if not query:
                raise self.fail("incomplete Unicode class")
            self.pos += 1
        for operator in ("!=", "=", ":"):
            if operator in query:
                name, _, value = query.partition(operator)
                negated ^= operator == "!="
                body = self.property_value(_normalize(name), _normalize(value))
                break
        else:
            body = self.bare_property(_normalize(query) if len(query) > 1 else query.lower())
        if negated:
            return "[^" + body + "]"
        return "[" + body + "]"

    def property_value(self, name: str, value: str) -> str:
        if name in ("gc", "generalcategory"):
            body = _general_category(value)
        elif name in ("sc", "script"):
            body = _script(value)
        else:
            body = None
        if body is None:
            raise self.fail("unsupported Unicode property")
        return body

    def bare_property(self, name: str) -> str:
        # Rust resolves a bare name as a binary property first, then a category, then a script.
        if name != "cf" and name in PROPERTY_NAMES:
            if name in ("whitespace", "wspace", "space"):
                return _SPACE_BODY
            raise self.fail("unsupported Unicode property")
        body = _general_category(name) or _script(name)
        if body is None:
            raise self.fail("unknown Unicode class")
        return body


def _normalize(name: str) -> str:
    """UAX44-LM3 loose matching, as Rust applies it to property names and values."""
    if name[:2].lower() == "is":
        name = name[2:]
    return "".join(char.lower() for char in name if char.isascii() and char not in " _-")


def _general_category(name: str) -> str | None:
    if name == "any":
        return r"\x{0}-\x{10FFFF}"
    if name == "ascii":
        return r"\x{0}-\x{7F}"
    code = GENERAL_CATEGORIES.get(name)
    if code is None or code == "Cn":
        return None
    if code == "Lc":
        return _CASED_LETTER_BODY
    return r"\p{" + code + "}"


def _script(name: str) -> str | None:
    script = SCRIPTS.get(name)
    return None if script is None else r"\p{" + script + "}"
