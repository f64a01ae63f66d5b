"""Test support, imported as ``support.…`` (tests/ is on sys.path through tests/conftest.py).

- ``rows``: the spec's worked example row E001;
- ``reference``: a scorer written from the spec alone, the oracle for the engine;
- ``fakebook``: a stand-in for an xlwings Book that behaves as xlwings does and counts round trips;
- ``workbooks``: the sample workbook and readers of sheets and zip parts;
- ``damaged``: the corpus of damaged and hostile workbooks;
- ``producers``: the sample workbook as other programs write it (Excel, LibreOffice, XlsxWriter…);
- ``package_check``: every part parses, every relationship resolves, LibreOffice loads the file;
- ``lo``: LibreOffice headless conversion.
"""
