"""Strict JSON objects: one member per name, the names the verifier reads spelled
exactly (a port of the Go verifier's package jsonstrict).

``loads(data, names)`` parses one JSON object and rejects, with :class:`StrictError`:

* anything that is not a single well-formed JSON object (NaN and Infinity included);
* objects or arrays nested deeper than ``MAX_DEPTH``;
* a member name that is not valid UTF-8;
* a member name that differs from one of ``names`` but that Go's encoding/json would
  take for it: another case ("AUD"), or Unicode folding ("ſub" with the long s, "Kid"
  with the Kelvin sign, "ıss" with the dotless i), at any depth;
* two members of one object with the same name (after unescaping: "\\u0061ud" is
  "aud"), at any depth.

The work is done by the standard library's C parser with an ``object_pairs_hook``; the
rare inputs that need more (invalid UTF-8, deep nesting) take a slower path.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, Dict, FrozenSet, Iterable, List, Tuple

MAX_DEPTH = 64


class StrictError(ValueError):
    """The input is not a strict JSON object; the message says why."""


# Go replaces each byte of invalid UTF-8 in a string value with U+FFFD.
def _per_byte_replace(e: UnicodeDecodeError) -> Tuple[str, int]:
    return "\ufffd" * (e.end - e.start), e.end


_ERRORS = "gatehouse_verify.per_byte_replace"
codecs.register_error(_ERRORS, _per_byte_replace)

# The non-ASCII runes that Go's encoding/json folds onto an ASCII letter (rune by rune,
# simple case mapping): long s, Kelvin sign, dotless i, dotted capital I.
_FOLD = {0x017F: "s", 0x212A: "k", 0x0131: "i", 0x0130: "i"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_surrogates(s: str) -> str:
    """Go decodes an unpaired surrogate escape (\\ud800) as U+FFFD; so does this."""
    if s.isascii():
        return s
    return _SURROGATE.sub("\ufffd", s)


def _variant(name: str, known: FrozenSet[str]) -> bool:
    """Whether name (not itself known) is a case or fold variant of a known name."""
    if name.isascii():
        return name.lower() in known
    folded = name.translate(_FOLD)
    return folded.isascii() and folded.lower() in known


def _reject_constant(name: str) -> Any:
    raise StrictError("not JSON: " + name)


def _parse_int(s: str) -> Any:
    # Beyond a few hundred digits no claim can use the number; keep it a float (inf)
    # instead of tripping Python's int-conversion limit on an unknown claim.
    return int(s) if len(s) <= 400 else float(s)


class Names:
    """A set of member names that must be spelled exactly, with the parsers that check
    them. Build it once."""

    __slots__ = ("known", "hook", "scan", "scan_big")

    def __init__(self, names: Iterable[str]):
        known = frozenset(names)
        self.known = known

        def hook(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
            d = dict(pairs)
            if len(d) != len(pairs):
                raise StrictError("duplicate member name")
            if d.keys() <= known:
                return d
            odd = False
            for k in d:
                if k not in known:
                    if _variant(k, known):
                        raise StrictError("member name %r is a case variant of a known name" % k[:40])
                    if not k.isascii():
                        odd = True
            if odd and len({fix_surrogates(k) for k in d}) != len(d):
                raise StrictError("duplicate member name")
            return d

        self.hook = hook
        # The C scanner, called directly: json.loads would build a decoder every call.
        self.scan = json.JSONDecoder(object_pairs_hook=hook, parse_constant=_reject_constant).scan_once
        self.scan_big = json.JSONDecoder(
            object_pairs_hook=hook, parse_constant=_reject_constant, parse_int=_parse_int
        ).scan_once


# Every JSON string, in order (so each match starts at an opening quote); in a
# well-formed document, a string followed by a colon is a member name.
_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"([ \t\r\n]*:)?', re.S)


def _depth(obj: Any) -> int:
    deepest = 0
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if d > deepest:
            deepest = d
            if d > MAX_DEPTH:
                return d
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values() if isinstance(v, (dict, list)))
        else:
            stack.extend((v, d + 1) for v in o if isinstance(v, (dict, list)))
    return deepest


_WS = " \t\n\r"


def loads(data: bytes, names: Names) -> Dict[str, Any]:
    """Parses data as one strict JSON object (see the module doc) whose known names are
    names. Raises StrictError. (The hook checks every object as the C parser builds it:
    cheaper than any check of the parsed result.)"""
    try:
        text = data.decode("utf-8")
        bad_utf8 = False
    except UnicodeDecodeError:
        text = data.decode("utf-8", _ERRORS)
        bad_utf8 = True
    if text[:1] == "{":
        start = 0
    else:
        start = len(text) - len(text.lstrip(_WS))
        if text[start : start + 1] != "{":
            raise StrictError("not a JSON object")
    try:
        try:
            obj, end = names.scan(text, start)
        except ValueError as e:
            if isinstance(e, json.JSONDecodeError):
                raise
            # An integer beyond Python's int-conversion limit: keep it a float.
            obj, end = names.scan_big(text, start)
    except StrictError:
        raise
    except StopIteration:
        raise StrictError("not a well-formed JSON object") from None
    except RecursionError:
        raise StrictError("nested too deeply") from None
    except ValueError as e:  # json.JSONDecodeError and conversion errors
        raise StrictError("not a well-formed JSON object: %s" % e) from None
    if end != len(text) and text[end:].strip(_WS):
        raise StrictError("data after the JSON object")
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and _depth(obj) > MAX_DEPTH:
        raise StrictError("nested deeper than %d levels" % MAX_DEPTH)
    if bad_utf8:
        for m in _STRING.finditer(data):
            if m.group(2) is None:
                continue
            try:
                m.group(1).decode("utf-8")
            except UnicodeDecodeError:
                raise StrictError("member name is not valid UTF-8") from None
    return obj
