"""The period workbook: the Excel side of the KPI appraisal, and the ``kpi`` command.

Four sub-packages, each a boundary with a public face, in layers (each imports only those below):

- :mod:`.ooxml` — an .xlsx package library (standard library + defusedxml; nothing of KPIs);
- :mod:`.pipeline` — how a period workbook becomes the engine's input and results become sheets;
- :mod:`.sheets` — the sheets we write with openpyxl;
- :mod:`.commands` — the ``kpi`` command line and the commands behind it.

See ARCHITECTURE.md for what each knows and the flow of ``kpi compute``.
"""
