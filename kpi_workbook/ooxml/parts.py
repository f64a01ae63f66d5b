"""The zip package as read (parts, rels, content types, sheet list) and the XML text helpers.

The transplant (:mod:`.package`) and its edits (:mod:`.package_styles`, :mod:`.package_parts`)
all work on this view and change XML by text surgery (:mod:`.xml_text`), never by re-serializing.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from .guard import NotAWorkbook, parse_xml

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# attributes of a start tag; '>' may appear unescaped inside quoted values
BODY = r"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""


# ---------------------------------------------------------------- XML helpers

def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


# ---------------------------------------------------------------- package view

@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str
    part: str | None  # resolved zip name, None when external


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relative_target(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class Package:
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
            if self.has(rels_name(part)):
                for el in parse_xml(self.read(rels_name(part))):
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
            if local_name(el.tag) == "Default":
                defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif local_name(el.tag) == "Override":
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
class SheetEntry:
    name: str
    sheet_id: int
    rid: str
    state: str
    part: str | None


def sheet_entries(pkg: Package, wb_part: str, root: Element) -> list[SheetEntry]:
    rels = {r.id: r for r in pkg.rels(wb_part)}
    out = []
    for el in root.iterfind(f"{{{NS_MAIN}}}sheets/{{{NS_MAIN}}}sheet"):
        rid = el.get(f"{{{NS_R}}}id", "")
        rel = rels.get(rid)
        out.append(SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")), rid,
                          el.get("state", "visible"), rel.part if rel else None))
    return out
