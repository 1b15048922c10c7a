"""compare.py: the side-by-side table that the README's results and the n_points study come from."""
import json
import os

from conftest import script


def write_metrics(folder, n_points, f1):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "metrics_point.json")
    json.dump({"name": "point", "n_points": n_points, "thresholds": [0.01, 0.05], "avg_f1": [f1 / 2, f1],
               "avg_f1@0.05": f1, "n_examples": 7, "step": 100}, open(path, "w"))
    return path


def compare(*args):
    return script("compare.py", *args)


def test_rows_follow_the_numeric_label_and_files_are_written(tmp_path):
    # the order a shell glob gives for q2_*: 1000, 2500, 500, 5000
    paths = [write_metrics(tmp_path / f"q2_{n}", n, f1) for n, f1 in [(1000, 80.0), (2500, 85.0), (500, 70.0), (5000, 90.0)]]
    out = compare(*paths, "--label", "n_points", "--out", str(tmp_path / "study"))
    assert out.returncode == 0, out.stderr
    table = open(tmp_path / "study" / "comparison.md").read().splitlines()
    assert [line.split("|")[1].strip() for line in table[2:]] == ["500", "1000", "2500", "5000"]
    assert [float(line.split("|")[2]) for line in table[2:]] == [70.0, 80.0, 85.0, 90.0]
    assert os.path.getsize(tmp_path / "study" / "f1_curves.png") > 0


def test_unreadable_metrics_file_is_one_line_error(tmp_path):
    bad = tmp_path / "metrics_point.json"
    bad.write_text("{not json")
    out = compare(str(bad), "--out", str(tmp_path / "c"))
    assert out.returncode != 0
    assert out.stderr.strip().startswith(f"error: cannot read metrics file {bad}") and "Traceback" not in out.stderr


def test_interval_stands_beside_avg_f1_and_older_files_still_work(tmp_path):
    old = write_metrics(tmp_path / "old", 500, 70.0)  # written before the intervals existed
    new = write_metrics(tmp_path / "new", 1000, 80.0)
    m = json.load(open(new))
    m["f1_ci95@0.05"] = [77.123, 82.987]
    json.dump(m, open(new, "w"))
    out = compare(old, new, "--label", "n_points", "--out", str(tmp_path / "c"))
    assert out.returncode == 0, out.stderr
    table = open(tmp_path / "c" / "comparison.md").read().splitlines()
    assert table[0].split("|")[3].strip() == "95 % interval"
    assert [line.split("|")[3].strip() for line in table[2:]] == ["-", "[77.12, 82.99]"]


def table_rows(text):
    """{first cell: the other cells} of a markdown table's body rows."""
    return {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| name")}


def test_a_published_protocol_beside_its_papers_rows(tmp_path):
    import torch

    from metrics import nearest_neighbours
    from protocols import PROTOCOLS, protocol_scores
    from results import write_metrics as write_results

    # Two chairs' worth of points: the prediction is the ground truth shifted by 0.005 (0.05 in Mesh R-CNN's frame).
    gen = torch.Generator().manual_seed(0)
    gt = torch.rand(2, 400, 3, generator=gen) - 0.5  # (B, M, 3)
    gt[:, 0], gt[:, 1] = -0.5, 0.5  # the bounding box's longest edge is 1
    normals = torch.nn.functional.normalize(torch.randn(2, 400, 3, generator=gen), dim=-1)
    pred, lengths = gt + torch.tensor([0.005, 0.0, 0.0]), torch.tensor([400, 400])
    near = nearest_neighbours(pred, lengths, gt)
    results = {"precision": torch.zeros(2, 5), "recall": torch.zeros(2, 5), "f1": torch.zeros(2, 5),
               "n_pred_points": lengths}
    for name, numbers in protocol_scores(near, torch.ones(2, dtype=torch.float64), normals, normals).items():
        results.update({f"{name}/{key}": value for key, value in numbers.items()})
    (tmp_path / "run").mkdir()
    _, path = write_results(results, str(tmp_path / "run"), "mesh", {"id": "run"})
    m = json.load(open(path))

    out = compare(path, "--protocol", "meshrcnn", "--out", str(tmp_path / "p"))
    assert out.returncode == 0, out.stderr
    text = open(tmp_path / "p" / "protocol_meshrcnn.md").read()
    assert text.startswith(f"Mesh R-CNN protocol: {PROTOCOLS['meshrcnn'].definition}") and text in out.stdout
    rows = table_rows(text)
    chamfer = m["protocols"]["meshrcnn"]["avg"]["chamfer_l2"]
    assert rows["mesh"][0].startswith(f"{chamfer:.3f} [")  # 2 x 0.05^2, nearly: some points find a closer neighbour
    assert 0.002 < chamfer <= 0.005
    assert rows["mesh"][1:] == ["1.000", "1.000", "100.0", "100.0", "100.0"]  # the same normals; every distance <= 0.05
    assert rows["*Mesh R-CNN, chair (published)*"] == ["0.184", "0.712", "-", "31.7", "79.8", "92.0"]
    assert rows["*Mesh R-CNN, mean of 13 classes (published)*"][3:] == ["34.6", "81.5", "92.5"]
    out = compare(path, "--protocol", "onet", "--out", str(tmp_path / "p"))
    onet = open(tmp_path / "p" / "protocol_onet.md").read()
    rows = table_rows(onet)
    assert rows["*ONet (paper), chair (published)*"] == ["0.501", "0.228", "0.823"] and rows["mesh"][0] == "-"  # no inside
    assert rows["*ONet (released model), chair (published)*"] == ["0.530", "0.206", "0.829"]
    assert rows["*ONet (paper), mean of 13 classes (published)*"] == ["0.571", "0.215", "0.834"]
    assert rows["*AtlasNet, chair (published)*"][0] == "-"  # not printed by the paper
