"""Styles and sheet XML for the transplant: merge the donor's styles.xml into the target's and
rewrite the donor's sheets to the merged style indices and inline strings.
"""

from __future__ import annotations

import copy
import re
from xml.etree.ElementTree import Element

from .package_xml import BODY, NS_MAIN, _attrs, _esc, _local, _Package, _prefix, _set_attr
from .safety import parse_xml

STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst")


# ---------------------------------------------------------------- styles

def _key(el: Element) -> tuple:
    return el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(), tuple(_key(c) for c in el)


def _serialize(el: Element, prefix: str) -> str:
    """One donor style element in the target's prefix; foreign-namespace content is left out."""
    name = prefix + _local(el.tag)
    attrs = "".join(f' {k}="{_esc(v)}"' for k, v in el.attrib.items() if not k.startswith("{"))
    inner = "".join(_serialize(c, prefix) for c in el if c.tag.startswith(f"{{{NS_MAIN}}}"))
    inner = _esc((el.text or "").strip()) + inner
    return f"<{name}{attrs}>{inner}</{name}>" if inner else f"<{name}{attrs}/>"


def _merge_styles(target: bytes, donor: bytes) -> tuple[str, list[int], list[int]]:
    """Append the donor's style records the target lacks; return (styles text, xf map, dxf map)."""
    troot, droot = parse_xml(target), parse_xml(donor)
    text = target.decode("utf-8")
    prefix = _prefix(text, "styleSheet")

    def items(root: Element, section: str) -> list[Element]:
        found = root.find(f"{{{NS_MAIN}}}{section}")
        return list(found) if found is not None else []

    added: dict[str, list[str]] = {}
    counts: dict[str, int] = {}

    def merge(section: str, donor_items: list[Element]) -> list[int]:
        existing = items(troot, section)
        index: dict[tuple, int] = {}
        for i, el in enumerate(existing):
            index.setdefault(_key(el), i)
        new = added.setdefault(section, [])
        for el in donor_items:
            if _key(el) not in index:
                index[_key(el)] = len(existing) + len(new)
                new.append(_serialize(el, prefix))
        counts[section] = len(existing) + len(new)
        return [index[_key(el)] for el in donor_items]

    fonts, fills, borders = (merge(s, items(droot, s)) for s in ("fonts", "fills", "borders"))
    codes = {}
    for el in items(troot, "numFmts"):
        codes.setdefault(el.get("formatCode"), int(el.get("numFmtId", "0")))
    next_id = max([163, *codes.values()]) + 1
    numfmt: dict[int, int] = {}
    for el in items(droot, "numFmts"):
        code = el.get("formatCode", "")
        if code not in codes:
            codes[code] = next_id
            added.setdefault("numFmts", []).append(f'<{prefix}numFmt numFmtId="{next_id}" formatCode="{_esc(code)}"/>')
            next_id += 1
        numfmt[int(el.get("numFmtId", "0"))] = codes[code]
    counts["numFmts"] = len(items(troot, "numFmts")) + len(added.get("numFmts", []))

    def remap(el: Element) -> Element:
        el = copy.deepcopy(el)
        for attr, mapping in (("fontId", fonts), ("fillId", fills), ("borderId", borders)):
            if attr in el.attrib:
                el.set(attr, str(mapping[int(el.get(attr))]))
        nid = int(el.get("numFmtId", "0"))
        el.set("numFmtId", str(numfmt.get(nid, nid)))
        el.set("xfId", "0")  # named cell styles are not carried over; the format is, in the xf itself
        return el

    xfs = merge("cellXfs", [remap(el) for el in items(droot, "cellXfs")])
    dxfs = merge("dxfs", items(droot, "dxfs"))
    for section in STYLE_ORDER:
        if added.get(section):
            text = _append_section(text, prefix, section, "".join(added[section]), counts[section])
    return text, xfs, dxfs


def _append_section(text: str, prefix: str, section: str, items: str, count: int) -> str:
    q = prefix + section
    m = re.search(rf"<{re.escape(q)}{BODY}/?>", text)
    if m is None:  # insert a new section before the first later one present
        pos = text.rindex(f"</{prefix}styleSheet>")
        for later in STYLE_ORDER[STYLE_ORDER.index(section) + 1:]:
            found = re.search(rf"<{re.escape(prefix + later)}[\s/>]", text)
            if found:
                pos = found.start()
                break
        return f'{text[:pos]}<{q} count="{count}">{items}</{q}>{text[pos:]}'
    tag = m[0]
    if tag.endswith("/>"):
        return text[:m.start()] + _set_attr(tag[:-2].rstrip() + ">", "count", str(count)) + items + f"</{q}>" + text[m.end():]
    close = text.index(f"</{q}>", m.end())
    return text[:m.start()] + _set_attr(tag, "count", str(count)) + text[m.end():close] + items + text[close:]


# ---------------------------------------------------------------- donor sheet rewriting

_CELL = re.compile(rf"<c({BODY})(?:/>|>(.*?)</c>)", re.S)
_ROWCOL = re.compile(rf"<(row|col)({BODY})(/?>)")
_V = re.compile(r"<v>\s*(\d+)\s*</v>")


def _rewrite_sheet(xml: str, strings: list[str], xfs: list[int], dxfs: list[int]) -> str:
    """Remap style indices, turn shared strings into inline strings, drop the tab selection."""

    def xf(i: str) -> str:
        return str(xfs[int(i)] if int(i) < len(xfs) else 0)

    def cell(m: re.Match[str]) -> str:
        tag, content = f"<c{m[1]}>", m[2]
        a = _attrs(m[1])
        if "s" in a:
            tag = _set_attr(tag, "s", xf(a["s"]))
        if a.get("t") == "s" and content and _V.search(content):
            tag = _set_attr(tag, "t", "inlineStr")
            content = f"<is>{strings[int(_V.search(content)[1])]}</is>"
        return tag[:-1] + "/>" if content is None else f"{tag}{content}</c>"

    def rowcol(m: re.Match[str]) -> str:
        attr = "s" if m[1] == "row" else "style"
        value = _attrs(m[2]).get(attr)
        tag = f"<{m[1]}{m[2]}{m[3]}"
        return tag if value is None else _set_attr(tag, attr, xf(value))

    xml = _ROWCOL.sub(rowcol, _CELL.sub(cell, xml))
    xml = re.sub(r'\bdxfId="(\d+)"', lambda m: f'dxfId="{dxfs[int(m[1])] if int(m[1]) < len(dxfs) else 0}"', xml)
    return re.sub(r"""\stabSelected\s*=\s*["'](?:1|true)["']""", "", xml)


def _shared_strings(pkg: _Package, wb_part: str) -> list[str]:
    rel = pkg.rel_of_type(wb_part, "/sharedStrings")
    if rel is None or not pkg.has(rel.part):
        return []
    parse_xml(pkg.read(rel.part))  # refuse hostile XML before the text scan
    return [m[1] or "" for m in re.finditer(rf"<si{BODY}(?:/>|>(.*?)</si>)", pkg.text(rel.part), re.S)]
