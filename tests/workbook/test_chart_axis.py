"""Chart axis labels (issue 14 item 6): the summary's charts linked their value axis to the cells'
"0.00" format, so the labels ran together ("90.00100.00"). The value axis now shows whole numbers.
"""

from __future__ import annotations

import re
import zipfile

from support.workbooks import sample_workbook

from kpi_workbook.commands.files import compute_file


def test_value_axes_show_whole_numbers(tmp_path):
    path = sample_workbook(tmp_path)
    compute_file(path)
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode("utf-8") for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)]
    assert len(charts) == 2  # 汇总: the grade distribution and the team means
    for xml in charts:
        value_axis = re.search(r"<(?:c:)?valAx>.*?</(?:c:)?valAx>", xml, re.S).group(0)
        assert re.search(r'<(?:c:)?numFmt formatCode="0" sourceLinked="0"\s*/>', value_axis), value_axis[:400]
