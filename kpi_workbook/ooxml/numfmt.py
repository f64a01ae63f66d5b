"""Number formats and dates as the file format means them: which cell styles show dates or time
spans, and Excel's serial numbers and ISO-8601 texts as Python dates.

By openpyxl's rules where the format leaves a choice (openpyxl, MIT licence, is named at each
rule): which number formats are dates, Excel's 1900 leap-year bug, ``t="d"`` cells.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from xml.etree.ElementTree import Element

# openpyxl/styles/numbers.py: of BUILTIN_FORMATS, the ids is_date_format calls dates (14-22,
# 45-47) and is_timedelta_format time deltas (46, "[h]:mm:ss"); tests check both sets there.
BUILTIN_DATES = frozenset((*range(14, 23), 45, 46, 47))
BUILTIN_DELTAS = frozenset((46,))
# openpyxl/styles/numbers.py is_date_format: in the first section, with quoted text and bracketed
# groups other than [h] [hh] [m] [mm] [s] [ss] taken out, a d m h y or s not escaped by _ or \
_NOT_DATE_PARTS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_LETTER = re.compile(r"(?<![_\\])[dmhysDMHYS]")
# ... and is_timedelta_format: an elapsed-time bracket [h] [hh] [m] [mm] [s] [ss], any case
_ELAPSED = re.compile(r"\[(?:hh?|mm?|ss?)\]", re.IGNORECASE)


def is_date_format(code: str | None) -> bool:
    return code is not None and _DATE_LETTER.search(_NOT_DATE_PARTS.sub("", code.split(";")[0])) is not None


def is_timedelta_format(code: str | None) -> bool:
    return code is not None and _ELAPSED.search(code.split(";")[0]) is not None


def date_styles(styles: Element) -> tuple[frozenset[int], frozenset[int]]:
    """The cell style indices (``s``) that show dates, and those that show time deltas.

    As openpyxl (styles/stylesheet.py ``_normalise_numbers``): the i-th ``<xf>`` of ``cellXfs``
    is style i; its ``numFmtId`` (0 when absent) names a custom ``<numFmt>`` of that id when there
    is one, which wins over a builtin format of the same id, else a builtin format.
    """
    codes: dict[int, str | None] = {}
    for fmt in children_named(last_child(styles, "numFmts"), "numFmt"):
        codes[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode")  # no id: damage, as openpyxl has it
    dates, deltas = set(), set()
    for i, xf in enumerate(children_named(last_child(styles, "cellXfs"), "xf")):
        fmt_id = int(xf.get("numFmtId", 0))
        if fmt_id in codes:
            date, delta = is_date_format(codes[fmt_id]), is_timedelta_format(codes[fmt_id])
        else:
            date, delta = fmt_id in BUILTIN_DATES, fmt_id in BUILTIN_DELTAS
        if date:
            dates.add(i)
        if delta:
            deltas.add(i)
    return frozenset(dates), frozenset(deltas)


def children_named(parent: Element | None, local: str) -> list[Element]:
    return [] if parent is None else [c for c in parent if c.tag.rpartition("}")[2] == local]


WINDOWS_EPOCH, MAC_EPOCH = dt.datetime(1899, 12, 30), dt.datetime(1904, 1, 1)


def date_epoch(book: Element) -> dt.datetime:
    """1904 when ``workbookPr date1904`` is true as openpyxl reads a boolean (descriptors/base.py
    ``Bool``: any text but "", "false", "f" and "0"), else 1900."""
    pr = last_child(book, "workbookPr")
    flag = pr.get("date1904") if pr is not None else None
    return MAC_EPOCH if flag and flag not in ("false", "f", "0") else WINDOWS_EPOCH


def from_excel(serial: float, epoch: dt.datetime = WINDOWS_EPOCH, timedelta: bool = False) -> Any:
    """A date serial as Python (openpyxl/utils/datetime.py ``from_excel``): a timedelta rounded to
    the millisecond; a time for a serial of [0, 1); else a datetime, to the millisecond, with
    Excel's phantom 1900-02-29 (serial 60) skipped below 60 in the 1900 system."""
    if timedelta:
        delta = dt.timedelta(days=serial)
        if delta.microseconds:
            delta = dt.timedelta(seconds=delta.total_seconds() // 1, microseconds=round(delta.microseconds, -3))
        return delta
    day, fraction = divmod(serial, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))  # openpyxl's order of operations
    if 0 <= serial < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        return dt.time(minutes // 60, minutes % 60, seconds, diff.microseconds)
    if 0 < serial < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + dt.timedelta(days=day) + diff


# openpyxl/utils/datetime.py from_ISO8601: a date, a time or both (matched from the start, the
# rest ignored), else a PT…H…M…S duration; milliseconds at most
_ISO = re.compile(r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
                  r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,3})?)?)?Z?")
_ISO_DURATION = re.compile(r"PT(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d{1,3})?)S)?")


def from_iso8601(text: str) -> Any:
    """A ``t="d"`` cell's text as openpyxl reads it: date, time, datetime or timedelta."""
    if not text:
        return None
    m = _ISO.match(text)
    if m and any(m.groups()):
        n = {k: int(v) if v else 0 for k, v in m.groupdict().items() if k not in ("date", "time", "fraction")}
        micro = int(float(m["fraction"]) * 1_000_000) if m["fraction"] else 0
        if not m["date"]:
            return dt.time(n["hour"], n["minute"], n["second"], micro)
        if not m["time"]:
            return dt.date(n["year"], n["month"], n["day"])
        return dt.datetime(n["year"], n["month"], n["day"], n["hour"], n["minute"], n["second"], micro)
    m = _ISO_DURATION.match(text)
    if m and any(m.groups()):
        return dt.timedelta(**{k: float(v) if v else 0 for k, v in m.groupdict().items()})
    raise ValueError(f"Invalid datetime value {text}")


def last_child(root: Element, local: str) -> Element | None:
    """The last child of ``root`` with local name ``local``, any namespace (as openpyxl matches)."""
    found = None
    for child in root:
        if child.tag.rpartition("}")[2] == local:
            found = child
    return found
