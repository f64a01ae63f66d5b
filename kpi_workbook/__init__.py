"""The period workbook: templates, compute on files, next period, and the `kpi` command."""
