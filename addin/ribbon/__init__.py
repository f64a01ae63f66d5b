"""Ribbon XML of the KPI add-ins (``kpi_compute.xlam`` and siblings), one file per button.

The files are data: ``kpi_workbook.commands.addin_build`` puts each one into its add-in as
``customUI/customUI.xml``. All share the tab 「KPI 考核」 and its group through
qualified ids (``idQ``) in the namespace ``kpi.appraisal``, so Excel shows one tab with
their buttons however many of the add-ins are open.
"""
