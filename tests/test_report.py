"""report.py: one command runs every section of the writeup as typed and writes a page whose numbers are the
metrics files' and whose pictures all exist; a rerun reuses every stage."""
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import REPO, script_ok, writeup_commands

SECTIONS = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2"]


class Links(HTMLParser):
    """Every file the page loads or links (src, href, and the 3D views' data-src), its in-page anchors and ids."""

    def __init__(self):
        super().__init__()
        self.links, self.anchors, self.ids, self.headings, self._in_h2 = [], [], set(), [], False

    def handle_starttag(self, tag, attrs):
        self._in_h2 = tag == "h2"
        for k, v in attrs:
            if k in ("src", "href", "data-src"):
                (self.anchors if v.startswith("#") else self.links).append(v)
            elif k == "id":
                self.ids.add(v)

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data)
            self._in_h2 = False


@pytest.fixture(scope="module")
def report(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    stdout = script_ok("report.py", "--out", out, "--steps", "3", "--batch_size", "2", "--num_workers", "0",
                       "--dataset_dir", tiny_dataset, "--device", "cpu")
    return out, stdout


def test_every_section_is_on_the_page_with_existing_pictures(report):
    out, _ = report
    page = Links()
    page.feed((out / "index.html").read_text())
    for section in SECTIONS:
        assert any(h.startswith(section + " ") for h in page.headings), (section, page.headings)
    assert page.links, "no pictures on the page"
    for link in page.links:
        assert not os.path.isabs(link) and "://" not in link, link  # opens offline from the folder
        assert (out / link).resolve().is_relative_to(out.resolve()) and (out / link).is_file(), link
    assert page.anchors and all(a[1:] in page.ids for a in page.anchors)  # the contents lead to the sections
    # The 3D views: plotly from the folder, one data file per evaluated model, every one of them on the page.
    assert "js/plotly.min.js" in page.links and (out / "js" / "plotly.min.js").stat().st_size > 1_000_000
    assert {f"view3d/{p.name}" for p in (out / "view3d").iterdir()} <= set(page.links)
    assert {"view3d/q2_vox.js", "view3d/q2_point.js", "view3d/q2_mesh.js", "view3d/q3_implicit_occupancy_32.js",
            "view3d/q3_parametric_parametric_mesh.js"} <= set(page.links)
    md = (out / "report.md").read_text()
    assert all(f"## {s} " in md for s in SECTIONS)
    # 3.1 shows the occupancy surface its headline row scores: cut at the val isovalue (the default), not at 0.5.
    implicit = [link for link in page.links if "q3_implicit/vis/" in link]
    assert implicit and all("_iso" not in link for link in implicit), implicit


def test_numbers_on_the_page_are_the_metrics_files(report):
    out, _ = report
    text = (out / "report.md").read_text()
    for path in ["test_outputs/q2/metrics_vox.json", "test_outputs/q2/metrics_point.json", "test_outputs/q2/metrics_mesh.json",
                 "test_outputs/baselines/metrics_oracle.json", "test_outputs/q3_implicit/metrics_occupancy_32.json",
                 "test_outputs/q3_parametric/metrics_parametric_mesh.json", "test_outputs/q2_2500/metrics_point.json"]:
        m = json.load(open(out / path))
        cells = " | ".join(f"{v:.1f}" for v in m["avg_f1"][:-1]) + f" | {m['avg_f1@0.05']:.1f} ["
        assert cells in text, (path, cells)
    # The commands on the page are the writeup's, as they ran.
    assert "python train_model.py --type 'vox' --id 'q2' --batch_size 64 --save_freq 500" in text
    assert re.search(r"python gradcam.py --type mesh --checkpoint_path outputs/q2/checkpoint_mesh.pth --max_iter 10 ", text)


def test_a_rerun_reuses_every_stage(report, tiny_dataset):
    out, first = report
    stages = json.load(open(out / "stages.json"))
    assert all(s["finished"] for s in stages.values()) and len(stages) == first.count(": done in ")
    again = script_ok("report.py", "--out", out, "--steps", "3", "--batch_size", "2", "--num_workers", "0",
                      "--dataset_dir", tiny_dataset, "--device", "cpu")
    assert again.count(": reused") == len(stages) and ": done in " not in again


def test_every_writeup_command_of_sections_1_to_3_ran_as_typed(report):
    """Each command of the writeup (tests/writeup.md), placeholders filled with the checkpoint it trained, is the
    start of a finished stage: the report is the proof that the writeup's commands run as typed (a budget only
    appends flags)."""
    out, _ = report
    stages = [s for s in json.load(open(out / "stages.json")).values() if s["finished"]]
    commands = writeup_commands("## 1. Fitting", "## Data layout")
    assert len(commands) == 3 + 8 + 3 + 4, commands
    for cmd in commands:
        pattern = re.escape(cmd)
        pattern = re.sub(r"<[a-z_]+>", r"\\S+", pattern) + "$"  # "<ckpt_path>" and the like: any path
        assert any(re.match(pattern, s["typed"]) for s in stages), cmd  # the command as typed, whole
    for s in stages:  # and what ran is it followed by the budget's flags, which the page shows apart
        assert s["cmd"] == f"{s['typed']} {s['budget']}".rstrip() and re.fullmatch(r"(--\w+ \S+ ?)*", s["budget"])


def test_the_3d_data_on_the_page_is_the_saved_prediction_and_ground_truth(report):
    """The data file of a view holds the shapes the evaluator saved (a tiny run's meshes are under the budgets, so
    nothing is decimated: the same numbers, rounded to 4 decimals) and the best, median and worst by F1@0.05."""
    import numpy as np

    out, _ = report
    text = (out / "view3d" / "q2_mesh.js").read_text()
    data = json.loads(text[text.index("] = ") + 4:].rstrip().rstrip(";"))
    metrics = json.load(open(out / "test_outputs" / "q2" / "metrics_mesh.json"))
    with np.load(out / "test_outputs" / "q2" / "shapes_mesh.npz") as z:
        for k, ex in enumerate(data["examples"]):
            assert ex["index"] == z["index"][k] and ex["f1"] == metrics["per_example_f1@0.05"][ex["index"]]
            for side, prefix in (("pred", f"pred{k}"), ("gt", f"gt{k}")):
                verts = np.stack([ex[side]["x"], ex[side]["y"], ex[side]["z"]], 1)  # (V, 3)
                assert np.abs(verts - z[f"{prefix}_verts"]).max() <= 0.5e-4
                assert np.array_equal(np.stack([ex[side]["i"], ex[side]["j"], ex[side]["k"]], 1), z[f"{prefix}_faces"])
    f1 = metrics["per_example_f1@0.05"]
    by_role = {role: ex["f1"] for ex in data["examples"] for role in ex["role"].split("/")}  # "best/median": 1-2 chairs
    assert by_role["best"] == max(f1) and by_role["worst"] == min(f1) and "median" in by_role


def test_the_quick_budget_shortens_every_stage_of_the_demo():
    """quick has every knob demo has, each no longer (fewer steps, smaller batches, fewer examples), and a measured
    time to scale; report.py's estimate is skipped for a custom --steps (as the smoke runs above)."""
    import report

    demo, quick = report.BUDGETS["demo"], report.BUDGETS["quick"]
    assert set(quick) == set(demo)
    for knob in ("steps", "batch", "classes_steps"):
        assert set(quick[knob]) == set(demo[knob]) and all(quick[knob][k] <= demo[knob][k] for k in demo[knob])
    for knob in ("fit", "gradcam_examples", "subsample", "queries"):
        assert quick[knob] <= demo[knob]
    for budget in ("demo", "quick"):
        for precision in ("bfloat16", "float32"):
            run = report.measured_run(budget, precision)
            assert run["minutes"] > 0 and run["step"] > 0 and run["batch"] == max(report.BUDGETS[budget]["batch"].values())
    assert report.measured_run("demo", "float32")["precision"] == "float32"
    args = report.get_args_parser().parse_args(["--out", "x", "--budget", "quick", "--steps", "3"])
    assert report.announce(args, None) is None


def test_avx2_emulation_turns_bfloat16_off():
    """runtime.AVX2_ENV set before torch starts: torch's kernels stop at AVX2 and oneDNN has no bfloat16 kernels, so
    fast_bf16 says False and report.py trains in float32, as on an AVX2 laptop; cpu_kind says it is emulated."""
    import runtime

    code = "import runtime; print(runtime.fast_bf16('cpu')); print(runtime.cpu_kind())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **runtime.AVX2_ENV}, cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "False" and out[1].startswith("AVX2 (emulated: ATEN_CPU_CAPABILITY=avx2")
