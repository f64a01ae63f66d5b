"""XML parts edited as text, namespace-correct by construction.

The package code keeps every byte of a part it does not need to change, so it edits XML as
text instead of re-serialising a parsed tree. This module makes such edits safe whatever the
producer's spelling (Excel, LibreOffice, WPS, openpyxl with or without lxml, XlsxWriter):

- :class:`XmlDoc` scans a part once into its elements, skipping comments, CDATA, processing
  instructions and the document type, and knows each element's namespace *as in scope* at
  that element: elements are found by (namespace, local name), never by the prefix the text
  happens to use, and never by a declaration seen somewhere else in the text;
- :func:`new_element` writes an element for a given place: it uses a prefix that is bound in
  scope there, and declares on the element itself what is not (as openpyxl with lxml writes
  ``<sheet xmlns:r="…" r:id="…"/>``);
- :func:`append_children` adds children before an element's end tag, expanding a
  self-closing element; :func:`set_attr` changes one unprefixed attribute of a start tag.

The caller parses the part with :func:`.guard.parse_xml` first: text that is not
namespace-well-formed XML never reaches this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

XML_NS = "http://www.w3.org/XML/1998/namespace"

# one token of markup; group 1: end tag name; groups 2-4: start tag name, attributes, "/" if empty
_TOKEN = re.compile(
    r"""<!--.*?-->"""
    r"""|<!\[CDATA\[.*?\]\]>"""
    r"""|<\?.*?\?>"""
    r"""|<!DOCTYPE(?:[^\[>]|\[.*?\])*>"""
    r"""|</\s*([^\s>]+)\s*>"""
    r"""|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""",
    re.S,
)
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def unescape(text: str) -> str:
    """An attribute value or text as XML reads it (the five named entities and character references)."""
    def one(m: re.Match[str]) -> str:
        ref = m[1]
        if ref[0] != "#":
            return _NAMED[ref]
        return chr(int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:]))

    return _ENTITY.sub(one, text) if "&" in text else text


def escape(text: str, *, attribute: bool = True) -> str:
    """Text for an attribute value (or, with ``attribute=False``, for element content)."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:  # quotes, and the whitespace that attribute-value normalisation would turn into spaces
        text = text.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    else:
        text = text.replace("\r", "&#13;")
    return text


def attributes(tag: str) -> dict[str, str]:
    """The attributes of a start tag (or of its attribute text) as qualified names → values."""
    return {m[1]: unescape(m[2] if m[2] is not None else m[3]) for m in _ATTR.finditer(tag)}


def set_attr(start_tag: str, name: str, value: str | None) -> str:
    """A start tag with one (unprefixed) attribute set, or removed when ``value`` is None."""
    pattern = re.compile(r"\s" + re.escape(name) + r"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    new = "" if value is None else f' {name}="{escape(value)}"'
    if pattern.search(start_tag):
        return pattern.sub(lambda _: new, start_tag, count=1)
    if not new:
        return start_tag
    end = len(start_tag) - (2 if start_tag.endswith("/>") else 1)
    return start_tag[:end].rstrip() + new + start_tag[end:]


@dataclass
class Element:
    """One element of a scanned part: where it is in the text and what is in scope there."""

    qname: str
    ns: str
    local: str
    start: int  # offset of "<"
    tag_end: int  # offset just after the start tag
    end: int  # offset just after the element (its end tag, or the start tag when empty)
    empty: bool  # written self-closing
    attrs: dict[str, str]
    scope: dict[str, str]  # prefix ("" = default) -> namespace, in scope at this element
    parent: int  # index of the parent element, -1 for the root
    content_end: int = 0  # offset of the end tag (the element's end when it is empty)
    children: list[int] = field(default_factory=list)


class XmlError(ValueError):
    """Markup the scanner cannot follow (the caller parsed the part first, so this means a bug)."""


class XmlDoc:
    """A part's elements, in document order, with their namespaces as in scope."""

    def __init__(self, text: str):
        self.text = text
        self.elements: list[Element] = []
        stack: list[int] = []
        for m in _TOKEN.finditer(text):
            if m[1] is not None:  # an end tag
                if not stack or self.elements[stack[-1]].qname != m[1]:
                    raise XmlError(f"unbalanced end tag {m[1]!r} at {m.start()}")
                el = self.elements[stack.pop()]
                el.content_end, el.end = m.start(), m.end()
            elif m[2] is not None:  # a start or empty tag
                parent = stack[-1] if stack else -1
                scope = dict(self.elements[parent].scope) if parent >= 0 else {"xml": XML_NS}
                attrs = {a[1]: unescape(a[2] if a[2] is not None else a[3]) for a in _ATTR.finditer(m[3])}
                for name, value in attrs.items():
                    if name == "xmlns":
                        scope[""] = value
                    elif name.startswith("xmlns:"):
                        scope[name[6:]] = value
                prefix, _, local = m[2].rpartition(":")
                if prefix and prefix not in scope:
                    raise XmlError(f"unbound prefix {prefix!r} at {m.start()}")
                el = Element(m[2], scope.get(prefix, ""), local, m.start(), m.end(), m.end(), bool(m[4]),
                             attrs, scope, parent, m.end())
                self.elements.append(el)
                index = len(self.elements) - 1
                if parent >= 0:
                    self.elements[parent].children.append(index)
                if not m[4]:
                    stack.append(index)
        if stack:
            raise XmlError(f"element {self.elements[stack[-1]].qname!r} is not closed")
        if not self.elements:
            raise XmlError("no root element")

    @property
    def root(self) -> Element:
        return self.elements[0]

    def children(self, el: Element, ns: str, local: str) -> list[Element]:
        """The element's children called {ns}local."""
        return [c for c in (self.elements[i] for i in el.children) if c.ns == ns and c.local == local]

    def child(self, el: Element, ns: str, local: str) -> Element | None:
        found = self.children(el, ns, local)
        return found[0] if found else None

    def source(self, el: Element) -> str:
        return self.text[el.start:el.end]

    def start_tag(self, el: Element) -> str:
        return self.text[el.start:el.tag_end]


def prefix_for(scope: Mapping[str, str], ns: str, *, attribute: bool = False) -> str | None:
    """A prefix bound to ``ns`` in ``scope`` ("" for the default namespace, never for an attribute)."""
    if not attribute and scope.get("") == ns:
        return ""
    for prefix, bound in scope.items():
        if prefix and bound == ns:
            return prefix
    return None


def new_element(scope: Mapping[str, str], ns: str, local: str,
                attrs: Sequence[tuple[str | None, str, str]] = (), content: str | None = None,
                children: Iterable[tuple] = ()) -> str:
    """An element {ns}local written to sit where ``scope`` is in scope, declaring what is not bound.

    ``attrs``: (namespace or None, local name, value); ``content``: text (escaped here);
    ``children``: argument tuples for nested calls, written in the new element's own scope.
    """
    decls: dict[str, str] = {}
    prefix = prefix_for(scope, ns)
    if prefix is None:
        prefix, decls[""] = "", ns
    inner_scope = {**scope, **decls}
    parts = []
    for attr_ns, attr_local, value in attrs:
        if attr_ns is None:
            parts.append(f'{attr_local}="{escape(value)}"')
            continue
        p = prefix_for(inner_scope, attr_ns, attribute=True)
        if p is None:
            p = next(c for c in ("r", *(f"ns{i}" for i in range(1, 100))) if c not in inner_scope and c != prefix)
            decls[p] = inner_scope[p] = attr_ns
        parts.append(f'{p}:{attr_local}="{escape(value)}"')
    declared = [f'xmlns="{escape(v)}"' if p == "" else f'xmlns:{p}="{escape(v)}"' for p, v in decls.items()]
    qname = f"{prefix}:{local}" if prefix else local
    head = " ".join([qname, *declared, *parts])
    body = "" if content is None else escape(content, attribute=False)
    body += "".join(new_element(inner_scope, *child) for child in children)
    return f"<{head}>{body}</{qname}>" if body else f"<{head}/>"


def append_children(doc: XmlDoc, el: Element, text: str) -> tuple[int, int, str]:
    """The edit (start, end, replacement) that puts ``text`` at the end of ``el``'s content."""
    if not text:
        return el.end, el.end, ""
    if el.empty:
        start_tag = doc.start_tag(el)
        opened = start_tag[:-2].rstrip() + ">"
        return el.start, el.end, f"{opened}{text}</{el.qname}>"
    return el.content_end, el.content_end, text


def apply_edits(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end) span replaced; spans must not overlap."""
    out, pos = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < pos:
            raise XmlError(f"overlapping edits at {start}")
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)
