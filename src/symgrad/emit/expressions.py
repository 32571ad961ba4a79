"""Writing one op's expression inside another's, with parentheses only where Python needs them.

An op's emission is a template: its text with each operand's text put in. To write
``np.sin(x) * 0.999`` instead of two statements, the emitter must know, for each operand
slot of the outer template, how tightly the text around the slot binds, and how tightly the
inner expression holds together (its loosest operator outside brackets). Both come from the
template rendered once with placeholder names and read with Python's own tokenizer; the
analysis is cached by that text, so each kind of template is read once.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import keyword
import token
import tokenize
from collections.abc import Callable, Sequence

_PLACEHOLDERS = [f"_sg{i}_" for i in range(16)]


def placeholders(arity: int) -> list[str]:
    """Names standing for ``arity`` operands: identifiers no emission contains."""
    while len(_PLACEHOLDERS) < arity:
        _PLACEHOLDERS.append(f"_sg{len(_PLACEHOLDERS)}_")
    return _PLACEHOLDERS[:arity]


#: Precedence of an atom (a name, a literal, a call, a subscript): binds tightest.
ATOM = 16

# Python's operator precedence, loosest first (the language reference, 6.17).
_BINARY = {
    "or": 2,
    "and": 3,
    "in": 5,
    "is": 5,
    "<": 5,
    "<=": 5,
    ">": 5,
    ">=": 5,
    "!=": 5,
    "==": 5,
    "|": 6,
    "^": 7,
    "&": 8,
    "<<": 9,
    ">>": 9,
    "+": 10,
    "-": 10,
    "*": 11,
    "/": 11,
    "//": 11,
    "%": 11,
    "@": 11,
    "**": 14,
}
COMPARISON = 5  # the precedence of comparisons, ``not`` binding one less
_POWER = 14
_UNARY = {"-": 12, "+": 12, "~": 12, "not": 4}
_CONDITIONAL = 1  # ``a if b else c``
_LAMBDA = 0
_OPEN = {"(", "[", "{"}
_CLOSE = {")", "]", "}"}
_POSTFIX = {".", "(", "["}  # after an operand: attribute, call, subscript


@dataclasses.dataclass(frozen=True)
class Form:
    """How a template holds its operands.

    ``precedence``: how tightly the whole expression holds together (``ATOM`` for a call or
    a name). ``slots[i]``: for operand ``i``, how many times it appears and the binding
    strength of the text on its left and on its right (0 where nothing binds it)."""

    precedence: int
    slots: tuple[tuple[int, int, int], ...]
    #: Every operand appears once (so any may be written inside).
    single: bool = False

    def uses(self, i: int) -> int:
        return self.slots[i][0] if i < len(self.slots) else 0

    def wrap(self, i: int, text: str, precedence: int) -> str:
        """``text`` (an expression of the given precedence) as operand ``i``."""
        _, left, right = self.slots[i]
        if precedence >= ATOM:
            return text
        if (
            precedence < left
            or precedence < right
            or precedence == left
            or (precedence == right and precedence in (COMPARISON, _POWER))
        ):
            return f"({text})"
        return text


def form_of(render: Callable[[Sequence[str]], str | None], arity: int) -> Form | None:
    """The form of the template ``render`` writes for ``arity`` operands (``None`` if it
    writes none, or cannot write one without the operands' real text)."""
    try:
        text = render(placeholders(arity))
        return None if text is None else analyse(text, arity)
    except Exception:  # an emission that reads its operands' text: never written inside
        return None


@functools.lru_cache(maxsize=4096)
def analyse(text: str, arity: int) -> Form:
    """The form of ``text``, a template whose operands are the first ``arity`` placeholders."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type
        not in (token.NEWLINE, token.NL, token.ENDMARKER, token.INDENT, token.DEDENT, token.COMMENT)
    ]
    names = {p: i for i, p in enumerate(placeholders(arity))}
    uses = [0] * arity
    left = [0] * arity
    right = [0] * arity
    loosest = ATOM
    depth = 0
    previous: tokenize.TokenInfo | None = None
    for k, tok in enumerate(tokens):
        string = tok.string
        if string in _OPEN:
            depth += 1
        elif string in _CLOSE:
            depth -= 1
        elif depth == 0:
            strength = _operator_strength(tok, previous)
            if strength is not None:
                loosest = min(loosest, strength)
        if tok.type == token.NAME and string in names:
            i = names[string]
            uses[i] += 1
            following = tokens[k + 1] if k + 1 < len(tokens) else None
            left[i] = max(left[i], _left_strength(previous))
            right[i] = max(right[i], _right_strength(following))
        previous = tok
    return Form(loosest, tuple(zip(uses, left, right)), all(u == 1 for u in uses))


def _is_operand_end(tok: tokenize.TokenInfo | None) -> bool:
    """Whether ``tok`` ends an operand (so an operator after it is binary)."""
    if tok is None:
        return False
    if tok.type in (token.NUMBER, token.STRING):
        return True
    if tok.type == token.NAME:
        return not keyword.iskeyword(tok.string) or tok.string in ("None", "True", "False")
    return tok.string in _CLOSE


def _operator_strength(tok: tokenize.TokenInfo, previous: tokenize.TokenInfo | None) -> int | None:
    """The precedence of ``tok`` as an operator outside brackets, or ``None``."""
    string = tok.string
    if string == "lambda":
        return _LAMBDA
    if string in ("if", "else"):
        return _CONDITIONAL
    if string in _UNARY and not _is_operand_end(previous):
        return _UNARY[string]
    if string in _BINARY and (tok.type == token.OP or keyword.iskeyword(string)):
        return _BINARY[string]
    if string == "not":  # ``not in``
        return COMPARISON
    return None


def _left_strength(previous: tokenize.TokenInfo | None) -> int:
    """How tightly the token before an operand binds it."""
    if previous is None or previous.string in _OPEN or previous.string in (",", ":", "="):
        return 0
    if previous.string in ("if", "else"):
        return _CONDITIONAL
    if previous.string == "lambda":
        return _LAMBDA
    if previous.string in _BINARY:
        return _BINARY[previous.string]
    if previous.string in _UNARY:
        return _UNARY[previous.string]
    return ATOM  # anything else: never write a compound operand there unbracketed


def _right_strength(following: tokenize.TokenInfo | None) -> int:
    """How tightly the token after an operand binds it."""
    if following is None or following.string in _CLOSE or following.string in (",", ":"):
        return 0
    if following.string in _POSTFIX:
        return ATOM
    if following.string in ("if", "else"):
        return _CONDITIONAL
    if following.string in _BINARY:
        return _BINARY[following.string]
    if following.string == "not":  # ``not in``
        return COMPARISON
    return ATOM
