"""The transplant's edits of the target's package parts: workbook.xml (sheet list, defined
names, calcPr, active tab), the workbook rels, copied parts' rels and [Content_Types].xml.
"""

from __future__ import annotations

import posixpath
import re

from .package_xml import (
    BODY,
    NS_PKG_RELS,
    NS_R,
    XML_DECL,
    Rel,
    _attrs,
    _elements,
    _esc,
    _Package,
    _prefix,
    _relative,
    _rels_name,
    _set_attr,
    _Sheet,
)
from .safety import NotAWorkbook


def _donor_rels(rels: list[Rel], new: str, names: dict[str, str]) -> bytes:
    """A copied part's rels, with targets pointing at the parts' new names."""
    body = "".join(
        f'<Relationship Id="{_esc(r.id)}" Type="{_esc(r.type)}" '
        + (f'Target="{_esc(_relative(new, names[r.part.lower()]))}"/>' if r.part
           else f'Target="{_esc(r.target)}" TargetMode="External"/>')
        for r in rels if not r.part or r.part.lower() in names)
    return f'{XML_DECL}<Relationships xmlns="{NS_PKG_RELS}">{body}</Relationships>'.encode()


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
