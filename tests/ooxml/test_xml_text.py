"""The namespace-aware text editing of package parts (kpi_workbook.xml_text).

Every case is a spelling some producer really uses: a declaration on each element (openpyxl
with lxml), a prefixed main namespace (Open XML SDK), comments and CDATA holding markup,
self-closing containers. The edited text must parse with a namespace-aware parser and mean
what was intended, read back by ElementTree.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from kpi_workbook.ooxml.xmltext import XmlDoc, XmlError, append_children, apply_edits, escape, new_element, set_attr

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def add_sheet(text: str) -> str:
    """Append a sheet with an r:id to the <sheets> of ``text``, the way compute does."""
    doc = XmlDoc(text)
    sheets = doc.child(doc.root, M, "sheets")
    el = new_element(sheets.scope, M, "sheet", [(None, "name", "得分"), (None, "sheetId", "9"), (R, "id", "rId9")])
    return apply_edits(text, [append_children(doc, sheets, el)])


def sheet_ids(text: str) -> list[tuple[str, str]]:
    root = ET.fromstring(text)  # namespace-aware: an unbound prefix raises here
    return [(s.get("name"), s.get(f"{{{R}}}id")) for s in root.iter(f"{{{M}}}sheet")]


@pytest.mark.parametrize("text", [
    # openpyxl with lxml: xmlns:r on each sheet, not on the root (the corruption of issue 8)
    f'<workbook xmlns="{M}"><sheets><sheet xmlns:r="{R}" name="a" sheetId="1" r:id="rId1"/></sheets></workbook>',
    # Excel: everything declared on the root
    f'<workbook xmlns="{M}" xmlns:r="{R}"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>',
    # Open XML SDK: the main namespace prefixed
    f'<x:workbook xmlns:x="{M}" xmlns:r="{R}"><x:sheets><x:sheet name="a" sheetId="1" r:id="rId1"/></x:sheets>'
    "</x:workbook>",
    # the relationships namespace under another prefix, and "r" bound to something else
    f'<workbook xmlns="{M}" xmlns:r="urn:other" xmlns:rel="{R}"><sheets><sheet name="a" sheetId="1" rel:id="rId1"/>'
    "</sheets></workbook>",
    # the default namespace declared again on <sheets>
    f'<w:workbook xmlns:w="{M}"><sheets xmlns="{M}" xmlns:r="{R}"><sheet name="a" sheetId="1" r:id="rId1"/></sheets>'
    "</w:workbook>",
])
def test_a_new_sheet_is_namespace_correct_whatever_the_spelling(text):
    out = add_sheet(text)
    assert sheet_ids(out) == [("a", "rId1"), ("得分", "rId9")]
    assert out.startswith(text[:text.index("<sheets") if "<sheets" in text else text.index("<x:sheets")])


def test_markup_inside_comments_cdata_and_instructions_is_not_an_element():
    text = (f'<?xml version="1.0"?><!-- <sheet name="ghost"/> --><workbook xmlns="{M}" xmlns:r="{R}">'
            '<?pi <sheet name="pi"/>?><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets>'
            '<extLst><![CDATA[<sheet name="cdata"/>]]></extLst></workbook>')
    doc = XmlDoc(text)
    assert [e.attrs["name"] for e in doc.elements if e.local == "sheet"] == ["a"]
    out = add_sheet(text)
    assert sheet_ids(out) == [("a", "rId1"), ("得分", "rId9")]
    assert "<!-- <sheet name=\"ghost\"/> -->" in out and "<![CDATA[<sheet name=\"cdata\"/>]]>" in out


def test_a_self_closing_container_is_opened():
    text = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
    doc = XmlDoc(text)
    rel = new_element(doc.root.scope, doc.root.ns, "Relationship", [(None, "Id", "rId1"), (None, "Target", "a.xml")])
    out = apply_edits(text, [append_children(doc, doc.root, rel)])
    assert [r.get("Id") for r in ET.fromstring(out)] == ["rId1"]


def test_nested_children_use_the_scope_they_land_in():
    text = f'<x:workbook xmlns:x="{M}"><x:sheets/></x:workbook>'
    doc = XmlDoc(text)
    names = new_element(doc.root.scope, M, "definedNames",
                        children=[(M, "definedName", [(None, "name", "_xlnm.Print_Titles")], "'得分'!$1:$2")])
    out = apply_edits(text, [append_children(doc, doc.root, names)])
    found = ET.fromstring(out).find(f"{{{M}}}definedNames/{{{M}}}definedName")
    assert found.text == "'得分'!$1:$2" and "<x:definedNames><x:definedName" in out


def test_a_namespace_bound_nowhere_is_declared_on_the_element():
    text = f'<workbook xmlns="{M}"><sheets/></workbook>'
    doc = XmlDoc(text)
    out = apply_edits(text, [append_children(doc, doc.child(doc.root, M, "sheets"), new_element(
        doc.child(doc.root, M, "sheets").scope, "urn:new", "thing", [("urn:attr", "id", "1")]))])
    thing = ET.fromstring(out).find(f"{{{M}}}sheets/{{urn:new}}thing")
    assert thing is not None and thing.get("{urn:attr}id") == "1"


def test_values_are_escaped_and_read_back_exactly():
    nasty = 'a&b<c>"d\'\te\nf'
    tag = set_attr('<sheet name="x"/>', "name", nasty)
    assert ET.fromstring(tag).get("name") == nasty
    doc = XmlDoc(f'<w xmlns="{M}" v="{escape(nasty)}"/>')
    assert doc.root.attrs["v"] == nasty
    assert ET.fromstring(new_element({}, M, "t", content=nasty)).text == nasty


def test_unbound_prefixes_and_unbalanced_text_are_refused():
    with pytest.raises(XmlError, match="unbound prefix"):
        XmlDoc("<a><r:b/></a>")
    with pytest.raises(XmlError, match="unbalanced"):
        XmlDoc("<a><b></a>")
    with pytest.raises(XmlError, match="not closed"):
        XmlDoc("<a><b/>")
