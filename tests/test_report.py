import numpy as np
import pytest

from gapkit import report


def test_table_formats_floats_and_keeps_text():
    text = report.table(["a", "b"], [[0.12345, "x"], [np.float64(1), 3]], digits=2)
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 0.12 | x |", "| 1.00 | 3 |"]
    with pytest.raises(ValueError, match="2 cells"):
        report.table(["a", "b"], [[1]])
