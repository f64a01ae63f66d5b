"""Work that makes objects by the million (a workbook's cells, the rows of the result sheets)
without Python's cycle collector scanning the same live objects again and again.

The collector runs every 700 new container objects (lists, dicts…) by default and, as the live
ones pile up, scans all of them time after time: at 10,000 employees that was 0.7 s of a 5 s
compute, for no garbage (what compute makes is freed by reference counting as it goes). Inside
:func:`bulk_work` it runs every :data:`YOUNG_OBJECTS` instead; the thresholds before are put
back after, so a long-lived process (the add-in inside Excel) keeps its own. Every command that
reads or writes a whole workbook runs inside it: compute and validate (the pipeline's, so the
add-in's too), ``kpi compute``'s writing, ``kpi new``, ``kpi next-period``, ``kpi fill`` and
``kpi rollup``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_OBJECTS = 100_000  # new container objects between two collections (CPython's default: 700)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Collect cycles every :data:`YOUNG_OBJECTS` new objects inside the block (never more often
    than the thresholds already set); the thresholds before it are restored after."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], YOUNG_OBJECTS), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
