"""results.py: the metrics file names the evaluators write, the bootstrap interval against a loop that says what it
computes, the paired verdict on cases worked by hand, and the cells the tables show."""
import json
import math

import numpy as np
import pytest
import torch

import cli
from metrics import THRESHOLDS
from results import (bootstrap_ci, comparison_cells, comparison_headers, difference_sentence, f1_interval,
                     metrics_name, metrics_path, name_of, paired_difference, read_metrics, table_cells, table_headers,
                     table_numbers, write_metrics)


def loop_ci(values, n_resamples, level, seed):
    """bootstrap_ci written out: the same seeded resamples, each mean summed by hand, the percentile interpolated
    between the two sorted means around its rank."""
    n, t = len(values), len(values[0])
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    out = []
    for col in range(t):
        means = sorted(sum(values[i][col] for i in row) / n for row in idx)
        ends = []
        for q in ((1 - level) / 2, 1 - (1 - level) / 2):
            rank = q * (n_resamples - 1)
            below = math.floor(rank)
            above = min(below + 1, n_resamples - 1)
            ends.append(means[below] + (rank - below) * (means[above] - means[below]))
        out.append(ends)
    return out  # (T, 2)


def test_bootstrap_ci_is_the_loop():
    values = np.random.default_rng(3).random((7, 2)) * 100  # (N, T)
    for n_resamples, level, seed in ((50, 0.95, 0), (201, 0.8, 5)):
        got = bootstrap_ci(values, n_resamples, level, seed)
        assert got.shape == (2, 2)
        assert np.allclose(got, loop_ci(values.tolist(), n_resamples, level, seed))


def test_bootstrap_ci_by_hand():
    # Two examples, 0 and 10: a resample's mean is 0, 5 or 10 with chance 1/4, 1/2, 1/4, so with 2000 resamples
    # both 2.5 % tails lie inside the end values: the interval is [0, 10] exactly.
    assert bootstrap_ci([[0.0], [10.0]]).tolist() == [[0.0, 10.0]]
    assert bootstrap_ci(np.full((5, 3), 42.0)).tolist() == [[42.0, 42.0]] * 3  # no spread, no width


def test_paired_verdict_by_hand():
    # Every chair gains 5: [+5.0, +5.0], a clear win, though the chairs' own spread (10 to 90) is wide.
    b = [10.0, 90.0, 50.0, 30.0]
    a = [v + 5 for v in b]
    assert difference_sentence("A", a, "B", b) == "A - B: +5.0 F1@0.05 [+5.0, +5.0]: A is better."
    assert difference_sentence("B", b, "A", a) == "B - A: -5.0 F1@0.05 [-5.0, -5.0]: A is better."
    # +10 on one chair, -10 on the other: the resampled mean differences are +10, 0, -10 (as in the case above),
    # so the interval is [-10, +10] and holds 0: a tie.
    assert difference_sentence("A", [60.0, 40.0], "B", [50.0, 50.0]) == \
        "A - B: +0.0 F1@0.05 [-10.0, +10.0]: not a difference these test chairs can resolve."


def test_paired_difference_by_column():
    rng = np.random.default_rng(0)
    a, b = rng.random((20, 3)), rng.random((20, 3))  # (N, T)
    mean, ci = paired_difference(a, b)
    assert mean.shape == (3,) and ci.shape == (3, 2)
    for t in range(3):  # each column is the (N,) difference of that column
        m, interval = paired_difference(a[:, t], b[:, t])
        assert m == pytest.approx(mean[t]) and np.allclose(interval, ci[t])


def test_names_are_the_files_the_evaluators_write():
    # eval_model.py --type vox | point | mesh; vox: the cut chosen on val by default (or --isovalue auto), a number
    assert metrics_name("vox") == metrics_name("vox", isovalue="auto") == "vox"
    assert metrics_name("vox", isovalue=0.5) == "vox_iso0.5" and metrics_name("vox", isovalue=0.3) == "vox_iso0.3"
    assert [metrics_name(k) for k in ("point", "mesh")] == ["point", "mesh"]
    # eval_q3.py --model_type occupancy (--eval_res, --isovalue) and parametric (--type point | mesh)
    assert metrics_name("vox", "occupancy") == "occupancy_32"
    assert metrics_name("vox", "occupancy", 64, "auto") == "occupancy_64"
    assert metrics_name("vox", "occupancy", 32, 0.75) == "occupancy_32_iso0.75"
    assert [metrics_name(k, "parametric") for k in ("point", "mesh")] == ["parametric_point", "parametric_mesh"]
    path = metrics_path("test_outputs", "q2", metrics_name("vox", isovalue=0.5))
    assert path == "test_outputs/q2/metrics_vox_iso0.5.json" and name_of(path) == "vox_iso0.5"


def test_write_then_read(tmp_path):
    n, t = 6, len(THRESHOLDS)
    f1 = torch.arange(n * t, dtype=torch.float32).reshape(n, t)  # (N, T)
    results = {"precision": f1, "recall": f1, "f1": f1, "iou_32": torch.arange(n, dtype=torch.float32)}
    (tmp_path / "q2").mkdir()
    summary, path = write_metrics(results, str(tmp_path / "q2"), "vox", {"id": "q2"})
    assert path == metrics_path(str(tmp_path), "q2", "vox")
    m = read_metrics(path)
    assert m == json.loads(json.dumps(summary)) and m["n_examples"] == n and "avg_iou_32" in m
    assert (tmp_path / "q2" / "eval_vox.png").stat().st_size > 0
    # The interval a file carries is the bootstrap of its per-example F1; a file without one gets exactly that.
    assert f1_interval(m) == m["f1_ci95@0.05"]
    del m["f1_ci95@0.05"]
    assert f1_interval(m) == pytest.approx(summary["f1_ci95@0.05"])
    del m["per_example_f1@0.05"]
    assert f1_interval(m) is None


def test_unreadable_metrics_file_is_one_line_input_error(tmp_path):
    bad = tmp_path / "metrics_point.json"
    bad.write_text("{not json")
    for path in (bad, tmp_path / "missing.json"):
        with pytest.raises(cli.InputError, match=f"^cannot read metrics file {path}: "):
            read_metrics(str(path))


def test_table_cells():
    m = {"avg_f1": [10.0, 20.0, 30.0, 40.0, 50.0], "avg_f1@0.05": 50.0, "f1_ci95@0.05": [45.04, 54.96],
         "per_example_f1@0.05": [45.0, 55.0], "per_example_f1": [[0.0] * 5] * 2, "n_examples": 2, "step": 300,
         "avg_iou_32": 33.33, "iou_32_ci95": [30.0, 36.0], "avg_iou_points": 25.0, "iou_points_ci95": [20.0, 30.04]}
    numbers = table_numbers(m)
    assert table_cells(numbers, iou=False) == ["10.0", "20.0", "30.0", "40.0", "50.0 [45.0, 55.0]"]
    assert table_cells(numbers, iou=True)[-2:] == ["33.3", "25.0 [20.0, 30.0]"]
    assert table_headers(True) == ["F1@0.01", "F1@0.02", "F1@0.03", "F1@0.04", "F1@0.05 [95% CI]", "IoU 32^3",
                                   "IoU points [95% CI]"]
    point = {k: v for k, v in m.items() if "iou" not in k}  # no inside: the IoU cells stay empty
    assert table_cells(table_numbers(point), iou=True)[-2:] == ["", ""]
    assert comparison_cells(m) == ["50.000", "[45.04, 54.96]", "10.00", "20.00", "30.00", "40.00", "50.00", 2, 300]
    old = {"avg_f1": [50.0], "avg_f1@0.05": 50.0, "thresholds": [0.05], "n_examples": 2}  # no interval, no per-example
    assert comparison_cells(old) == ["50.000", "-", "50.00", 2, None]
    assert len(comparison_headers(THRESHOLDS)) == len(comparison_cells(m))


def test_empty_predictions_are_counted_beside_the_label():
    from results import empty_note

    m = {"n_examples": 75, "protocols": {"meshrcnn": {"empty_predictions": 3}, "onet": {"empty_predictions": 3}}}
    assert empty_note(m) == " (3 of 75 empty)"
    assert empty_note({"n_examples": 75, "protocols": {"meshrcnn": {"empty_predictions": 0}}}) == ""
    assert empty_note({"n_examples": 75}) == ""  # a file from before the protocols
