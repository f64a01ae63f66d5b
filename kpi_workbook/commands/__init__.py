"""What the user asks for: the ``kpi`` command line (:mod:`.cli`) and the commands behind it.

- :mod:`.files` — validate, compute and next period on workbook files (the file side of the
  pipeline: read-only source, donor, zip transplant, atomic writes), and the scores CSV;
- :mod:`.fill` — importing exports into the input sheets;
- :mod:`.demo` — the sample workbook, built and computed;
- :mod:`.addin_build` — building and installing the Excel add-ins.
"""
