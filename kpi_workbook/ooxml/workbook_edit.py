"""The transplant's edits of the target's package parts: workbook.xml (sheet list, defined
names, calcPr, active tab), the workbook rels, copied parts' rels and [Content_Types].xml.

Every edit goes through :mod:`.xml_text`: elements are found by namespace as in scope, and
every element written is namespace-correct where it is put, whatever prefixes the producer
chose (and wherever it declared them).
"""

from __future__ import annotations

import posixpath

from .guard import NotAWorkbook, parse_xml
from .parts import NS_MAIN, NS_PKG_RELS, NS_R, XML_DECL, Package, Rel, SheetEntry, relative_target, rels_name
from .xmltext import XmlDoc, append_children, apply_edits, escape, new_element, set_attr

NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
# CT_Workbook's children after which calcPr / definedNames may come, in schema order
_BEFORE_DEFINED_NAMES = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                         "functionGroups", "externalReferences")
_BEFORE_CALC = (*_BEFORE_DEFINED_NAMES, "definedNames")


def donor_rels(rels: list[Rel], new: str, names: dict[str, str]) -> bytes:
    """A copied part's rels, with targets pointing at the parts' new names."""
    body = "".join(
        f'<Relationship Id="{escape(r.id)}" Type="{escape(r.type)}" '
        + (f'Target="{escape(relative_target(new, names[r.part.lower()]))}"/>' if r.part
           else f'Target="{escape(r.target)}" TargetMode="External"/>')
        for r in rels if not r.part or r.part.lower() in names)
    return f'{XML_DECL}<Relationships xmlns="{NS_PKG_RELS}">{body}</Relationships>'.encode()


def _insert_after(doc: XmlDoc, parent, before: tuple[str, ...], text: str) -> tuple[int, int, str]:
    """The edit that puts ``text`` among ``parent``'s children after the last of ``before`` present."""
    ends = [c.end for local in before for c in doc.children(parent, parent.ns, local)]
    if ends:
        return max(ends), max(ends), text
    if parent.empty:
        return append_children(doc, parent, text)
    return parent.tag_end, parent.tag_end, text


def edit_workbook(text: str, dtext: str, sheets: list[SheetEntry], dsheets: list[SheetEntry], layout: list,
                   states: list[str], rids: dict[str, str], formulas: bool) -> str:
    """The target's workbook.xml with the new sheet list, defined names, calcPr and a valid active tab."""
    doc = XmlDoc(text)
    root = doc.root
    if (root.ns, root.local) != (NS_MAIN, "workbook"):
        raise NotAWorkbook("workbook.xml 的根元素无法识别 / the root of workbook.xml is not understood")
    index_map = {old: new for new, (old, _, _) in enumerate(layout) if old is not None}
    edits = [_edit_sheet_list(doc, sheets, layout, states, rids)]
    edits += _edit_defined_names(doc, dtext, sheets, dsheets, layout, index_map)
    if formulas:  # openpyxl writes formulas without cached values: have Excel compute them once on open
        calc = doc.child(root, NS_MAIN, "calcPr")
        if calc is None:
            edits.append(_insert_after(doc, root, _BEFORE_CALC,
                                       new_element(root.scope, NS_MAIN, "calcPr", [(None, "fullCalcOnLoad", "1")])))
        elif calc.attrs.get("fullCalcOnLoad") not in ("1", "true"):
            edits.append((calc.start, calc.tag_end, set_attr(doc.start_tag(calc), "fullCalcOnLoad", "1")))
    visible = states.index("visible")
    views = doc.child(root, NS_MAIN, "bookViews")
    for view in doc.children(views, NS_MAIN, "workbookView") if views is not None else []:
        # the active tab follows its sheet, or goes to a visible one
        tag = doc.start_tag(view)
        old_active, old_first = int(view.attrs.get("activeTab", "0")), int(view.attrs.get("firstSheet", "0"))
        active = index_map.get(old_active)
        active = active if active is not None and states[active] == "visible" else visible
        first = min(index_map.get(old_first, 0), active)
        if active != old_active:
            tag = set_attr(tag, "activeTab", str(active))
        if first != old_first:
            tag = set_attr(tag, "firstSheet", str(first))
        edits.append((view.start, view.tag_end, tag))
    return apply_edits(text, edits)


def _edit_sheet_list(doc: XmlDoc, sheets: list[SheetEntry], layout: list, states: list[str],
                     rids: dict[str, str]) -> tuple[int, int, str]:
    """Kept ``<sheet>`` elements verbatim, replaced ones with the new name/state, new ones appended."""
    holder = doc.child(doc.root, NS_MAIN, "sheets")
    found = doc.children(holder, NS_MAIN, "sheet") if holder is not None else []
    if holder is None or len(found) != len(sheets):
        raise NotAWorkbook("workbook.xml 的工作表列表无法识别 / the sheet list of workbook.xml is not understood")
    next_id = max((s.sheet_id for s in sheets), default=0) + 1
    body = []
    for (old, s, ds), state in zip(layout, states):
        if s is None:
            attrs = [(None, "name", ds.name), (None, "sheetId", str(next_id))]
            attrs += [] if state == "visible" else [(None, "state", state)]
            body.append(new_element(holder.scope, NS_MAIN, "sheet", [*attrs, (NS_R, "id", rids[ds.name.casefold()])]))
            next_id += 1
        elif ds is None:
            body.append(doc.source(found[old]))
        else:
            el = found[old]
            start = set_attr(set_attr(doc.start_tag(el), "name", ds.name), "state", None if state == "visible" else state)
            body.append(start + doc.text[el.tag_end:el.end])
    if not found:  # a workbook always has a sheet; kept for completeness
        return append_children(doc, holder, "".join(body))
    return found[0].start, found[-1].end, "".join(body)


def _edit_defined_names(doc: XmlDoc, dtext: str, sheets: list[SheetEntry], dsheets: list[SheetEntry],
                        layout: list, index_map: dict[int, int]) -> list[tuple[int, int, str]]:
    """Drop names local to owned sheets and globals the donor redefines, renumber localSheetId, add the donor's."""
    new_index = {ds.name.casefold(): new for new, (_, _, ds) in enumerate(layout) if ds}
    owned_old = {i for i, s in enumerate(sheets) if s.name.casefold() in new_index or i not in index_map}
    root = doc.root
    section = doc.child(root, NS_MAIN, "definedNames")
    scope = section.scope if section is not None else root.scope
    added, redefined = [], set()
    for el in parse_xml(dtext.encode("utf-8")).iterfind(f"{{{NS_MAIN}}}definedNames/{{{NS_MAIN}}}definedName"):
        attrs = {k: v for k, v in el.attrib.items() if not k.startswith("{")}
        if "localSheetId" in attrs:
            local = int(attrs["localSheetId"])
            key = dsheets[local].name.casefold() if local < len(dsheets) else None
            if key not in new_index:
                continue
            attrs["localSheetId"] = str(new_index[key])
        else:
            redefined.add(attrs.get("name", "").casefold())
        added.append((NS_MAIN, "definedName", [(None, k, v) for k, v in attrs.items()], el.text or ""))
    old_names = doc.children(section, NS_MAIN, "definedName") if section is not None else []
    edits, kept = [], 0
    for el in old_names:
        local = el.attrs.get("localSheetId", "")
        if (local.isdigit() and int(local) in owned_old) or (
                not local.isdigit() and el.attrs.get("name", "").casefold() in redefined):
            edits.append((el.start, el.end, ""))
            continue
        kept += 1
        if local.isdigit() and index_map.get(int(local), int(local)) != int(local):
            edits.append((el.start, el.tag_end, set_attr(doc.start_tag(el), "localSheetId", str(index_map[int(local)]))))
    if section is not None:
        if not added and not kept:
            return [(section.start, section.end, "")]  # no name left: no empty section
        if not added:
            return edits
        return edits + [append_children(doc, section, "".join(new_element(scope, *spec) for spec in added))]
    if not added:
        return edits
    text = new_element(scope, NS_MAIN, "definedNames", children=added)
    return edits + [_insert_after(doc, root, _BEFORE_DEFINED_NAMES, text)]


def edit_rels(t: Package, source: str, deleted: set[str], retarget: dict[str, tuple[str, str]],
               new: list[tuple[str, str, str]]) -> str:
    """The source part's rels with replaced sheets retargeted, deleted parts dropped, new ones added."""
    text = t.text(rels_name(source))
    doc = XmlDoc(text)
    by_id = {r.id: r for r in t.rels(source)}
    edits = []
    for el in doc.children(doc.root, NS_PKG_RELS, "Relationship"):
        rid = el.attrs.get("Id", "")
        if rid in retarget:
            start = set_attr(set_attr(doc.start_tag(el), "Type", retarget[rid][0]), "Target", retarget[rid][1])
            edits.append((el.start, el.tag_end, start))
        elif rid in by_id and by_id[rid].part and by_id[rid].part.lower() in deleted:
            edits.append((el.start, el.end, ""))
    extra = "".join(new_element(doc.root.scope, NS_PKG_RELS, "Relationship",
                                [(None, "Id", rid), (None, "Type", rtype), (None, "Target", relative_target(source, part))])
                    for rid, rtype, part in new)
    return apply_edits(text, [*edits, append_children(doc, doc.root, extra)])


def edit_content_types(t: Package, d: Package, deleted: set[str], copied: dict[str, str]) -> bytes:
    """[Content_Types].xml without the deleted parts' overrides and with the copied parts' types."""
    text = t.text("[Content_Types].xml")
    doc = XmlDoc(text)
    defaults, _ = t.content_types()
    d_defaults, d_overrides = d.content_types()
    drop = deleted | {n.lower() for n in copied}
    edits = [(el.start, el.end, "") for el in doc.children(doc.root, NS_CT, "Override")
             if el.attrs.get("PartName", "").lstrip("/").lower() in drop]
    extra = []
    for name, src in copied.items():
        ctype = d_overrides.get(src.lower()) or d_defaults.get(posixpath.splitext(src)[1][1:].lower())
        if ctype and defaults.get(posixpath.splitext(name)[1][1:].lower()) != ctype:
            extra.append(new_element(doc.root.scope, NS_CT, "Override",
                                     [(None, "PartName", f"/{name}"), (None, "ContentType", ctype)]))
    return apply_edits(text, [*edits, append_children(doc, doc.root, "".join(extra))]).encode("utf-8")
