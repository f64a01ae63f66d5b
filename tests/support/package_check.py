"""Is this .xlsx/.xlsm/.xlam a sound OOXML package? What every reader (Excel, LibreOffice, openpyxl) needs.

``assert_sound_package(path)`` fails with every problem found, each naming its part:

* every XML part parses with a namespace-aware parser (an unbound prefix is an error, as it is
  for Excel, LibreOffice and openpyxl), and every prefix that a markup-compatibility attribute
  names (``mc:Ignorable``, ``mc:MustUnderstand``, ``mc:ProcessContent``, ``mc:PreserveElements``,
  ``mc:PreserveAttributes``, ``<mc:Choice Requires>``) is declared in scope on that element;
* every internal relationship target exists in the zip, and every .rels part belongs to a part;
* every part has a content type (an Override for it or a Default for its extension) and every
  Override names a part that exists;
* the workbook's sheets have unique names and sheetIds and each ``r:id`` resolves through the
  workbook's rels; defined names' ``localSheetId`` and the views' ``activeTab`` are in range.

With ``libreoffice=True`` LibreOffice must also load the file (it is converted headless to .xlsx
with a private profile), and ``cells`` ({sheet: {cell: expected value}}) are compared with the
values LibreOffice reads. The converted file is returned, so a test may read more from it.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import math
import posixpath
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree
from xml.parsers import expat

NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_R = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "http://purl.oclc.org/ooxml/officeDocument/relationships")  # transitional, strict
CONTENT_TYPES = "[Content_Types].xml"
XML_SUFFIXES = (".xml", ".rels")
# markup-compatibility attributes: those holding prefixes, those holding prefix:name pairs
MC_PREFIX_LISTS = ("Ignorable", "MustUnderstand")
MC_QNAME_LISTS = ("ProcessContent", "PreserveElements", "PreserveAttributes")


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _r_id(el: ElementTree.Element) -> str | None:
    return next((el.get(f"{{{ns}}}id") for ns in NS_R if el.get(f"{{{ns}}}id") is not None), None)


# ---------------------------------------------------------------- XML: namespaces and mc attributes

def xml_problems(part: str, data: bytes) -> tuple[ElementTree.Element | None, list[str]]:
    """Parse ``data`` namespace-aware; (root or None, problems naming ``part``)."""
    parser = ElementTree.XMLPullParser(events=("start-ns", "start", "end"))
    scopes: list[dict[str, str]] = [{"xml": "http://www.w3.org/XML/1998/namespace"}]
    pending: dict[str, str] = {}
    problems: list[str] = []
    root = None

    def check(el: ElementTree.Element, scope: dict[str, str]) -> None:
        named: list[tuple[str, str]] = []  # (attribute as written, prefix it names)
        for name in MC_PREFIX_LISTS:
            named += [(f"mc:{name}", p) for p in el.get(f"{{{NS_MC}}}{name}", "").split()]
        for name in MC_QNAME_LISTS:
            named += [(f"mc:{name}", q.split(":", 1)[0]) for q in el.get(f"{{{NS_MC}}}{name}", "").split()]
        if el.tag == f"{{{NS_MC}}}Choice":
            named += [("Requires", p) for p in el.get("Requires", "").split()]
        for attr, prefix in named:
            if prefix not in scope:
                problems.append(f"{part}: <{local_name(el.tag)}> {attr} names the prefix {prefix!r}, "
                                "which is not declared in scope")

    try:
        for chunk in (data[i:i + (1 << 16)] for i in range(0, len(data), 1 << 16)):
            parser.feed(chunk)
            for event, item in parser.read_events():
                if event == "start-ns":
                    pending[item[0]] = item[1]
                elif event == "start":
                    scope = {**scopes[-1], **pending}
                    pending = {}
                    scopes.append(scope)
                    check(item, scope)
                    root = item if root is None else root
                else:
                    scopes.pop()
        parser.close()
    except ElementTree.ParseError as exc:
        return None, [f"{part}: not namespace-well-formed XML: {exc}{_context(data, exc)}"]
    return root, problems


def _context(data: bytes, exc: ElementTree.ParseError) -> str:
    """The text around a parse error's position, to see the offending markup in the message."""
    try:
        line, column = exc.position
        text = data.decode("utf-8", "replace").splitlines()[line - 1]
    except (AttributeError, IndexError, ValueError):
        return ""
    return f" near {text[max(0, column - 60):column + 60]!r}"


def _plain_xml(data: bytes) -> bool:
    """Well-formed if namespaces are ignored (legacy VML often is not XML at all)."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


# ---------------------------------------------------------------- the package

class _Zip:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.infos = [i for i in zf.infolist() if not i.filename.endswith("/")]
        self.by_lower = {i.filename.lower(): i.filename for i in self.infos}

    def has(self, name: str) -> bool:
        return name.lower() in self.by_lower

    def read(self, name: str) -> bytes:
        return self.zf.read(self.by_lower[name.lower()])


def _rels_source(rels_part: str) -> str | None:
    """The part a rels part describes ('' for the package), or None when it is not in a _rels folder."""
    folder, name = posixpath.split(rels_part)
    if posixpath.basename(folder) != "_rels" or not name.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), name[: -len(".rels")])


def _resolve(source: str, target: str) -> str | None:
    """A relationship target as a zip member name; None when it leaves the package."""
    target = unquote(target)
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(posixpath.dirname(source), target)
    path = posixpath.normpath(path)
    return None if path == ".." or path.startswith("../") else path


def sheet_parts(path: str | Path) -> dict[str, str]:
    """Sheet name -> zip member of the sheet's part (through the officeDocument rel and the workbook rels)."""
    with zipfile.ZipFile(path) as zf:
        z = _Zip(zf)
        book = _workbook_part(z)
        rels = _rels_targets(z, book)
        root = ElementTree.fromstring(z.read(book))
        out = {}
        for el in root.iter():
            if local_name(el.tag) == "sheet" and _r_id(el) in rels:
                out[el.get("name")] = z.by_lower.get(rels[_r_id(el)].lower(), rels[_r_id(el)])
        return out


def workbook_part(path: str | Path) -> str:
    """The zip member of the workbook part (the package's officeDocument relationship)."""
    with zipfile.ZipFile(path) as zf:
        z = _Zip(zf)
        book = _workbook_part(z)
        return z.by_lower.get(book.lower(), book)


def relationships(path: str | Path, source: str) -> list[tuple[str, str, str]]:
    """(id, type, target member) of the internal relationships of the part ``source``."""
    with zipfile.ZipFile(path) as zf:
        z = _Zip(zf)
        rels = posixpath.join(posixpath.dirname(source), "_rels", posixpath.basename(source) + ".rels")
        if not z.has(rels):
            return []
        out = []
        for rel in ElementTree.fromstring(z.read(rels)):
            if rel.get("TargetMode") != "External" and rel.get("Target") is not None:
                target = _resolve(source, rel.get("Target"))
                out.append((rel.get("Id"), rel.get("Type"), z.by_lower.get((target or "").lower(), target)))
        return out


def part_closure(path: str | Path, parts: list[str]) -> set[str]:
    """``parts``, their rels parts, and every part reachable from them through internal relationships."""
    with zipfile.ZipFile(path) as zf:
        z = _Zip(zf)
        seen: set[str] = set()
        todo = list(parts)
        while todo:
            part = z.by_lower.get(todo.pop().lower())
            if part is None or part in seen:
                continue
            seen.add(part)
            rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
            if z.has(rels):
                seen.add(z.by_lower[rels.lower()])
                todo += list(_rels_targets(z, part).values())
        return seen


def _rels_targets(z: _Zip, source: str) -> dict[str, str]:
    """Relationship id -> target member of the internal relationships of ``source``."""
    rels = posixpath.join(posixpath.dirname(source), "_rels", posixpath.basename(source) + ".rels")
    if not z.has(rels):
        return {}
    out = {}
    for rel in ElementTree.fromstring(z.read(rels)):
        if rel.get("TargetMode") != "External" and rel.get("Target") is not None:
            target = _resolve(source, rel.get("Target"))
            if target is not None:
                out[rel.get("Id")] = target
    return out


def _workbook_part(z: _Zip) -> str:
    for rel in ElementTree.fromstring(z.read("_rels/.rels")):
        if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
            return _resolve("", rel.get("Target"))
    raise KeyError("no officeDocument relationship in _rels/.rels")


def package_problems(path: str | Path) -> list[str]:
    """Every soundness problem of the package at ``path``, each naming its part."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        return [f"{path}: not a zip file: {exc}"]
    with zf:
        z = _Zip(zf)
        problems: list[str] = []
        seen: dict[str, str] = {}
        for info in z.infos:
            key = info.filename.lower()
            if key in seen:
                problems.append(f"{info.filename}: the zip holds this part twice (also as {seen[key]!r})")
            seen[key] = info.filename

        roots: dict[str, ElementTree.Element] = {}
        for info in z.infos:
            name = info.filename
            data = zf.read(info)
            if name.lower().endswith(XML_SUFFIXES):
                root, found = xml_problems(name, data)
            elif name.lower().endswith(".vml") and _plain_xml(data):
                root, found = xml_problems(name, data)
            else:
                continue
            problems += found
            if root is not None:
                roots[name] = root

        problems += _content_type_problems(z, roots)
        problems += _relationship_problems(z, roots)
        problems += _sheet_problems(z, roots)
        return problems


def _content_type_problems(z: _Zip, roots: dict[str, ElementTree.Element]) -> list[str]:
    if not z.has(CONTENT_TYPES):
        return [f"{CONTENT_TYPES}: missing"]
    types = roots.get(z.by_lower[CONTENT_TYPES.lower()])
    if types is None:
        return []  # already reported as unparsable
    problems = []
    defaults = {(d.get("Extension") or "").lower() for d in types if d.tag == f"{{{NS_CT}}}Default"}
    overrides: dict[str, str] = {}
    for o in types:
        if o.tag != f"{{{NS_CT}}}Override":
            continue
        name = (o.get("PartName") or "").lstrip("/")
        if name.lower() in overrides:
            problems.append(f"{CONTENT_TYPES}: two Overrides for /{name}")
        overrides[unquote(name).lower()] = name
        if not z.has(unquote(name)):
            problems.append(f"{CONTENT_TYPES}: Override for /{name}, a part that is not in the package")
    for info in z.infos:
        name = info.filename
        if name == CONTENT_TYPES:
            continue
        base = posixpath.basename(name)
        ext = base.rpartition(".")[2].lower() if "." in base else ""  # "_rels/.rels" has the extension rels
        if name.lower() not in overrides and ext not in defaults:
            problems.append(f"{name}: has no content type (no Override for it, no Default for .{ext})")
    return problems


def _relationship_problems(z: _Zip, roots: dict[str, ElementTree.Element]) -> list[str]:
    problems = []
    for name, root in roots.items():
        if not name.lower().endswith(".rels"):
            continue
        source = _rels_source(name)
        if source is None:
            problems.append(f"{name}: a relationships part outside a _rels folder")
            continue
        if source and not z.has(source):
            problems.append(f"{name}: relationships of {source}, a part that is not in the package")
        ids: set[str] = set()
        for rel in root:
            rid, target = rel.get("Id"), rel.get("Target")
            if rid in ids:
                problems.append(f"{name}: relationship id {rid!r} is used twice")
            ids.add(rid)
            if rel.get("TargetMode") == "External":
                continue
            if target is None:
                problems.append(f"{name}: relationship {rid!r} has no Target")
                continue
            member = _resolve(source, target)
            if member is None or not z.has(member):
                problems.append(f"{name}: relationship {rid!r} targets {target!r} "
                                f"({member or 'outside the package'}), which is not in the package")
    return problems


def _sheet_problems(z: _Zip, roots: dict[str, ElementTree.Element]) -> list[str]:
    if not z.has("_rels/.rels") or z.by_lower["_rels/.rels"] not in roots:
        return ["_rels/.rels: missing or unreadable: no way to find the workbook"] if not z.has("_rels/.rels") else []
    try:
        book = _workbook_part(z)
    except KeyError as exc:
        return [f"_rels/.rels: {exc.args[0]}"]
    if not z.has(book):
        return []  # reported as a dangling relationship
    root = roots.get(z.by_lower[book.lower()])
    if root is None:
        return []  # reported as unparsable
    problems = []
    rels = _rels_targets(z, book)
    sheets = [el for parent in root.iter() if local_name(parent.tag) == "sheets"
              for el in parent if local_name(el.tag) == "sheet"]
    if not sheets:
        problems.append(f"{book}: no sheets")
    names: dict[str, str] = {}
    ids: set[str] = set()
    for el in sheets:
        name, sheet_id, rid = el.get("name"), el.get("sheetId"), _r_id(el)
        if name is None or not name.strip():
            problems.append(f"{book}: a sheet without a name")
        elif name.casefold() in names:
            problems.append(f"{book}: two sheets are named {name!r}")
        names[(name or "").casefold()] = name
        if sheet_id in ids:
            problems.append(f"{book}: two sheets have sheetId {sheet_id!r} (the second is {name!r})")
        ids.add(sheet_id)
        if rid is None:
            problems.append(f"{book}: sheet {name!r} has no r:id")
        elif rid not in rels:
            problems.append(f"{book}: sheet {name!r} has r:id {rid!r}, which is not a relationship of {book}")
    states = [el.get("state", "visible") for el in sheets]
    if sheets and "visible" not in states:
        problems.append(f"{book}: no visible sheet")
    for el in root.iter():
        local = local_name(el.tag)
        if local == "definedName" and el.get("localSheetId") is not None:
            sid = el.get("localSheetId")
            if not sid.isdigit() or int(sid) >= len(sheets):
                problems.append(f"{book}: defined name {el.get('name')!r} has localSheetId {sid}, "
                                f"but there are {len(sheets)} sheets")
        if local == "workbookView":
            for attr in ("activeTab", "firstSheet"):
                value = el.get(attr)
                if value is not None and (not value.isdigit() or (sheets and int(value) >= len(sheets))):
                    problems.append(f"{book}: workbookView {attr}={value} but there are {len(sheets)} sheets")
    return problems


# ---------------------------------------------------------------- LibreOffice

_converted: dict[str, Path] = {}
_lo_folder: list[Path] = []


def _cleanup() -> None:
    for folder in _lo_folder:
        shutil.rmtree(folder, ignore_errors=True)


def libreoffice_copy(path: str | Path) -> Path:
    """The workbook as LibreOffice reads and re-saves it (.xlsx); one conversion per distinct content."""
    from .lo import convert  # tests/support/lo.py: skips without soffice (fails on CI)

    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest not in _converted:
        if not _lo_folder:
            _lo_folder.append(Path(tempfile.mkdtemp(prefix="kpi-lo-check-")))
            atexit.register(_cleanup)
        outdir = _lo_folder[0] / digest[:16]
        src = outdir / "in" / path.name  # the converted file takes the source's stem: keep them apart
        src.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, src)
        _converted[digest] = convert(src, outdir)
    return _converted[digest]


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, float) or isinstance(got, float):
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        if not isinstance(expected, (int, float)) or isinstance(expected, bool):
            return False
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    return expected == got


def libreoffice_cell_problems(converted: Path, cells: Mapping[str, Mapping[str, Any]]) -> list[str]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(io.BytesIO(converted.read_bytes()), data_only=True)
    problems = []
    for sheet, expected in cells.items():
        if sheet not in wb.sheetnames:
            problems.append(f"LibreOffice: no sheet {sheet!r} (it has {wb.sheetnames})")
            continue
        ws = wb[sheet]
        for cell, value in expected.items():
            got = ws[cell].value
            if not _same(value, got):
                problems.append(f"LibreOffice: {sheet}!{cell} is {got!r}, expected {value!r}")
    return problems


# ---------------------------------------------------------------- the assertion

def assert_sound_package(path: str | Path, *, libreoffice: bool = False,
                         cells: Mapping[str, Mapping[str, Any]] | None = None) -> Path | None:
    """Fail with every problem of the package at ``path``; with ``libreoffice`` (implied by
    ``cells``) LibreOffice must load it and read ``cells`` as given. Returns LibreOffice's copy."""
    problems = package_problems(path)
    converted = None
    if libreoffice or cells:
        try:
            converted = libreoffice_copy(path)
        except AssertionError as exc:  # lo.convert: LibreOffice could not load it, or wrote nothing
            problems.append(f"LibreOffice: {exc}")
        else:
            problems += libreoffice_cell_problems(converted, cells or {})
    if problems:
        raise AssertionError(f"{Path(path).name} is not a sound package:\n  " + "\n  ".join(problems))
    return converted
