"""Write result sheets into the user's workbook at the zip level, atomically and under a lock.

openpyxl's load+save drops what it does not model (sparklines, buttons, text boxes, data-bar
extensions, VBA...). So the result sheets are built in a separate "donor" workbook and moved
part by part into the user's package: every part the transplant does not own is copied byte
for byte. Only workbook.xml, its rels, [Content_Types].xml and styles.xml are edited, by text
surgery on the original text so that namespace prefixes (and ``mc:Ignorable``) survive.
"""

from __future__ import annotations

import copy
import posixpath
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from .safety import (
    NotAWorkbook,
    WorkbookBusy,
    WorkbookWriteError,
    atomic_write,
    check_package,
    file_lock,
    parse_xml,
)

# atomic_write, file_lock and their errors live in safety (safe file I/O) and are part of this API
__all__ = ["WorkbookBusy", "WorkbookWriteError", "atomic_write", "file_lock", "transplant_sheets"]

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STATES = ("visible", "hidden", "veryHidden")
STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # new members get a fixed time: same input, same bytes
# attributes of a start tag; '>' may appear unescaped inside quoted values
BODY = r"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


# ---------------------------------------------------------------- XML text helpers

def _esc(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _attrs(tag: str) -> dict[str, str]:
    return {m[1]: unescape(m[2] if m[2] is not None else m[3]) for m in _ATTR.finditer(tag)}


def _set_attr(tag: str, name: str, value: str | None) -> str:
    """Set (or with None remove) one attribute of a start tag given as text."""
    pat = re.compile(r"""\s""" + re.escape(name) + r"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    new = "" if value is None else f' {name}="{_esc(value)}"'
    if pat.search(tag):
        return pat.sub(lambda _: new, tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return tag[:end].rstrip() + new + tag[end:] if new else tag


def _elements(text: str, qname: str) -> list[re.Match[str]]:
    q = re.escape(qname)
    return list(re.finditer(rf"<{q}{BODY}(?:/>|>.*?</{q}\s*>)", text, re.S))


def _prefix(text: str, local: str) -> str:
    """The prefix ('' or 'x:') the document uses for its root element ``local``."""
    m = re.search(rf"<([\w.-]+:)?{local}[\s/>]", text)
    return (m[1] or "") if m else ""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# ---------------------------------------------------------------- package view

@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str
    part: str | None  # resolved zip name, None when external


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class _Package:
    """Read access to a zip package by case-insensitive part name, with cached rels."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = {i.filename.lower(): i.filename for i in zf.infolist()}
        self._rels: dict[str, list[Rel]] = {}

    def has(self, part: str) -> bool:
        return part.lower() in self.names

    def read(self, part: str) -> bytes:
        return self.zf.read(self.names[part.lower()])

    def text(self, part: str) -> str:
        try:
            return self.read(part).decode("utf-8")
        except UnicodeDecodeError as e:
            raise NotAWorkbook(f"无法读取 {part} / cannot decode {part}") from e

    def rels(self, part: str) -> list[Rel]:
        if part.lower() not in self._rels:
            out = []
            if self.has(_rels_name(part)):
                for el in parse_xml(self.read(_rels_name(part))):
                    target, external = el.get("Target", ""), el.get("TargetMode") == "External"
                    resolved = None
                    if not external:
                        t = unquote(target.split("#")[0])
                        resolved = posixpath.normpath(t.lstrip("/") if t.startswith("/")
                                                      else posixpath.join(posixpath.dirname(part), t))
                        resolved = self.names.get(resolved.lower(), resolved)
                    out.append(Rel(el.get("Id", ""), el.get("Type", ""), target, resolved))
            self._rels[part.lower()] = out
        return self._rels[part.lower()]

    def rel_of_type(self, part: str, suffix: str) -> Rel | None:
        return next((r for r in self.rels(part) if r.type.endswith(suffix) and r.part), None)

    def closure(self, roots: list[str], cut: set[tuple[str, str]] = frozenset()) -> list[str]:
        """Parts reachable from ``roots`` through internal relationships, skipping ``cut`` edges."""
        seen: dict[str, str] = {}
        todo = list(roots)
        while todo:
            part = todo.pop(0)
            if part.lower() in seen or not self.has(part):
                continue
            seen[part.lower()] = part
            todo += [r.part for r in self.rels(part) if r.part and (part.lower(), r.part.lower()) not in cut]
        return list(seen.values())

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        defaults, overrides = {}, {}
        for el in parse_xml(self.read("[Content_Types].xml")):
            if _local(el.tag) == "Default":
                defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif _local(el.tag) == "Override":
                overrides[el.get("PartName", "").lstrip("/").lower()] = el.get("ContentType", "")
        return defaults, overrides

    def workbook(self) -> tuple[str, Element]:
        rel = self.rel_of_type("", "/officeDocument")
        if rel is None or not self.has(rel.part):
            raise NotAWorkbook("找不到工作簿主体 / the workbook part is missing")
        root = parse_xml(self.read(rel.part))
        if root.tag != f"{{{NS_MAIN}}}workbook":
            raise NotAWorkbook("不支持 Strict Open XML 格式，请另存为普通 Excel 工作簿 / "
                               "Strict Open XML is not supported; save it as a regular Excel workbook")
        return rel.part, root


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    rid: str
    state: str
    part: str | None


def _sheets(pkg: _Package, wb_part: str, root: Element) -> list[_Sheet]:
    rels = {r.id: r for r in pkg.rels(wb_part)}
    out = []
    for el in root.iterfind(f"{{{NS_MAIN}}}sheets/{{{NS_MAIN}}}sheet"):
        rid = el.get(f"{{{NS_R}}}id", "")
        rel = rels.get(rid)
        out.append(_Sheet(el.get("name", ""), int(el.get("sheetId", "0")), rid,
                          el.get("state", "visible"), rel.part if rel else None))
    return out


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


# ---------------------------------------------------------------- the transplant

def transplant_sheets(target: str | Path, donor: str | Path, owned: Sequence[str], out: str | Path, *,
                      states: Mapping[str, str] | None = None) -> None:
    """Write `out` = `target` with the sheets named in `owned` replaced by (or added from) the donor's
    sheets of the same names. Sheets in `owned` that the donor lacks are removed from target.
    `states` maps sheet name -> "visible" | "hidden" | "veryHidden". Atomic: writes a temp file
    beside `out` then os.replace; on any failure `out` (and `target`) are untouched and no temp file remains."""
    target, donor, out = Path(target), Path(donor), Path(out)
    states = {k.casefold(): v for k, v in (states or {}).items()}
    bad = [v for v in states.values() if v not in STATES]
    if bad:
        raise ValueError(f"未知的工作表状态 {bad[0]!r} / unknown sheet state {bad[0]!r}")
    check_package(target)
    check_package(donor)
    with zipfile.ZipFile(target) as tz, zipfile.ZipFile(donor) as dz:
        parts, deleted = _plan(_Package(tz), _Package(dz), {n.casefold() for n in owned}, states)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(target) as tz, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            zout.comment = tz.comment
            pending = {name.lower(): name for name in parts}
            for info in tz.infolist():
                key = info.filename.lower()
                if key in pending:
                    name = pending.pop(key)
                    data = parts[name]
                elif key in deleted:
                    continue
                else:
                    name, data = info.filename, tz.read(info)
                zi = zipfile.ZipInfo(name, info.date_time)
                zi.compress_type, zi.external_attr = info.compress_type, info.external_attr
                zout.writestr(zi, data)
            for name in pending.values():
                zi = zipfile.ZipInfo(name, ZIP_EPOCH)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zout.writestr(zi, parts[name])

    atomic_write(out, write)


def _plan(t: _Package, d: _Package, owned: set[str], states: dict[str, str]) -> tuple[dict[str, bytes], set[str]]:
    """The new or changed parts (zip name -> bytes) and the deleted parts (lower-case names)."""
    wb_part, wb_root = t.workbook()
    dwb_part, dwb_root = d.workbook()
    sheets, dsheets = _sheets(t, wb_part, wb_root), _sheets(d, dwb_part, dwb_root)
    donor_by = {s.name.casefold(): s for s in dsheets if s.name.casefold() in owned and s.part}
    old_keys = {s.name.casefold() for s in sheets}
    # the new sheet list as (old index, target sheet, donor sheet): owned sheets keep their place
    layout = [(i, s, donor_by.get(s.name.casefold())) for i, s in enumerate(sheets)
              if s.name.casefold() not in owned or s.name.casefold() in donor_by]
    layout += [(None, None, ds) for ds in dsheets if ds.name.casefold() in donor_by and ds.name.casefold() not in old_keys]
    final_states = [states.get(ds.name.casefold(), ds.state) if ds else s.state for _, s, ds in layout]
    if "visible" not in final_states:
        raise ValueError("工作簿必须至少保留一个可见工作表 / the workbook must keep at least one visible sheet")

    # delete what only the replaced/removed owned sheets (or a calc chain naming them) reach
    gone = [s for s in sheets if s.name.casefold() in owned]
    cut = {(wb_part.lower(), s.part.lower()) for s in gone if s.part}
    calc = t.rel_of_type(wb_part, "/calcChain")
    if calc and t.has(calc.part) and _calc_sheets(t, calc.part) & {s.sheet_id for s in gone}:
        cut.add((wb_part.lower(), calc.part.lower()))
    roots = [r.part for r in t.rels("") if r.part]
    deleted = {p.lower() for p in t.closure(roots)} - {p.lower() for p in t.closure(roots, cut)}
    deleted |= {_rels_name(p) for p in deleted if t.has(_rels_name(p))}
    used = set(t.names) - deleted

    parts: dict[str, bytes] = {}
    copied: dict[str, str] = {}  # new zip name -> donor part, for content types
    new_rels: list[tuple[str, str, str]] = []  # (id, type, part) added to the workbook rels
    rel_ids = {r.id for r in t.rels(wb_part)}

    def new_rel(rtype: str, part: str) -> str:
        rid = next(f"rId{n}" for n in range(1, len(rel_ids) + 2) if f"rId{n}" not in rel_ids)
        rel_ids.add(rid)
        new_rels.append((rid, rtype, part))
        return rid

    style_rel, dstyle_rel = t.rel_of_type(wb_part, "/styles"), d.rel_of_type(dwb_part, "/styles")
    xfs: list[int] = []
    dxfs: list[int] = []
    if dstyle_rel and style_rel and t.has(style_rel.part):
        text, xfs, dxfs = _merge_styles(t.read(style_rel.part), d.read(dstyle_rel.part))
        parts[style_rel.part] = text.encode("utf-8")
    elif dstyle_rel:  # the target has no styles at all: take the donor's as they are
        name = dstyle_rel.part if dstyle_rel.part.lower() not in used else _alloc(dstyle_rel.part, used)
        used.add(name.lower())  # (openpyxl only looks for xl/styles.xml)
        parts[name], copied[name] = d.read(dstyle_rel.part), dstyle_rel.part
        new_rel(dstyle_rel.type, name)
        sroot = parse_xml(parts[name])
        xfs, dxfs = ([*range(len(sroot.findall(f"{{{NS_MAIN}}}{s}/*")))] for s in ("cellXfs", "dxfs"))

    # copy every donor part the transplanted sheets reach, under fresh names
    donor_parts = d.closure([ds.part for _, _, ds in layout if ds])
    names = {p.lower(): _alloc(p, used) for p in donor_parts}
    sheet_parts = {ds.part.lower() for _, _, ds in layout if ds}
    strings, table_id = _shared_strings(d, dwb_part), _max_table_id(t, deleted)
    d_overrides = d.content_types()[1]
    for p in donor_parts:
        new, data = names[p.lower()], d.read(p)
        if p.lower() in sheet_parts:
            data = _rewrite_sheet(data.decode("utf-8"), strings, xfs, dxfs).encode("utf-8")
        elif d_overrides.get(p.lower(), "").endswith("table+xml"):
            table_id += 1  # table ids are unique across the workbook
            data = re.sub(rb'(<(?:\w+:)?table\b[^>]*?\sid=")\d+"', b'\\g<1>%d"' % table_id, data, count=1)
        parts[new], copied[new] = data, p
        if d.rels(p):
            parts[_rels_name(new)] = _donor_rels(d.rels(p), new, names)

    donor_rel_types = {r.id: r.type for r in d.rels(dwb_part)}
    rids = {ds.name.casefold(): (s.rid if s else new_rel(donor_rel_types[ds.rid], names[ds.part.lower()]))
            for _, s, ds in layout if ds}
    retarget = {s.rid: (donor_rel_types[ds.rid], _relative(wb_part, names[ds.part.lower()]))
                for _, s, ds in layout if s and ds}
    formulas = any(re.search(rb"<f[\s/>]", parts[names[p]]) for p in sheet_parts)
    parts[wb_part] = _edit_workbook(t.text(wb_part), d.text(dwb_part), sheets, dsheets, layout, final_states,
                                    rids, formulas).encode("utf-8")
    parts[_rels_name(wb_part)] = _edit_rels(t, wb_part, deleted, retarget, new_rels).encode("utf-8")
    parts["[Content_Types].xml"] = _edit_content_types(t, d, deleted, copied)
    return parts, deleted - {n.lower() for n in parts}


def _donor_rels(rels: list[Rel], new: str, names: dict[str, str]) -> bytes:
    """A copied part's rels, with targets pointing at the parts' new names."""
    body = "".join(
        f'<Relationship Id="{_esc(r.id)}" Type="{_esc(r.type)}" '
        + (f'Target="{_esc(_relative(new, names[r.part.lower()]))}"/>' if r.part
           else f'Target="{_esc(r.target)}" TargetMode="External"/>')
        for r in rels if not r.part or r.part.lower() in names)
    return f'{XML_DECL}<Relationships xmlns="{NS_PKG_RELS}">{body}</Relationships>'.encode()


def _alloc(part: str, used: set[str]) -> str:
    """A free zip name like ``part``: same folder, same stem without its digits, lowest free number."""
    folder, name = posixpath.split(part)
    stem, ext = posixpath.splitext(name)
    base, i = stem.rstrip("0123456789") or stem, 1
    while (new := posixpath.join(folder, f"{base}{i}{ext}")).lower() in used or _rels_name(new).lower() in used:
        i += 1
    used.update({new.lower(), _rels_name(new).lower()})
    return new


def _calc_sheets(pkg: _Package, part: str) -> set[int]:
    """The sheet ids a calcChain part names (``i`` carries over from the previous entry)."""
    ids, current = set(), 0
    for el in parse_xml(pkg.read(part)):
        current = int(el.get("i", current))
        ids.add(current)
    return ids


def _max_table_id(pkg: _Package, deleted: set[str]) -> int:
    top = 0
    for key, name in pkg.names.items():
        if "/tables/" in key and key.endswith(".xml") and key not in deleted:
            m = re.search(rb'<(?:\w+:)?table\b[^>]*?\sid="(\d+)"', pkg.read(name))
            top = max(top, int(m[1])) if m else top
    return top


def _start(element: str) -> str:
    """The start tag of an element given as text."""
    return re.match(rf"<[^\s/>]+{BODY}/?>", element)[0]


def _edit_workbook(text: str, dtext: str, sheets: list[_Sheet], dsheets: list[_Sheet], layout: list,
                   states: list[str], rids: dict[str, str], formulas: bool) -> str:
    """The target's workbook.xml with the new sheet list, defined names, calcPr and a valid active tab."""
    prefix = _prefix(text, "workbook")
    index_map = {old: new for new, (old, _, _) in enumerate(layout) if old is not None}
    text = _edit_sheet_list(text, prefix, sheets, layout, states, rids)
    text = _edit_defined_names(text, prefix, dtext, sheets, dsheets, layout, index_map)
    if formulas:  # openpyxl writes formulas without cached values: have Excel compute them once on open
        calc = re.search(rf"<{re.escape(prefix)}calcPr{BODY}/?>", text)
        if calc is None:
            pos = _end_of(text, prefix, ("sheets", "functionGroups", "externalReferences", "definedNames"))
            text = f'{text[:pos]}<{prefix}calcPr fullCalcOnLoad="1"/>{text[pos:]}'
        elif _attrs(calc[0]).get("fullCalcOnLoad") not in ("1", "true"):
            text = text[:calc.start()] + _set_attr(calc[0], "fullCalcOnLoad", "1") + text[calc.end():]
    visible = states.index("visible")

    def view(m: re.Match[str]) -> str:  # the active tab follows its sheet, or goes to a visible one
        tag, a = m[0], _attrs(m[0])
        old_active, old_first = int(a.get("activeTab", "0")), int(a.get("firstSheet", "0"))
        active = index_map.get(old_active)
        active = active if active is not None and states[active] == "visible" else visible
        first = min(index_map.get(old_first, 0), active)
        if active != old_active:
            tag = _set_attr(tag, "activeTab", str(active))
        if first != old_first:
            tag = _set_attr(tag, "firstSheet", str(first))
        return tag

    return re.sub(rf"<{re.escape(prefix)}workbookView{BODY}/?>", view, text)


def _edit_sheet_list(text: str, prefix: str, sheets: list[_Sheet], layout: list, states: list[str],
                     rids: dict[str, str]) -> str:
    """Kept ``<sheet>`` elements verbatim, replaced ones with the new name/state, new ones appended."""
    m = re.search(rf"""\sxmlns:([\w.-]+)\s*=\s*["']{re.escape(NS_R)}["']""", text)
    rattr = f"{m[1]}:id" if m else f'xmlns:r="{NS_R}" r:id'
    found = _elements(text, prefix + "sheet")
    if len(found) != len(sheets):
        raise NotAWorkbook("workbook.xml 的工作表列表无法识别 / the sheet list of workbook.xml is not understood")
    next_id = max((s.sheet_id for s in sheets), default=0) + 1
    body = []
    for (old, s, ds), state in zip(layout, states):
        if s is None:
            state_attr = "" if state == "visible" else f' state="{state}"'
            body.append(f'<{prefix}sheet name="{_esc(ds.name)}" sheetId="{next_id}"{state_attr} '
                        f'{rattr}="{rids[ds.name.casefold()]}"/>')
            next_id += 1
        elif ds is None:
            body.append(found[old][0])
        else:
            el, start = found[old][0], _start(found[old][0])
            new = _set_attr(_set_attr(start, "name", ds.name), "state", None if state == "visible" else state)
            body.append(new + el[len(start):])
    if not found:
        end = text.index(f"</{prefix}sheets>")
        return text[:end] + "".join(body) + text[end:]
    return text[:found[0].start()] + "".join(body) + text[found[-1].end():]


def _edit_defined_names(text: str, prefix: str, dtext: str, sheets: list[_Sheet], dsheets: list[_Sheet],
                        layout: list, index_map: dict[int, int]) -> str:
    """Drop names local to owned sheets and globals the donor redefines, renumber localSheetId, add the donor's."""
    new_index = {ds.name.casefold(): new for new, (_, _, ds) in enumerate(layout) if ds}
    owned_old = {i for i, s in enumerate(sheets) if s.name.casefold() in new_index or i not in index_map}
    dprefix = _prefix(dtext, "workbook")
    added, redefined = [], set()
    for m in _elements(dtext, dprefix + "definedName"):
        el = f"<{prefix}" + m[0][len(dprefix) + 1:]
        el = el if el.endswith("/>") else el[: el.rindex("</")] + f"</{prefix}definedName>"
        a = _attrs(_start(el))
        if "localSheetId" in a:
            local = int(a["localSheetId"])
            key = dsheets[local].name.casefold() if local < len(dsheets) else None
            if key not in new_index:
                continue
            el = _set_attr(_start(el), "localSheetId", str(new_index[key])) + el[len(_start(el)):]
        else:
            redefined.add(a.get("name", "").casefold())
        added.append(el)
    old_names = _elements(text, prefix + "definedName")
    kept = []
    for m in old_names:
        start = _start(m[0])
        a = _attrs(start)
        if a.get("localSheetId", "").isdigit():
            i = int(a["localSheetId"])
            if i in owned_old:
                continue
            if index_map.get(i, i) != i:
                start = _set_attr(start, "localSheetId", str(index_map[i]))
        elif a.get("name", "").casefold() in redefined:
            continue
        kept.append(start + m[0][len(_start(m[0])):])
    names = kept + added
    if names == [m[0] for m in old_names]:
        return text
    new = f"<{prefix}definedNames>{''.join(names)}</{prefix}definedNames>" if names else ""
    section = _elements(text, prefix + "definedNames")
    if section:
        return text[:section[0].start()] + new + text[section[0].end():]
    pos = _end_of(text, prefix, ("sheets", "functionGroups", "externalReferences"))
    return text[:pos] + new + text[pos:]


def _end_of(text: str, prefix: str, tags: tuple[str, ...]) -> int:
    """Where the last of the elements ``tags`` present ends (to insert what follows them)."""
    return max(m.end() for tag in tags for m in _elements(text, prefix + tag))


def _edit_rels(t: _Package, source: str, deleted: set[str], retarget: dict[str, tuple[str, str]],
               new: list[tuple[str, str, str]]) -> str:
    """The source part's rels with replaced sheets retargeted, deleted parts dropped, new ones added."""
    text = t.text(_rels_name(source))
    prefix = _prefix(text, "Relationships")
    by_id = {r.id: r for r in t.rels(source)}
    for m in reversed(_elements(text, prefix + "Relationship")):
        rid = _attrs(_start(m[0])).get("Id", "")
        if rid in retarget:
            start = _set_attr(_set_attr(_start(m[0]), "Type", retarget[rid][0]), "Target", retarget[rid][1])
            new_el = start + m[0][len(_start(m[0])):]
            text = text[:m.start()] + new_el + text[m.end():]
        elif rid in by_id and by_id[rid].part and by_id[rid].part.lower() in deleted:
            text = text[:m.start()] + text[m.end():]
    extra = "".join(f'<{prefix}Relationship Id="{rid}" Type="{_esc(rtype)}" Target="{_esc(_relative(source, part))}"/>'
                    for rid, rtype, part in new)
    end = text.rindex(f"</{prefix}Relationships>")
    return text[:end] + extra + text[end:]


def _edit_content_types(t: _Package, d: _Package, deleted: set[str], copied: dict[str, str]) -> bytes:
    """[Content_Types].xml without the deleted parts' overrides and with the copied parts' types."""
    text = t.text("[Content_Types].xml")
    prefix = _prefix(text, "Types")
    defaults, _ = t.content_types()
    d_defaults, d_overrides = d.content_types()
    drop = deleted | {n.lower() for n in copied}
    for m in reversed(_elements(text, prefix + "Override")):
        if _attrs(_start(m[0])).get("PartName", "").lstrip("/").lower() in drop:
            text = text[:m.start()] + text[m.end():]
    extra = []
    for name, src in copied.items():
        ctype = d_overrides.get(src.lower()) or d_defaults.get(posixpath.splitext(src)[1][1:].lower())
        if ctype and defaults.get(posixpath.splitext(name)[1][1:].lower()) != ctype:
            extra.append(f'<{prefix}Override PartName="/{_esc(name)}" ContentType="{_esc(ctype)}"/>')
    end = text.rindex(f"</{prefix}Types>")
    return (text[:end] + "".join(extra) + text[end:]).encode("utf-8")
