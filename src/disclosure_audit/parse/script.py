"""Reads the list request out of a shell page's inline scripts without running them.

A catalogue shell loads its list with an AJAX call (`$.ajax({url, data})`, `$.get(url, data)`,
`Ls.ajax(...)`) whose parameters may be literals, variables declared anywhere in the page, object
properties, `$.extend` merges, string concatenations, or values the page itself holds
(`$("meta[name='SiteId']").attr("content")`). This module evaluates that small subset of JavaScript
statically: enough for the platform's own templates. Anything it cannot evaluate is reported as
unresolved, by parameter name, never guessed; the caller may then run the scripts in the sandbox.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------ values


class Unknown:
    """A value the static reader could not work out, with the reason (an undeclared name ...)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"Unknown({self.why!r})"


Value = object  # str | int | float | bool | None | dict | list | Unknown | _Function | _Element


@dataclass(frozen=True)
class _Element:
    """What `$(selector)` or `document.querySelector(selector)` stands for: a node of the page."""

    selector: str


@dataclass(frozen=True)
class _Function:
    name: str
    params: tuple[str, ...]


# The callee names of calls that send a request: $.ajax, $.get, $.post, jQuery.getJSON, Ls.ajax ...
_REQUEST_METHODS = frozenset({"ajax", "get", "post", "getJSON", "load"})
# Parameters the crawler sets itself on every page; a script leaves them to the loader's argument.
PAGING_PARAMETERS = frozenset({"pageIndex", "pageNo", "currPage"})


@dataclass(frozen=True)
class ListCall:
    """The request a shell's script sends for its list: where to, with which parameters.

    `params` holds the parameters whose values were worked out, as the strings a browser sends;
    `unresolved` names those that could not be (with why); `first_page_index` is the page the script
    asks for first (0 or 1), None when unknown.
    """

    path: str | None
    params: dict[str, str]
    unresolved: dict[str, str] = field(default_factory=dict)
    first_page_index: int | None = None
    method: str = "GET"
    how: str = "static"  # static or sandbox


# ------------------------------------------------------------------------------------ tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>"(?:\\.|[^"\\\n])*+"|'(?:\\.|[^'\\\n])*+'|`(?:\\.|[^`\\])*+`)
  | (?P<unterminated>"(?:\\.|[^"\\\n])*+|'(?:\\.|[^'\\\n])*+|`(?:\\.|[^`\\])*+)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_$\u00a0-\uffff][\w$\u00a0-\uffff]*)
  | (?P<punct>===|!==|==|!=|<=|>=|&&|\|\||\+\+|--|\+=|-=|=>|\.\.\.|[{}()\[\];,.:?=+\-*/%<>!&|^~])
  | (?P<other>.)
    """,
    re.S | re.X,
)
_REGEX_BEFORE = frozenset({"(", ",", "=", ":", "[", "!", "&&", "||", "?", "{", "}", ";", "return", "+"})
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": ""}


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, name, punct, regex
    text: str
    value: object = None


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc.startswith("u{"):
            code = int(esc[2:-1], 16)
            return chr(code) if code <= 0x10FFFF else "\ufffd"  # beyond Unicode: a SyntaxError in JS
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, esc)

    # JS strings are UTF-16: surrogate pairs join, a lone surrogate becomes U+FFFD (a URL cannot carry it)
    return _ESCAPE.sub(one, body).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def tokenize(source: str) -> list[_Tok]:
    """JavaScript tokens (comments and whitespace dropped); regex literals are kept whole and opaque."""
    out: list[_Tok] = []
    pos, n = 0, len(source)
    while pos < n:
        prev = out[-1].text if out else ";"
        if source[pos] == "/" and (prev in _REGEX_BEFORE or not out) and source[pos : pos + 2] not in ("//", "/*"):
            end = _regex_end(source, pos)
            if end is not None:
                out.append(_Tok("regex", source[pos:end]))
                pos = end
                continue
        m = _TOKEN.match(source, pos)
        if m is None:  # unreachable: `other` matches any character
            break
        pos = m.end()
        kind = m.lastgroup or "other"
        text = m.group(0)
        if kind in ("ws", "comment"):
            continue
        if kind == "unterminated":  # a string left open (a SyntaxError in JS): one opaque token, read once
            out.append(_Tok("other", text))
            continue
        if kind == "string":
            body = text[1:-1]
            if text[0] == "`" and "${" in body:
                out.append(_Tok("template", text))
            else:
                out.append(_Tok("string", text, _unescape(body)))
        elif kind == "number":
            out.append(_Tok("number", text, _number(text)))
        else:
            out.append(_Tok(kind, text))
    return out


def _number(text: str) -> int | float:
    if text.lower().startswith("0x"):
        return _js_number(int(text, 16))
    value = float(text)
    return _js_number(int(value)) if value.is_integer() and "." not in text and "e" not in text.lower() else value


_MAX_SAFE_INTEGER = 2**53  # JS numbers are doubles: integers beyond this are not exact anyway
_MAX_STRING = 100_000  # longer strings are no list parameter; `a = a + a` repeated would double without end
_MAX_DEPTH = 64  # nesting of expressions; deeper junk would exhaust Python's recursion limit


def _js_number(value: int | float) -> int | float:
    """A number as JS holds it: an int while a double holds it exactly, else a float (inf when too large),
    so hostile scripts cannot build ints too long to print (int → str refuses 4300+ digits)."""
    if isinstance(value, int) and abs(value) > _MAX_SAFE_INTEGER:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


# A regex literal: escapes, [classes] (where / is literal) and other characters up to the closing
# slash, on one line, then its flags. Bounded, so a long line of slashes costs linear time, not quadratic.
_REGEX_LITERAL = re.compile(r"/(?:\\[^\n]|\[(?:\\[^\n]|[^\]\\\n]){0,300}+\]|[^/\\\[\n]){0,1000}+/\w*")


def _regex_end(source: str, start: int) -> int | None:
    """End of a regex literal starting at `start` (the opening slash), or None if it is not one."""
    m = _REGEX_LITERAL.match(source, start)
    return m.end() if m else None


# ------------------------------------------------------------------------------------ expressions


class _Parser:
    """A Pratt parser over a token list that evaluates as it parses, against an environment."""

    def __init__(self, toks: list[_Tok], env: Mapping[str, Value], page: _Page) -> None:
        self.toks = toks
        self.env = env
        self.page = page
        self.depth = 0  # expressions being parsed inside each other (bounded by _MAX_DEPTH)

    def peek(self, i: int, k: int = 0) -> _Tok | None:
        j = i + k
        return self.toks[j] if 0 <= j < len(self.toks) else None

    def is_(self, i: int, text: str) -> bool:
        tok = self.peek(i)
        return tok is not None and tok.kind in ("punct", "name") and tok.text == text

    def too_deep(self, i: int) -> tuple[Value, int]:
        """An expression nested deeper than _MAX_DEPTH: not evaluated, skipped up to its end."""
        depth = 0
        while i < len(self.toks):
            text = self.toks[i].text if self.toks[i].kind == "punct" else ""
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            elif text in (",", ";") and depth == 0:
                break
            i += 1
        return Unknown("an expression nested too deeply"), i

    # expression := assignment-free subset; returns (value, next index)
    def expr(self, i: int) -> tuple[Value, int]:
        if self.depth >= _MAX_DEPTH:
            return self.too_deep(i)
        self.depth += 1
        try:
            return self._expr(i)
        finally:
            self.depth -= 1

    def _expr(self, i: int) -> tuple[Value, int]:
        value, i = self.binary(i, 0)
        if self.is_(i, "?"):  # a conditional: which branch runs depends on the page at run time
            _, i = self.expr(i + 1)
            if self.is_(i, ":"):
                _, i = self.expr(i + 1)
            return Unknown("a conditional (?:) expression"), i
        return value, i

    _PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "===": 3, "!==": 3, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}

    def binary(self, i: int, min_prec: int) -> tuple[Value, int]:
        left, i = self.unary(i)
        while True:
            tok = self.peek(i)
            if tok is None or tok.kind != "punct" or tok.text not in self._PRECEDENCE:
                return left, i
            prec = self._PRECEDENCE[tok.text]
            if prec <= min_prec:
                return left, i
            right, i = self.binary(i + 1, prec)
            left = _apply(tok.text, left, right)

    def unary(self, i: int) -> tuple[Value, int]:
        if self.depth >= _MAX_DEPTH:
            return self.too_deep(i)
        self.depth += 1
        try:
            return self._unary(i)
        finally:
            self.depth -= 1

    def _unary(self, i: int) -> tuple[Value, int]:
        tok = self.peek(i)
        if tok is not None and tok.kind == "punct" and tok.text in ("-", "+", "!"):
            value, i = self.unary(i + 1)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return (-value if tok.text == "-" else value), i
            if tok.text == "!" and not isinstance(value, Unknown):
                return (not value), i
            return Unknown(f"the operator {tok.text}"), i
        if tok is not None and tok.kind == "name" and tok.text in ("typeof", "new", "void", "delete"):
            _, i = self.unary(i + 1)
            return Unknown(f"a {tok.text} expression"), i
        return self.postfix(i)

    def postfix(self, i: int) -> tuple[Value, int]:
        value, i = self.primary(i)
        while True:
            if self.is_(i, "."):
                name = self.peek(i, 1)
                if name is None or name.kind != "name":
                    return Unknown("a member access"), i + 1
                value, i = _member(value, name.text, self.page), i + 2
            elif self.is_(i, "["):
                key, i = self.expr(i + 1)
                i = self.skip_to(i, "]") + 1
                value = _member(value, key, self.page) if isinstance(key, (str, int)) else Unknown("a computed key")
            elif self.is_(i, "("):
                args, i = self.arguments(i)
                value = _call(value, args, self.page)
            else:
                return value, i

    def arguments(self, i: int) -> tuple[list[Value], int]:
        """Arguments of a call; `i` is at the opening parenthesis."""
        args: list[Value] = []
        i += 1
        while not self.is_(i, ")") and i < len(self.toks):
            value, i = self.expr(i)
            args.append(value)
            if self.is_(i, ","):
                i += 1
            elif not self.is_(i, ")"):
                i = self.skip_to(i, ")")
                break
        return args, i + 1

    def primary(self, i: int) -> tuple[Value, int]:
        tok = self.peek(i)
        if tok is None:
            return Unknown("the end of the script"), i
        if tok.kind in ("string", "number"):
            return tok.value, i + 1
        if tok.kind == "template":
            return Unknown("a template string with ${}"), i + 1
        if tok.kind == "regex":
            return Unknown("a regular expression"), i + 1
        if tok.kind == "name":
            word = tok.text
            if word in ("true", "false"):
                return word == "true", i + 1
            if word in ("null", "undefined"):
                return None, i + 1
            if word == "function":
                return Unknown("a function"), self.skip_function(i)
            if self.is_(i + 1, "=>"):
                return Unknown("a function"), self.skip_arrow(i + 2)
            if word in self.env:
                return self.env[word], i + 1
            if word in _GLOBALS:
                return _GLOBALS[word], i + 1
            return Unknown(f"the variable {word} is not declared in the page"), i + 1
        if tok.text == "(":
            if self.arrow_ahead(i):
                return Unknown("a function"), self.skip_arrow(self.skip_to(i + 1, ")") + 2)
            value, i = self.expr(i + 1)
            while self.is_(i, ","):  # the comma operator yields its last operand
                value, i = self.expr(i + 1)
            return value, self.skip_to(i, ")") + 1
        if tok.text == "{":
            return self.object(i)
        if tok.text == "[":
            return self.array(i)
        return Unknown(f"unexpected {tok.text!r}"), i + 1

    def object(self, i: int) -> tuple[Value, int]:
        out: dict[str, Value] = {}
        i += 1
        while i < len(self.toks) and not self.is_(i, "}"):
            tok = self.toks[i]
            if tok.text == "...":
                spread, i = self.expr(i + 1)
                if isinstance(spread, dict):
                    out.update(spread)
            elif tok.kind in ("name", "string", "number"):
                key = str(tok.value) if tok.kind in ("string", "number") else tok.text
                if self.is_(i + 1, ":"):
                    out[key], i = self.expr(i + 2)
                elif self.is_(i + 1, "("):  # a method: skip its body
                    i = self.skip_to(i + 1, ")") + 1
                    i = self.skip_block(i)
                else:  # shorthand {organId}
                    out[key] = self.env.get(key, Unknown(f"the variable {key} is not declared in the page"))
                    i += 1
            else:
                i += 1
                continue
            if self.is_(i, ","):
                i += 1
            elif not self.is_(i, "}"):
                i = self.skip_to(i, "}")
        return out, i + 1

    def array(self, i: int) -> tuple[Value, int]:
        out: list[Value] = []
        i += 1
        while i < len(self.toks) and not self.is_(i, "]"):
            value, i = self.expr(i)
            out.append(value)
            if self.is_(i, ","):
                i += 1
            elif not self.is_(i, "]"):
                i = self.skip_to(i, "]")
        return out, i + 1

    # -- skipping what is not evaluated
    def skip_to(self, i: int, closer: str) -> int:
        """Index of the `closer` that closes the current nesting level (or the end)."""
        depth = 0
        pairs = {"(": ")", "[": "]", "{": "}"}
        while i < len(self.toks):
            text = self.toks[i].text if self.toks[i].kind == "punct" else ""
            if text in pairs:
                depth += 1
            elif text in (")", "]", "}"):
                if depth == 0:
                    return i
                depth -= 1
            i += 1
        return i

    def skip_block(self, i: int) -> int:
        if self.is_(i, "{"):
            return self.skip_to(i + 1, "}") + 1
        return i

    def skip_function(self, i: int) -> int:
        i += 1
        if self.peek(i) is not None and self.peek(i).kind == "name":  # type: ignore[union-attr]
            i += 1
        if self.is_(i, "("):
            i = self.skip_to(i + 1, ")") + 1
        return self.skip_block(i)

    def skip_arrow(self, i: int) -> int:
        if self.is_(i, "{"):
            return self.skip_block(i)
        _, i = self.expr(i)
        return i

    def arrow_ahead(self, i: int) -> bool:
        end = self.skip_to(i + 1, ")")
        return self.is_(end + 1, "=>")


def _apply(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    if op == "+":
        if isinstance(left, str) or isinstance(right, str):
            joined = _js_string(left) + _js_string(right)
            return joined if len(joined) <= _MAX_STRING else Unknown("a string too long to be a parameter")
        if _is_number(left) and _is_number(right):
            return _js_number(left + right)  # type: ignore[operator]
        return Unknown("a + of values that are neither strings nor numbers")
    if op in ("-", "*", "/", "%") and _is_number(left) and _is_number(right):
        if op == "-":
            return _js_number(left - right)  # type: ignore[operator]
        if op == "*":
            return _js_number(left * right)  # type: ignore[operator]
        return Unknown(f"the operator {op}")
    if op == "||":
        return left or right
    if op == "&&":
        return left and right
    return Unknown(f"the operator {op}")


def _is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _js_string(value: Value, depth: int = 0) -> str:
    """A value as a browser turns it into a string (String(v), and what a query string carries).

    Arrays a hostile script nests (`a = [a, a]` repeated) would print exponentially long or deeper than
    the recursion limit: printing stops after _MAX_STRING characters and _MAX_DEPTH levels."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        if depth >= _MAX_DEPTH:
            return ""
        parts: list[str] = []
        size = 0
        for v in value:
            parts.append("" if v is None else _js_string(v, depth + 1))
            size += len(parts[-1]) + 1
            if size > _MAX_STRING:
                break
        return ",".join(parts)[: _MAX_STRING + 1]
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


# ------------------------------------------------------------------------------------ the page


@dataclass
class _Page:
    """What scripts can read from the page itself: its <meta> values and its form fields."""

    metas: Mapping[str, str]
    fields: Mapping[str, str]  # input id or name -> value


_META_SELECTOR = re.compile(r"""^\s*meta\s*\[\s*name\s*=\s*["']?([^"'\]\s]+)["']?\s*\]\s*$""", re.I)
_ID_SELECTOR = re.compile(r"^\s*#([\w-]+)\s*$")
_NAME_SELECTOR = re.compile(r"""^\s*(?:input)?\s*\[\s*name\s*=\s*["']?([^"'\]\s]+)["']?\s*\]\s*$""", re.I)


def _lookup(page: _Page, selector: str, attribute: str) -> Value:
    m = _META_SELECTOR.match(selector)
    if m:
        wanted = m.group(1).lower()
        for name, content in page.metas.items():
            if name.lower() == wanted and attribute == "content":
                return content
        return Unknown(f"the page has no <meta name={m.group(1)}>")
    m = _ID_SELECTOR.match(selector) or _NAME_SELECTOR.match(selector)
    if m and attribute == "value" and m.group(1) in page.fields:
        return page.fields[m.group(1)]
    return Unknown(f"the page value {selector} [{attribute}]")


class _Namespace(dict):
    """A global object ($, jQuery, Ls, document, window, JSON, Object) the reader knows some calls of."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


_GLOBALS: dict[str, Value] = {
    name: _Namespace(name) for name in ("$", "jQuery", "Ls", "document", "window", "Object", "JSON", "Math")
}
_GLOBALS.update({"String": _Namespace("String"), "Number": _Namespace("Number"), "parseInt": _Namespace("parseInt")})
_GLOBALS["encodeURIComponent"] = _Namespace("encodeURIComponent")
_GLOBALS["encodeURI"] = _Namespace("encodeURI")


@dataclass(frozen=True)
class _Bound:
    """A method looked up on a value, waiting for its call: `$.extend`, `$(sel).attr` ..."""

    owner: Value
    name: str


def _member(value: Value, key: object, page: _Page) -> Value:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict) and not isinstance(value, _Namespace):
        if key in value:
            return value[key]
        return Unknown(f"the property {key} is not set")
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if 0 <= key < len(value) else None
    if isinstance(value, list) and key == "length":
        return len(value)
    if isinstance(value, str) and key == "length":
        return len(value)
    if isinstance(value, _Element) and key in ("content", "value"):
        return _lookup(page, value.selector, str(key))
    if isinstance(value, _Namespace) and value.name == "window" and isinstance(key, str) and key in _GLOBALS:
        return _GLOBALS[key]
    return _Bound(value, str(key))


def _call(fn: Value, args: list[Value], page: _Page) -> Value:
    if isinstance(fn, Unknown):
        return fn
    if isinstance(fn, _Namespace):
        if fn.name in ("$", "jQuery") and args and isinstance(args[0], str):
            return _Element(args[0])
        if fn.name in ("String", "encodeURIComponent", "encodeURI") and args:
            return args[0] if isinstance(args[0], Unknown) else _js_string(args[0])
        if fn.name in ("Number", "parseInt") and args:
            try:
                return int(str(args[0]).strip()) if not isinstance(args[0], Unknown) else args[0]
            except ValueError:
                return Unknown(f"{fn.name} of a value that is not a number")
        return Unknown(f"a call of {fn.name}")
    if isinstance(fn, _Bound):
        owner, name = fn.owner, fn.name
        if name in ("extend", "assign") and isinstance(owner, _Namespace):
            merged: dict[str, Value] = {}
            for arg in args:
                if arg is True:  # $.extend(true, ...) deep copy: same values for flat objects
                    continue
                if isinstance(arg, dict):
                    merged.update(arg)
                elif isinstance(arg, Unknown):
                    return arg
            return merged
        if isinstance(owner, _Element):
            if name == "attr" and args and isinstance(args[0], str):
                return _lookup(page, owner.selector, args[0])
            if name == "val":
                return _lookup(page, owner.selector, "value")
            if name == "data" and args and isinstance(args[0], str):
                return _lookup(page, owner.selector, f"data-{args[0]}")
        if isinstance(owner, _Namespace) and owner.name == "document":
            if name in ("querySelector", "getElementById") and args and isinstance(args[0], str):
                sel = args[0] if name == "querySelector" else f"#{args[0]}"
                return _Element(sel)
            if name == "getElementsByName" and args and isinstance(args[0], str):
                return [_Element(f"[name={args[0]}]"), _Element(f"meta[name={args[0]}]")][::-1]
        if isinstance(owner, _Element) and name == "getAttribute" and args and isinstance(args[0], str):
            return _lookup(page, owner.selector, args[0])
        if isinstance(owner, str) and name in ("trim", "toString"):
            return owner.strip() if name == "trim" else owner
        if isinstance(owner, (int, float)) and name == "toString":
            return _js_string(owner)
        return Unknown(f"a call of .{name}()")
    return Unknown("a call of something that is not a known function")


# ------------------------------------------------------------------------------------ the reader


def _bindings(toks: list[_Tok], page: _Page) -> dict[str, Value]:
    """Every variable the scripts declare or assign (`var a = 1, b = a + "x"`, `c = {...}`, `o.k = v`),
    evaluated in document order: a later assignment replaces an earlier one, as it would at run time."""
    env: dict[str, Value] = {}
    parser = _Parser(toks, env, page)
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "name" and tok.text in ("var", "let", "const"):
            i += 1
            while i < len(toks) and toks[i].kind == "name":
                name = toks[i].text
                if parser.is_(i + 1, "="):
                    env[name], i = parser.expr(i + 2)
                else:
                    env.setdefault(name, None)
                    i += 1
                if parser.is_(i, ","):
                    i += 1
                    continue
                break
            continue
        if tok.kind == "name" and tok.text == "function":
            # a declared function is a value too (the loader the script calls with the first page)
            name_tok = parser.peek(i, 1)
            if name_tok is not None and name_tok.kind == "name" and parser.is_(i + 2, "("):
                params = _params(toks, i + 3)
                env[name_tok.text] = _Function(name_tok.text, params)
            i += 1
            continue
        if (
            tok.kind == "name"
            and parser.is_(i + 1, "=")
            and (i == 0 or toks[i - 1].text in (";", "{", "}", ")") or toks[i - 1].kind != "punct")
            and (i == 0 or toks[i - 1].text != ".")
        ):
            env[tok.text], i = parser.expr(i + 2)
            continue
        if (
            tok.kind == "name"
            and parser.is_(i + 1, ".")
            and parser.peek(i, 2) is not None
            and parser.peek(i, 2).kind == "name"  # type: ignore[union-attr]
            and parser.is_(i + 3, "=")
            and (i == 0 or toks[i - 1].text != ".")
        ):
            owner, prop = tok.text, toks[i + 2].text
            value, i = parser.expr(i + 4)
            if owner == "window":
                env[prop] = value
            elif isinstance(env.get(owner), dict):
                env[owner] = {**env[owner], prop: value}  # type: ignore[dict-item]
            continue
        i += 1
    return env


def _params(toks: list[_Tok], i: int) -> tuple[str, ...]:
    out = []
    while i < len(toks) and toks[i].text != ")":
        if toks[i].kind == "name":
            out.append(toks[i].text)
        i += 1
    return tuple(out)


def _calls(toks: list[_Tok]) -> Iterator[tuple[int, str, int]]:
    """(index of the callee's first token, the method name, index of its opening parenthesis) of every
    call of a request method: $.ajax(, jQuery.get(, Ls.ajax(, $.post( ..."""
    for i in range(2, len(toks)):
        tok = toks[i]
        if tok.kind == "punct" and tok.text == "(" and toks[i - 1].kind == "name" and toks[i - 2].text == ".":
            method = toks[i - 1].text
            if method in _REQUEST_METHODS and i >= 3 and toks[i - 3].kind == "name":
                yield i - 3, method, i


def _enclosing_function(toks: list[_Tok], at: int) -> tuple[str, tuple[str, ...]] | None:
    """The named function declaration whose body holds token `at`: (name, parameters)."""
    depth = 0
    for j in range(at, -1, -1):
        text = toks[j].text if toks[j].kind == "punct" else ""
        if text == "}":
            depth += 1
        elif text == "{":
            if depth == 0:
                k = j - 1
                if k >= 0 and toks[k].text == ")":
                    while k >= 0 and toks[k].text != "(":
                        k -= 1
                    if k >= 2 and toks[k - 1].kind == "name" and toks[k - 2].text == "function":
                        return toks[k - 1].text, _params(toks, k + 1)
                    # var load = function (p) {, or load: function (p) {
                    named = k >= 3 and toks[k - 1].text == "function" and toks[k - 2].text in ("=", ":")
                    if named and toks[k - 3].kind in ("name", "string"):
                        return str(toks[k - 3].value or toks[k - 3].text), _params(toks, k + 1)
            else:
                depth -= 1
    return None


def _first_index(toks: list[_Tok], loader: str) -> int | None:
    """The literal a loader function is first called with outside its own body: loadList(1)."""
    for i in range(len(toks) - 3):
        if (
            toks[i].kind == "name"
            and toks[i].text == loader
            and toks[i + 1].text == "("
            and toks[i + 2].kind == "number"
            and toks[i + 3].text == ")"
            and (i == 0 or toks[i - 1].text != "function")
        ):
            value = toks[i + 2].value
            return int(value) if isinstance(value, int) else None
    return None


def _request_of(parser: _Parser, call_at: int, method: str, paren: int) -> tuple[Value, Value, str] | None:
    """(url, data, HTTP method) of one request call, from its arguments."""
    args, _ = parser.arguments(paren)
    if not args:
        return None
    if method == "ajax":
        opts = args[0]
        if isinstance(opts, str) and len(args) > 1 and isinstance(args[1], dict):
            opts = {**args[1], "url": opts}
        if not isinstance(opts, dict):
            return None
        http = str(opts.get("type") or opts.get("method") or "GET").upper()
        return opts.get("url"), opts.get("data"), http if http in ("GET", "POST") else "GET"
    data = args[1] if len(args) > 1 and isinstance(args[1], dict) else None
    return args[0], data, "POST" if method == "post" else "GET"


def read_list_call(
    scripts: list[str],
    metas: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    marker: str = "labelName",
) -> ListCall | None:
    """The list request of a shell page's scripts, read without running them; None when no script
    sends a request whose parameters carry `marker` (labelName, the platform's list label)."""
    page = _Page(metas or {}, fields or {})
    toks: list[_Tok] = []
    for script in scripts:
        toks.extend(tokenize(script))
        toks.append(_Tok("punct", ";"))
    env = _bindings(toks, page)
    parser = _Parser(toks, env, page)
    for start, method, paren in _calls(toks):
        found = _request_of(parser, start, method, paren)
        if found is None:
            continue
        url, data, http = found
        if not isinstance(data, dict) or marker not in data:
            continue
        loader = _enclosing_function(toks, start)
        first = _first_index(toks, loader[0]) if loader else None
        if first is None:
            first = next((v for k, v in data.items() if k in PAGING_PARAMETERS and isinstance(v, int)), None)
        return _list_call(url, data, first, http, loader[1] if loader else ())
    # No request call carries the marker (an external helper sends it): the object literal alone
    for i, tok in enumerate(toks):
        if tok.text == "{" and tok.kind == "punct" and _has_key(toks, i, marker):
            data, _ = parser.object(i)
            if isinstance(data, dict):
                loader = _enclosing_function(toks, i)
                first = _first_index(toks, loader[0]) if loader else None
                return _list_call(None, data, first, "GET", loader[1] if loader else ())
    return None


def _has_key(toks: list[_Tok], brace: int, key: str) -> bool:
    depth, i = 0, brace + 1
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "punct" and tok.text in "{[(":
            depth += 1
        elif tok.kind == "punct" and tok.text in "}])":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and tok.kind in ("name", "string") and (tok.value or tok.text) == key:
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            prev = toks[i - 1]
            if nxt is not None and nxt.text == ":" and prev.text in ("{", ","):
                return True
        i += 1
    return False


def _list_call(url: Value, data: dict, first: int | None, http: str, loader_params: tuple[str, ...]) -> ListCall:
    params: dict[str, str] = {}
    unresolved: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, Unknown):
            # the loader's own argument (pageIndex) is the page the crawler asks for: not a gap
            if key in PAGING_PARAMETERS or any(p in value.why.split() for p in loader_params):
                continue
            unresolved[key] = value.why
        elif isinstance(value, (dict, _Element, _Bound, _Function, _Namespace)):
            unresolved[key] = "a value that is not a plain string or number"
        elif value is None:
            continue  # jQuery leaves undefined and null values out of the query
        else:
            params[key] = _js_string(value)
    path: str | None = None
    if isinstance(url, str) and url.strip():
        path = url.strip()
    elif isinstance(url, Unknown):
        unresolved["url"] = url.why
    return ListCall(path=path, params=params, unresolved=unresolved, first_page_index=first, method=http)
