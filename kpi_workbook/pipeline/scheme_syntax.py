"""The short text syntax of the config sheet's structured cells (params, gate, choices), both ways.

Kept apart from the sheet layout so the syntax can be read and tested on its own. Items are
separated by ``;``, a key is followed by ``=``; full-width ；，：＝ are accepted; text with these
characters goes in double quotes:

Numbers may carry a unit as anywhere else (``60%`` is 0.6: :func:`kpi_engine.numbers.parse_number`).

- params:  ``each=3; expected_per_quarter=2`` · bands ``bands=1.2:120, 0.8:x100; below=0``
  (``min:score``, or ``min:x<factor>`` for score = factor × metric) · counts
  ``counts=platform_violations:10, severe_violations:50`` · ``target`` is always a formula.
- gate:    ``natural_uv / uv >= 0.6; unit=%; label_zh=自然流量占比; label_en=Organic traffic share``
- choices: ``apparel=服装|Apparel; 3c=3C|数码; other=其他|Other`` (id=alias|alias).
- list:    ``访客数|商品访客数`` (names separated by ``|``; full-width ｜ accepted).
"""

from __future__ import annotations

import json
import re
from typing import Any

from kpi_engine.numbers import parse_number

FORMULA_PARAMS = ("target",)  # params whose value is always a formula (text)
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_FULLWIDTH = str.maketrans({"；": ";", "，": ",", "：": ":", "＝": "=", "≥": ">", "＞": ">"})


def _ntext(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if isinstance(v, int) else repr(float(v))


def _split(text: str, sep: str) -> list[str]:
    return [p.strip() for p in re.findall(rf'(?:"[^"]*"|[^{sep}"])+', text) if p.strip()]


def _scalar(text: str) -> Any:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] == '"':
        return t[1:-1]
    if NUMBER_TEXT.match(t):
        return float(t) if any(ch in t for ch in ".eE") else int(t)
    if t[-1:] in "%％万亿" and parse_number(t) is not None:  # "60%" as HR types it (one reading: parse_number)
        return parse_number(t)
    return {"true": True, "false": False}.get(t.lower(), t)


def _quote(text: str, key: str = "") -> str:
    plain = key in FORMULA_PARAMS or (_scalar(text) == text and not re.search(r'[;,:="\[{]', text))
    return text if plain and text else f'"{text}"'


def format_params(params: dict[str, Any]) -> str:
    """Params dict → ``key=value; …`` text (see module docstring)."""
    out = []
    for key, v in params.items():
        if key == "bands" and isinstance(v, (list, tuple)) and all(
                isinstance(b, dict) and set(b) in ({"min", "score"}, {"min", "factor"}) for b in v):
            text = ", ".join(f"{_ntext(b['min'])}:" + (_ntext(b["score"]) if "score" in b else "x" + _ntext(b["factor"]))
                             for b in v)
        elif isinstance(v, dict) and all(isinstance(x, (int, float)) for x in v.values()):
            text = ", ".join(f"{k}:{_ntext(x)}" for k, x in v.items())
        elif isinstance(v, (int, float)):
            text = _ntext(v)
        elif isinstance(v, str):
            text = _quote(v, key)
        else:
            text = json.dumps(v, ensure_ascii=False)
        out.append(f"{key}={text}")
    return "; ".join(out)


def parse_params(text: str) -> dict[str, Any]:
    """``key=value; …`` text → params dict; raises ValueError naming the bad part."""
    out: dict[str, Any] = {}
    for part in _split(str(text).translate(_FULLWIDTH), ";"):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not sep or not key.isidentifier() or not value:
            raise ValueError(part)
        if key in FORMULA_PARAMS or value.startswith('"'):
            out[key] = _scalar(value) if value.startswith('"') else value
        elif value[0] in "[{":
            try:
                out[key] = json.loads(value)
            except RecursionError:  # thousands of nested brackets
                raise ValueError(f"{key}: nested too deeply") from None
        elif key == "bands":
            bands = []
            for item in _split(value, ","):
                lo, colon, rhs = (s.strip() for s in item.partition(":"))
                factor = rhs[:1] in ("x", "X", "×", "*")
                lo_v, rhs_v = _scalar(lo), _scalar(rhs[1:] if factor else rhs)
                if not colon or not all(isinstance(x, (int, float)) for x in (lo_v, rhs_v)):
                    raise ValueError(item)
                bands.append({"min": lo_v, "factor" if factor else "score": rhs_v})
            out[key] = bands
        elif ":" in value:
            pairs = [tuple(s.strip() for s in item.partition(":")[::2]) for item in _split(value, ",")]
            if any(not k or not isinstance(_scalar(x), (int, float)) for k, x in pairs):
                raise ValueError(value)
            out[key] = {k: _scalar(x) for k, x in pairs}
        else:
            out[key] = _scalar(value)
    return out


def format_gate(gate: Any) -> str:
    """Gate → ``metric >= min; unit=…; label_zh=…; label_en=…``."""
    parts = [f"{gate.metric} >= {_ntext(gate.min)}", f"unit={gate.unit}"]
    parts += [f"{k}={_quote(getattr(gate, k))}" for k in ("label_zh", "label_en") if getattr(gate, k)]
    return "; ".join(parts)


def parse_gate(text: str) -> dict[str, Any]:
    """``metric >= min; unit=…; label_zh=…; label_en=…`` → gate dict; raises ValueError."""
    first, *rest = _split(str(text).translate(_FULLWIDTH), ";") or [""]
    m = re.match(r"^(.+?)>=?\s*(\S+)$", first)
    lo = _scalar(m.group(2)) if m else None
    if not m or isinstance(lo, (bool, str)):
        raise ValueError(first)
    gate: dict[str, Any] = {"metric": m.group(1).strip(), "min": lo}
    for part in rest:
        key, sep, value = (s.strip() for s in part.partition("="))
        if key not in ("unit", "label_zh", "label_en") or not sep:
            raise ValueError(part)
        gate[key] = value[1:-1] if value[:1] == '"' == value[-1:] and len(value) > 1 else value
    return gate


def format_choices(choices: Any) -> str:
    """Choices → ``id=alias|alias; …``."""
    return "; ".join(f"{k}={'|'.join(v)}" for k, v in choices.items())


def parse_choices(text: str) -> dict[str, list[str]]:
    """``id=alias|alias; …`` → choices; raises ValueError on an item without id."""
    out = {}
    for part in _split(str(text).translate(_FULLWIDTH).replace("｜", "|"), ";"):
        key, _, aliases = (s.strip() for s in part.partition("="))
        if not key:
            raise ValueError(part)
        out[key] = [a.strip() for a in aliases.split("|") if a.strip()]
    return out



def format_list(items: Any) -> str:
    """Names → ``a|b|c``."""
    return "|".join(str(x) for x in items)


def parse_list(text: str) -> list[str]:
    """``a|b|c`` → names (blanks dropped)."""
    return [p.strip() for p in str(text).replace("｜", "|").split("|") if p.strip()]
