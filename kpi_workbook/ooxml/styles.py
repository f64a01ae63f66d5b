"""Styles and sheet XML for the transplant: merge the donor's styles.xml into the target's and
rewrite the donor's sheets to the merged style indices and inline strings.
"""

from __future__ import annotations

import codecs
import copy
import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from .guard import parse_xml
from .parts import BODY, NS_MAIN, Package, local_name
from .xmltext import XmlDoc, append_children, apply_edits, attributes, new_element, set_attr

STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst")


# ---------------------------------------------------------------- styles

def _key(el: Element) -> tuple:
    return el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(), tuple(_key(c) for c in el)


def _spec(el: Element) -> tuple:
    """A donor style element as :func:`new_element` arguments; foreign-namespace content is left out."""
    attrs = [(None, k, v) for k, v in el.attrib.items() if not k.startswith("{")]
    text = (el.text or "").strip() or None
    children = [_spec(c) for c in el if c.tag.startswith(f"{{{NS_MAIN}}}")]
    return NS_MAIN, local_name(el.tag), attrs, text, children


def merge_styles(target: bytes, donor: bytes) -> tuple[str, list[int], list[int]]:
    """Append the donor's style records the target lacks; return (styles text, xf map, dxf map)."""
    troot, droot = parse_xml(target), parse_xml(donor)
    text = target.decode("utf-8")
    doc = XmlDoc(text)

    def items(root: Element, section: str) -> list[Element]:
        found = root.find(f"{{{NS_MAIN}}}{section}")
        return list(found) if found is not None else []

    added: dict[str, list[tuple]] = {}
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
                new.append(_spec(el))
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
            added.setdefault("numFmts", []).append(
                (NS_MAIN, "numFmt", [(None, "numFmtId", str(next_id)), (None, "formatCode", code)]))
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
    edits = [_append_section(doc, section, added[section], counts[section])
             for section in STYLE_ORDER if added.get(section)]
    return apply_edits(text, [e for pair in edits for e in pair]), xfs, dxfs


def _append_section(doc: XmlDoc, section: str, specs: list[tuple], count: int) -> list[tuple[int, int, str]]:
    """The edits that add ``specs`` to the styles section (created in schema order when absent)."""
    root = doc.root
    found = doc.child(root, NS_MAIN, section)
    if found is None:  # a new section before the first later one present, else at the end
        later = [c for local in STYLE_ORDER[STYLE_ORDER.index(section) + 1:] for c in doc.children(root, NS_MAIN, local)]
        text = new_element(root.scope, NS_MAIN, section, [(None, "count", str(count))], children=specs)
        if later:
            pos = min(c.start for c in later)
            return [(pos, pos, text)]
        return [append_children(doc, root, text)]
    items = "".join(new_element(found.scope, *spec) for spec in specs)
    start = (found.start, found.tag_end, set_attr(doc.start_tag(found), "count", str(count)))
    if found.empty:
        edit = append_children(doc, found, items)
        opened = set_attr(doc.start_tag(found), "count", str(count))
        return [(edit[0], edit[1], opened[:-2].rstrip() + ">" + items + f"</{found.qname}>")]
    return [start, append_children(doc, found, items)]


# ---------------------------------------------------------------- donor sheet rewriting

_CELL = re.compile(rf"<c({BODY})(?:/>|>(.*?)</c>)", re.S)
_ROWCOL = re.compile(rf"<(row|col)({BODY})(/?>)")
_V = re.compile(r"<v>\s*(\d+)\s*</v>")


def rewrite_sheet(xml: str, strings: list[str], xfs: list[int], dxfs: list[int]) -> str:
    """Remap style indices, turn shared strings into inline strings, drop the tab selection."""

    def xf(i: str) -> str:
        return str(xfs[int(i)] if int(i) < len(xfs) else 0)

    def cell(m: re.Match[str]) -> str:
        tag, content = f"<c{m[1]}>", m[2]
        a = attributes(m[1])
        if "s" in a:
            tag = set_attr(tag, "s", xf(a["s"]))
        if a.get("t") == "s" and content and _V.search(content):
            tag = set_attr(tag, "t", "inlineStr")
            content = f"<is>{strings[int(_V.search(content)[1])]}</is>"
        return tag[:-1] + "/>" if content is None else f"{tag}{content}</c>"

    def rowcol(m: re.Match[str]) -> str:
        attr = "s" if m[1] == "row" else "style"
        value = attributes(m[2]).get(attr)
        tag = f"<{m[1]}{m[2]}{m[3]}"
        return tag if value is None else set_attr(tag, attr, xf(value))

    xml = _ROWCOL.sub(rowcol, _CELL.sub(cell, xml))
    xml = re.sub(r'\bdxfId="(\d+)"', lambda m: f'dxfId="{dxfs[int(m[1])] if int(m[1]) < len(dxfs) else 0}"', xml)
    return re.sub(r"""\stabSelected\s*=\s*["'](?:1|true)["']""", "", xml)


# A donor sheet (tens of MB at 10,000 employees) is rewritten as bytes, a row-aligned chunk of
# about 1 MB at a time, and never decoded whole: in the rows only s="N" of <c> and <row> changes,
# by targeted regexes and a precomputed index map. What those cannot be sure to treat exactly as
# rewrite_sheet does (a cell type that may be "s", dxfId, tabSelected, <col>, s="N" spelt
# otherwise) goes through rewrite_sheet itself, on the smallest row-aligned span around it, and
# so do the parts before and after <sheetData>. Cutting only at row and sheetData boundaries keeps
# every match of rewrite_sheet's regexes whole: the result is the bytes rewrite_sheet gives on
# the whole text (for well-formed XML; what could break that assumption is rewritten whole).
_CHUNK = 1 << 20
_CELL_S = re.compile(rb'(<c r="[A-Z]+\d+" s=")(\d+)(?=")')  # as openpyxl and file_writer write it
_ROW_S = re.compile(rb'(<row\s[^>]*?\ss=")(\d+)(?=")')
_WS = (b"\t", b"\n", b"\r", b"\f", b"\v")  # chunks without them ("plain") get literal-led regexes
# what only rewrite_sheet handles, and (_ODD) s attributes the count check would miss or single-
# quoted values (in which ' s="1"' could hide); each in general form and for plain chunks
_SLOW = re.compile(rb'\st\s*=\s*(?!"(?:inlineStr|n|b|e|str|d)")|dxfId|tabSelected|<col')
_TYPE_PLAIN = re.compile(rb' t *= *(?!"(?:inlineStr|n|b|e|str|d)")')
_SLOW_WORDS = (b"dxfId", b"tabSelected", b"<col")
_ODD = re.compile(rb"[\t\n\r\f\v]s\s*=|\ss\s+=|=\s*'")
_ODD_PLAIN = (re.compile(rb" s +="), re.compile(rb"= *'"))
_CELL_START = re.compile(rb"<c[\s/>]")
_FORMULA = re.compile(rb"<f[\s/>]")


class _XfMap(dict):
    """Donor xf index (digits) -> merged index, as rewrite_sheet computes it."""

    def __init__(self, xfs: list[int]):
        super().__init__()
        self.xfs = xfs

    def __missing__(self, key: bytes) -> bytes:
        i = int(key)
        value = self[key] = str(self.xfs[i] if i < len(self.xfs) else 0).encode()
        return value

    def sub(self, m: re.Match[bytes]) -> bytes:
        return m[1] + self[m[2]]


def _sheet_data(data: bytes) -> tuple[int, int] | None:
    """(end of the <sheetData> start tag, start of </sheetData>), or None when the sheet must be
    rewritten whole: no such pair, comments/CDATA/processing instructions, a cell outside it."""
    start = data.find(b"<sheetData")
    open_end = data.find(b">", start) + 1
    close = data.find(b"</sheetData>", open_end)
    if start < 0 or open_end <= 0 or data[open_end - 2:open_end] == b"/>" or close < 0:
        return None
    if b"<!" in data or data.find(b"<?", 4 if data.startswith(codecs.BOM_UTF8) else 1) >= 0:
        return None
    if _CELL_START.search(data, 0, start) or _CELL_START.search(data, close):
        return None
    return open_end, close


def _spans(data: bytes, start: int, end: int, plain: bool) -> Iterator[tuple[int, int, bool]]:
    """Row-aligned (start, end, needs rewrite_sheet) spans covering the rows data[start:end]."""
    if plain:
        marks = [m.span() for m in _TYPE_PLAIN.finditer(data, start, end)]
        for word in _SLOW_WORDS:
            i = data.find(word, start, end)
            while i >= 0:
                marks.append((i, i + len(word)))
                i = data.find(word, i + 1, end)
        marks.sort()
    else:
        marks = [m.span() for m in _SLOW.finditer(data, start, end)]
    pos, slow_from = start, None
    for m_start, m_end in marks:
        if m_start < pos:
            continue
        a = data.rfind(b"<row", pos, m_start)
        a = pos if a < 0 else a
        if a > pos and slow_from is not None:
            yield slow_from, pos, True
            slow_from = None
        if a > pos:
            yield pos, a, False
        slow_from = a if slow_from is None else slow_from
        b = data.find(b"</row>", m_end, end)
        pos = end if b < 0 else b + 6
    if slow_from is not None:
        yield slow_from, pos, True
    if pos < end:
        yield pos, end, False


def _fast(rows: bytes, xf: _XfMap, plain: bool) -> bytes | None:
    """The rows with their style indices remapped, or None when the regexes may not see them all."""
    if any(p.search(rows) for p in _ODD_PLAIN) if plain else _ODD.search(rows):
        return None
    expected = rows.count(b" s=")
    rows, cells = _CELL_S.subn(xf.sub, rows)
    rows, styled_rows = _ROW_S.subn(xf.sub, rows)
    return rows if cells + styled_rows == expected else None


def sheet_chunks(data: bytes, strings: list[str], xfs: list[int], dxfs: list[int]) -> Iterator[bytes]:
    """rewrite_sheet(data) as UTF-8, in pieces whose concatenation is exactly its bytes."""

    def slow(a: int, b: int) -> bytes:
        return rewrite_sheet(data[a:b].decode("utf-8"), strings, xfs, dxfs).encode("utf-8")

    bounds = _sheet_data(data)
    if bounds is None:
        yield slow(0, len(data))
        return
    start, end = bounds
    yield slow(0, start)
    xf = _XfMap(xfs)
    while start < end:
        cut = data.find(b"</row>", start + _CHUNK, end) if end - start > _CHUNK else -1
        cut = end if cut < 0 else cut + 6
        plain = all(data.find(w, start, cut) < 0 for w in _WS)
        for a, b, needs_slow in _spans(data, start, cut, plain):
            out = None if needs_slow else _fast(data[a:b], xf, plain)
            yield slow(a, b) if out is None else out
        start = cut
    yield slow(end, len(data))


def sheet_has_formula(data: bytes, strings: list[str], xfs: list[int], dxfs: list[int]) -> bool:
    """Whether the rewritten sheet has a formula (``<f``). Raises UnicodeDecodeError as
    rewrite_sheet would on a sheet that is not UTF-8, but without decoding it whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for i in range(0, len(data), _CHUNK):
        decoder.decode(view[i:i + _CHUNK])
    decoder.decode(b"", True)
    m = _FORMULA.search(data)
    if m is None and not any(_FORMULA.search(s.encode("utf-8")) for s in strings):
        return False  # shared strings are the only text the rewrite inserts
    if m is not None and not _SLOW.search(data, max(data.rfind(b"<c", 0, m.start()), 0), m.start()):
        return True  # the formula's cell is not a shared-string cell, whose content is replaced
    return any(_FORMULA.search(chunk) for chunk in sheet_chunks(data, strings, xfs, dxfs))


def shared_strings(pkg: Package, wb_part: str) -> list[str]:
    rel = pkg.rel_of_type(wb_part, "/sharedStrings")
    if rel is None or not pkg.has(rel.part):
        return []
    parse_xml(pkg.read(rel.part))  # refuse hostile XML before the text scan
    return [m[1] or "" for m in re.finditer(rf"<si{BODY}(?:/>|>(.*?)</si>)", pkg.text(rel.part), re.S)]
