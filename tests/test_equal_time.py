"""equal_time.py: segments of one run, checkpoints chosen on val within the reference's time, test scored once
beside the baselines, the table read from the metrics files, and a rerun that reuses every stage."""
import json

from conftest import script_ok


def test_equal_time_table_and_rerun(tiny_dataset, tmp_path):
    args = ["--out", str(tmp_path), "--pair", "implicit", "--seconds", "0.001", "--segment", "2", "--batch_size", "2",
            "--eval_res", "16", "--num_workers", "0", "--device", "cpu", "--dataset_dir", tiny_dataset, "--ema", "0.5"]
    out = script_ok("equal_time.py", *args)
    folder = tmp_path / "implicit"
    table = json.load(open(folder / "table.json"))
    assert [r["model"] for r in table["rows"]] == ["vox", "implicit_pixel", "*constant*", "*retrieval*", "*oracle*"]
    # --seconds spent after one segment: each model has one checkpoint, T is the reference's first segment.
    assert [len(c) for c in table["curves"].values()] == [1, 1]
    assert table["t_best"] == table["curves"]["vox"][0]["seconds"]
    assert [r["step"] for r in table["rows"][:2]] == [2, 2]
    # The numbers are the test metrics files' (scored once, on the test split), IoU included.
    vox = json.load(open(folder / "test" / "vox" / "vox" / "metrics_vox.json"))
    implicit = json.load(open(folder / "test" / "implicit_pixel" / "implicit_pixel" / "metrics_occupancy_16.json"))
    assert vox["split"] == "test" and implicit["split"] == "test"
    # Each surface is cut at the isovalue chosen on val, and the table says which.
    assert vox["isovalue_chosen_on"] == "val" and table["rows"][0]["isovalue"] == vox["isovalue"]
    assert table["rows"][0]["f1"] == vox["avg_f1"] and table["rows"][1]["iou_points"] == implicit["avg_iou_points"]
    assert all("iou_32" in r and "iou_points" in r for r in table["rows"])
    # The val curve was scored on val.
    val = json.load(open(folder / "val" / "implicit_pixel_2" / "implicit_pixel" / "metrics_occupancy_16.json"))
    assert val["split"] == "val"
    md = open(folder / "table.md").read()
    assert f"| implicit_pixel (isovalue {implicit['isovalue']:g}) | 2 |" in md and "IoU points" in md and "implicit_pixel - vox:" in md and md in out + "\n"
    # Each trained model against retrieval, threshold by threshold (paired over the same test chairs).
    retrieval = json.load(open(folder / "test" / "baselines" / "baselines" / "metrics_retrieval.json"))
    d = [a[0] - b[0] for a, b in zip(implicit["per_example_f1"], retrieval["per_example_f1"])]
    assert f"- implicit_pixel - *retrieval* at F1@0.01 ... 0.05: {sum(d) / len(d):+.1f} [" in md
    # --ema reaches every model's training.
    assert all(json.load(open(folder / "runs" / name / "args.json"))["ema"] == 0.5 for name in ("vox", "implicit_pixel"))
    # A rerun trains and evaluates nothing: every stage is reused.
    stages = open(folder / "log.txt").read().count("$ ")
    script_ok("equal_time.py", *args)
    assert open(folder / "log.txt").read().count("$ ") == stages
