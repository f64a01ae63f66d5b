"""Write result sheets into the user's workbook at the zip level, atomically and under a lock.

openpyxl's load+save drops what it does not model (sparklines, buttons, text boxes, data-bar
extensions, VBA...). So the result sheets are built in a separate "donor" workbook and moved
part by part into the user's package: every part the transplant does not own is copied byte
for byte. Only workbook.xml, its rels, [Content_Types].xml and styles.xml are edited, by text
surgery on the original text so that namespace prefixes (and ``mc:Ignorable``) survive.

This module plans and writes the transplant; the package view is in :mod:`.parts`, the styles
merge and sheet rewriting in :mod:`.styles`, the edits of workbook.xml, rels and content types
in :mod:`.workbook_edit`, and the text editing they share in :mod:`.xmltext`.
"""

from __future__ import annotations

import posixpath
import queue
import re
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

from .guard import check_package, parse_xml
from .parts import NS_MAIN, Package, relative_target, rels_name, sheet_entries
from .row_writer import SheetRows, sheet_pieces
from .safe_files import atomic_write
from .styles import merge_styles, shared_strings, sheet_chunks, sheet_has_formula
from .workbook_edit import donor_rels, edit_content_types, edit_rels, edit_workbook

STATES = ("visible", "hidden", "veryHidden")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # new members get a fixed time: same input, same bytes
COPY_BUFFER = 1 << 20
WRITE_AHEAD = 8  # chunks of a new part made but not yet written (a chunk: a batch of rows, ~1 MB)

# a new part's content: bytes, or (for a donor sheet) its pieces, made from the donor while written
Part = bytes | Callable[[Package], Iterable[bytes]]


# ---------------------------------------------------------------- the transplant

def transplant_sheets(target: str | Path, donor: str | Path, owned: Sequence[str], out: str | Path, *,
                      states: Mapping[str, str] | None = None, rows: Mapping[str, SheetRows] | None = None,
                      locked: bool = False) -> None:
    """Write `out` = `target` with the sheets named in `owned` replaced by (or added from) the donor's
    sheets of the same names. Sheets in `owned` that the donor lacks are removed from target.
    `states` maps sheet name -> "visible" | "hidden" | "veryHidden". `rows` maps a donor sheet's
    name to the data rows streamed into it as it is written (:func:`.row_writer.sheet_pieces`: the
    donor holds its header and probe rows only, and the rows get the merged styles directly).
    Atomic: writes a temp file beside `out` then os.replace; on any failure `out` (and `target`)
    are untouched and no temp file remains.
    ``locked``: the caller holds `out`'s :func:`file_lock` (else the write takes it)."""
    target, donor, out = Path(target), Path(donor), Path(out)
    states = {k.casefold(): v for k, v in (states or {}).items()}
    bad = [v for v in states.values() if v not in STATES]
    if bad:
        raise ValueError(f"未知的工作表状态 {bad[0]!r} / unknown sheet state {bad[0]!r}")
    check_package(target)
    check_package(donor)
    with zipfile.ZipFile(target) as tz, zipfile.ZipFile(donor) as dz:
        parts, deleted = _plan(Package(tz), Package(dz), {n.casefold() for n in owned}, states,
                               {k.casefold(): v for k, v in (rows or {}).items()})

    def write(tmp: Path) -> None:
        # each member is made, written and dropped in turn: the donor sheets are rewritten here,
        # a chunk at a time, and the target's members are copied through a buffer
        with (zipfile.ZipFile(target) as tz, zipfile.ZipFile(donor) as dz,
              zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout):
            zout.comment = tz.comment
            pending = {name.lower(): name for name in parts}
            for info in tz.infolist():
                key = info.filename.lower()
                if key in deleted:
                    continue
                zi = zipfile.ZipInfo(pending.get(key, info.filename), info.date_time)
                zi.compress_type, zi.external_attr = info.compress_type, info.external_attr
                if key in pending:
                    _put(zout, zi, parts.pop(pending.pop(key)), dz)
                else:
                    zi.file_size = info.file_size  # as writestr sets it (it decides on ZIP64)
                    with tz.open(info) as src, zout.open(zi, "w") as dst:
                        shutil.copyfileobj(src, dst, COPY_BUFFER)
            for name in pending.values():
                zi = zipfile.ZipInfo(name, ZIP_EPOCH)
                zi.compress_type = zipfile.ZIP_DEFLATED
                _put(zout, zi, parts.pop(name), dz)

    atomic_write(out, write, locked=locked)


def _put(zout: zipfile.ZipFile, zi: zipfile.ZipInfo, part: Part, donor: zipfile.ZipFile) -> None:
    if isinstance(part, bytes):
        zout.writestr(zi, part)
        return
    with zout.open(zi, "w") as dst:
        write_behind(part(Package(donor)), dst.write)


def write_behind(chunks: Iterable[bytes], write: Callable[[bytes], object]) -> None:
    """``write(chunk)`` for every chunk, in order, from a second thread: the next chunks are made
    (Python, holding the GIL) while the ones before are deflated (zlib lets go of the GIL), on
    two cores at once. At most WRITE_AHEAD chunks wait; an error of ``write`` (a full disk) is
    raised here, and an error making the chunks stops the writing before it propagates."""
    ahead: queue.Queue[bytes | None] = queue.Queue(maxsize=WRITE_AHEAD)
    failed: list[BaseException] = []

    def drain() -> None:
        while (chunk := ahead.get()) is not None:
            if not failed:  # after a failure the rest is taken and dropped: the maker never blocks
                try:
                    write(chunk)
                except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                    failed.append(exc)

    writer = threading.Thread(target=drain, name="kpi-write-behind", daemon=True)
    writer.start()
    try:
        for chunk in chunks:
            if failed:
                break
            ahead.put(chunk)
    finally:
        ahead.put(None)
        writer.join()
    if failed:
        raise failed[0]


def _plan(t: Package, d: Package, owned: set[str], states: dict[str, str],
          rows: dict[str, SheetRows]) -> tuple[dict[str, Part], set[str]]:
    """The new or changed parts (zip name -> content) and the deleted parts (lower-case names)."""
    plan = _Plan(t, d, owned, states)
    plan.merge_styles()
    plan.copy_donor_parts(rows)
    plan.edit_workbook_parts()
    return plan.parts, plan.deleted - {n.lower() for n in plan.parts}


class _Plan:
    """The transplant worked out step by step: the new sheet list, what goes, the styles, the donor's
    parts under fresh names, and the edits of workbook.xml, its rels and the content types."""

    def __init__(self, t: Package, d: Package, owned: set[str], states: dict[str, str]):
        self.t, self.d = t, d
        self.wb_part, wb_root = t.workbook()
        self.dwb_part, dwb_root = d.workbook()
        self.sheets, self.dsheets = sheet_entries(t, self.wb_part, wb_root), sheet_entries(d, self.dwb_part, dwb_root)
        self.layout, self.states = self._layout(owned, states)
        self.deleted = self._deleted(owned)
        self.used = set(t.names) - self.deleted
        self.parts: dict[str, Part] = {}
        self.copied: dict[str, str] = {}  # new zip name -> donor part, for content types
        self.new_rels: list[tuple[str, str, str]] = []  # (id, type, part) added to the workbook rels
        self.rel_ids = {r.id for r in t.rels(self.wb_part)}
        self.xfs: list[int] = []
        self.dxfs: list[int] = []
        self.names: dict[str, str] = {}  # donor part (lower) -> its new name
        self.formulas = False

    def _layout(self, owned: set[str], states: dict[str, str]) -> tuple[list, list[str]]:
        """The new sheet list as (old index, target sheet, donor sheet): owned sheets keep their place."""
        donor_by = {s.name.casefold(): s for s in self.dsheets if s.name.casefold() in owned and s.part}
        old_keys = {s.name.casefold() for s in self.sheets}
        layout = [(i, s, donor_by.get(s.name.casefold())) for i, s in enumerate(self.sheets)
                  if s.name.casefold() not in owned or s.name.casefold() in donor_by]
        layout += [(None, None, ds) for ds in self.dsheets
                   if ds.name.casefold() in donor_by and ds.name.casefold() not in old_keys]
        final = [states.get(ds.name.casefold(), ds.state) if ds else s.state for _, s, ds in layout]
        if "visible" not in final:
            raise ValueError("工作簿必须至少保留一个可见工作表 / the workbook must keep at least one visible sheet")
        return layout, final

    def _deleted(self, owned: set[str]) -> set[str]:
        """What only the replaced/removed owned sheets (or a calc chain naming them) reach."""
        t, wb_part = self.t, self.wb_part
        gone = [s for s in self.sheets if s.name.casefold() in owned]
        cut = {(wb_part.lower(), s.part.lower()) for s in gone if s.part}
        calc = t.rel_of_type(wb_part, "/calcChain")
        if calc and t.has(calc.part) and _calc_sheets(t, calc.part) & {s.sheet_id for s in gone}:
            cut.add((wb_part.lower(), calc.part.lower()))
        roots = [r.part for r in t.rels("") if r.part]
        deleted = {p.lower() for p in t.closure(roots)} - {p.lower() for p in t.closure(roots, cut)}
        return deleted | {rels_name(p) for p in deleted if t.has(rels_name(p))}

    def new_rel(self, rtype: str, part: str) -> str:
        rid = next(f"rId{n}" for n in range(1, len(self.rel_ids) + 2) if f"rId{n}" not in self.rel_ids)
        self.rel_ids.add(rid)
        self.new_rels.append((rid, rtype, part))
        return rid

    def merge_styles(self) -> None:
        t, d = self.t, self.d
        style_rel, dstyle_rel = t.rel_of_type(self.wb_part, "/styles"), d.rel_of_type(self.dwb_part, "/styles")
        if dstyle_rel and style_rel and t.has(style_rel.part):
            text, self.xfs, self.dxfs = merge_styles(t.read(style_rel.part), d.read(dstyle_rel.part))
            self.parts[style_rel.part] = text.encode("utf-8")
        elif dstyle_rel:  # the target has no styles at all: take the donor's as they are
            name = dstyle_rel.part if dstyle_rel.part.lower() not in self.used else _alloc(dstyle_rel.part, self.used)
            self.used.add(name.lower())  # (openpyxl only looks for xl/styles.xml)
            self.parts[name], self.copied[name] = d.read(dstyle_rel.part), dstyle_rel.part
            self.new_rel(dstyle_rel.type, name)
            sroot = parse_xml(self.parts[name])
            self.xfs, self.dxfs = ([*range(len(sroot.findall(f"{{{NS_MAIN}}}{s}/*")))] for s in ("cellXfs", "dxfs"))

    def copy_donor_parts(self, rows: dict[str, SheetRows]) -> None:
        """Every donor part the transplanted sheets reach, under fresh names; ``rows`` by sheet name
        (casefolded) are streamed into their sheets (the rows' cells hold no formula)."""
        d = self.d
        donor_parts = d.closure([ds.part for _, _, ds in self.layout if ds])
        self.names = {p.lower(): _alloc(p, self.used) for p in donor_parts}
        sheet_parts = {ds.part.lower(): rows.get(ds.name.casefold()) for _, _, ds in self.layout if ds}
        strings, table_id = shared_strings(d, self.dwb_part), _max_table_id(self.t, self.deleted)
        d_overrides = d.content_types()[1]
        for p in donor_parts:
            new, data = self.names[p.lower()], d.read(p)
            if p.lower() in sheet_parts:  # rewritten while written (see write); only checked here
                self.formulas = sheet_has_formula(data, strings, self.xfs, self.dxfs) or self.formulas
                data = partial(_donor_sheet, p, strings, self.xfs, self.dxfs, sheet_parts[p.lower()])
            elif d_overrides.get(p.lower(), "").endswith("table+xml"):
                table_id += 1  # table ids are unique across the workbook
                data = re.sub(rb'(<(?:\w+:)?table\b[^>]*?\sid=")\d+"', b'\\g<1>%d"' % table_id, data, count=1)
            self.parts[new], self.copied[new] = data, p
            if d.rels(p):
                self.parts[rels_name(new)] = donor_rels(d.rels(p), new, self.names)

    def edit_workbook_parts(self) -> None:
        """workbook.xml, its rels and [Content_Types].xml for the new sheet list and parts."""
        t, d, wb_part, names = self.t, self.d, self.wb_part, self.names
        donor_rel_types = {r.id: r.type for r in d.rels(self.dwb_part)}
        rids = {ds.name.casefold(): (s.rid if s else self.new_rel(donor_rel_types[ds.rid], names[ds.part.lower()]))
                for _, s, ds in self.layout if ds}
        retarget = {s.rid: (donor_rel_types[ds.rid], relative_target(wb_part, names[ds.part.lower()]))
                    for _, s, ds in self.layout if s and ds}
        self.parts[wb_part] = edit_workbook(t.text(wb_part), d.text(self.dwb_part), self.sheets, self.dsheets,
                                            self.layout, self.states, rids, self.formulas).encode("utf-8")
        self.parts[rels_name(wb_part)] = edit_rels(t, wb_part, self.deleted, retarget, self.new_rels).encode("utf-8")
        self.parts["[Content_Types].xml"] = edit_content_types(t, d, self.deleted, self.copied)


def _donor_sheet(part: str, strings: list[str], xfs: list[int], dxfs: list[int], rows: SheetRows | None,
                 d: Package) -> Iterable[bytes]:
    """A donor sheet with the merged style indices and inline strings, in pieces; with ``rows``
    streamed in, styled as the rewritten probe row is."""
    chunks = sheet_chunks(d.read(part), strings, xfs, dxfs)
    if rows is None:
        return chunks
    return sheet_pieces(b"".join(chunks).decode("utf-8"), rows)


def _alloc(part: str, used: set[str]) -> str:
    """A free zip name like ``part``: same folder, same stem without its digits, lowest free number."""
    folder, name = posixpath.split(part)
    stem, ext = posixpath.splitext(name)
    base, i = stem.rstrip("0123456789") or stem, 1
    while (new := posixpath.join(folder, f"{base}{i}{ext}")).lower() in used or rels_name(new).lower() in used:
        i += 1
    used.update({new.lower(), rels_name(new).lower()})
    return new


def _calc_sheets(pkg: Package, part: str) -> set[int]:
    """The sheet ids a calcChain part names (``i`` carries over from the previous entry)."""
    ids, current = set(), 0
    for el in parse_xml(pkg.read(part)):
        current = int(el.get("i", current))
        ids.add(current)
    return ids


def _max_table_id(pkg: Package, deleted: set[str]) -> int:
    top = 0
    for key, name in pkg.names.items():
        if "/tables/" in key and key.endswith(".xml") and key not in deleted:
            m = re.search(rb'<(?:\w+:)?table\b[^>]*?\sid="(\d+)"', pkg.read(name))
            top = max(top, int(m[1])) if m else top
    return top
