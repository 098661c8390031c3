import numpy as np
import pytest

from gapkit import report


def test_table_formats_floats_and_keeps_text():
    text = report.table(["a", "b"], [[0.12345, "x"], [np.float64(1), 3]], digits=2)
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 0.12 | x |", "| 1.00 | 3 |"]
    with pytest.raises(ValueError, match="2 cells"):
        report.table(["a", "b"], [[1]])
    # three decimals unless told, and an undefined number shown as such
    assert report.table(["a", "b"], [[0.12345, None]]).splitlines()[2] == "| 0.123 | n/a |"


def test_an_estimate_is_the_value_for_one_seed_and_an_interval_for_several():
    assert report.estimate([0.4912]) == "0.49"
    assert report.estimate([0.4912], digits=3) == "0.491"
    # mean 2, half-width t(0.975, 2) · 1/sqrt(3) = 2.48
    assert report.estimate([1.0, 2.0, 3.0]) == "2.00 [-0.48, 4.48]"
    assert report.estimate(np.array([0.5, 0.5])) == "0.50 [0.50, 0.50]"
    # an accuracy's interval stays within [0, 1]
    assert report.estimate([0.98, 0.99, 1.0], bounds=(0, 1)) == "0.99 [0.97, 1.00]"
    assert report.estimate([0.98, 0.99, 1.0]) == "0.99 [0.97, 1.01]"
    with pytest.raises(ValueError, match="finite"):
        report.estimate([0.5, float("inf")])
