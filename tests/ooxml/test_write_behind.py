"""The transplant writes a new part's chunks from a second thread while the next ones are made
(:func:`write_behind`): every chunk written once and in order, and a failure on either side
reaches the caller — a full disk stops the making, a failed making stops the writing."""

from __future__ import annotations

import threading

import pytest

from kpi_workbook.ooxml.transplant import WRITE_AHEAD, write_behind


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


def test_every_chunk_is_written_once_in_order_from_another_thread():
    written, writers = [], set()

    def write(chunk: bytes) -> None:
        written.append(chunk)
        writers.add(threading.get_ident())

    chunks = [str(i).encode() for i in range(WRITE_AHEAD * 25)]
    write_behind(iter(chunks), write)
    assert written == chunks
    assert writers and threading.get_ident() not in writers
    assert "kpi-write-behind" not in _threads()


def test_a_failed_write_is_raised_in_the_caller_and_stops_the_making():
    made = []

    def chunks():
        for i in range(10_000):
            made.append(i)
            yield b"x"

    def write(chunk: bytes) -> None:
        if len(made) > 3:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_behind(chunks(), write)
    assert len(made) < 10_000  # the maker stopped soon after the writer failed
    assert "kpi-write-behind" not in _threads()


def test_a_failed_making_is_raised_and_the_writer_ends():
    written = []

    def chunks():
        yield b"a"
        yield b"b"
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        write_behind(chunks(), written.append)
    assert written == [b"a", b"b"]  # what was made before the failure, nothing after
    assert "kpi-write-behind" not in _threads()
