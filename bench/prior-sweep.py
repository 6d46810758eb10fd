#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sweeps a per-class prior on an emotion CNN in one command: the candidates, their gates
calibrated on FER+ valid, and one table of the TUNING video labels beside FER+ test.

    GST_PLUGIN_PATH=build/plugins GST_EMO_MODEL_DIR=models \\
    bench/prior-sweep.py models/emotion-ferplus-e2e.json --out /tmp/sweep \\
        --prior happiness=1.5 --prior happiness=2 --prior happiness=3,neutral=0.8

For each --prior (LABEL=FACTOR,...; default: happiness 1.5, 2, 3 and 4):
  1. tools/emo-ensemble.py MODEL --prior ... --free-batch --output OUT/NAME.onnx: the same
     network with the class prior baked into its graph (scores x factor, renormalised; same
     cost); the sidecar keeps MODEL's "gate" thresholds other than min_margin (max_yaw ...);
  2. tools/emo-calibrate-gate.py OUT/NAME.json --test --write: the candidate's own min_margin
     on FER+ valid (a prior moves the margins), and its FER+ test accuracy (de-duplicated);
  3. bench/video-emotion-bench.py --labels tests/data/video-emotion-labels-tune.json with MODEL
     and every candidate in the same run (--configs default, one --variant each), optionally
     with extra emoclassify properties per candidate (--props).
Then prints one markdown table: prior, min_margin, FER+ test (ungated accuracy; labelled and
right at the margin), dinner smiles -> happiness, calm -> neutral, calm -> negative, webcam
smiles, neutral, neutral -> negative, macro H/N/S, ms of CPU per face, and writes it with the
bench's JSON to OUT. Choose on this table (tuning labels only); report the choice beside the
current default on the report labels (video-emotion-labels.json) in a separate run.

Needs: the FER+ crop dump of tools/emo-calibrate-gate.py (--dump, default /tmp/dump112), FER+'s
labels.csv (../shared/data), the shared clips, GST_PLUGIN_PATH. Exit status 2 on a usage error.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
PY = "/usr/bin/python3"


def run(cmd, log):
    """Runs cmd, its output appended to `log`; returns its stdout (exits on failure)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n" + p.stdout + "\n")
    if p.returncode != 0:
        sys.exit(f"prior-sweep: failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-2000:]}")
    return p.stdout


def slug(prior):
    return "x1" if not prior else "-".join(f"{k[:3]}{v}" for k, v in
                                             (i.split("=") for i in prior.split(",")))


def fer_test(text):
    """(ungated accuracy, share labelled, share of all faces labelled right) from the
    calibration tool's FER+ test line."""
    m = re.search(r"FER\+ test .*?accuracy ([0-9.]+) ungated; at min-margin [0-9.]+: ([0-9.]+) "
                  r"labelled, [0-9.]+ of them right, ([0-9.]+) of all", text)
    return tuple(float(g) for g in m.groups()) if m else (None, None, None)


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="the emotion CNN's sidecar (.json)")
    ap.add_argument("--out", required=True, help="directory for the candidates and the table")
    ap.add_argument("--prior", action="append", default=[], metavar="LABEL=FACTOR,...",
                    help="one candidate's prior; repeatable (default: happiness 1.5, 2, 3, 4)")
    ap.add_argument("--props", default="", help="emoclassify properties added to every "
                    "configuration (e.g. 'hold-time=250000000')")
    ap.add_argument("--labels", default=os.path.join(SOURCE, "tests", "data",
                                                     "video-emotion-labels-tune.json"))
    ap.add_argument("--dump", default="/tmp/dump112", help="FER+ crops (emo-calibrate-gate.py)")
    ap.add_argument("--skip-build", action="store_true",
                    help="reuse the candidates already in --out (bench only)")
    a = ap.parse_args()
    spec = json.load(open(a.model))
    if spec.get("format") != "gst-emo-cnn-model":
        ap.error(f"{a.model}: not a gst-emo-cnn-model sidecar")
    priors = a.prior or [f"happiness={f}" for f in ("1.5", "2", "3", "4")]
    os.makedirs(a.out, exist_ok=True)
    log = os.path.join(a.out, "sweep.log")
    base = os.path.splitext(os.path.basename(a.model))[0]

    def calibrate(sidecar, name, write):
        """The calibration tool's output, kept in OUT/NAME.calibration.txt (--skip-build
        reuses it)."""
        kept = os.path.join(a.out, name + ".calibration.txt")
        if a.skip_build and os.path.isfile(kept):
            return open(kept).read()
        text = run([PY, os.path.join(SOURCE, "tools", "emo-calibrate-gate.py"), sidecar,
                    "--test", "--dump", a.dump] + (["--write"] if write else []), log)
        open(kept, "w").write(text)
        return text

    rows = []  # (configuration name, prior, sidecar, min_margin, FER+ test)
    cal = calibrate(a.model, "x1", False)
    rows.append(("x1", "(none: " + os.path.basename(a.model) + ")", os.path.abspath(a.model),
                 spec.get("gate", {}).get("min_margin"), fer_test(cal)))
    for prior in priors:
        name = f"{base}-{slug(prior)}"
        onnx_path = os.path.join(a.out, name + ".onnx")
        sidecar = os.path.join(a.out, name + ".json")
        if not a.skip_build:
            run([PY, os.path.join(SOURCE, "tools", "emo-ensemble.py"), a.model, "--prior", prior,
                 "--free-batch", "--output", onnx_path], log)
            cand = json.load(open(sidecar))
            for key in ("layout",):  # input members emo-ensemble.py does not carry
                if key in spec["input"]:
                    cand["input"][key] = spec["input"][key]
            gate = {k: v for k, v in spec.get("gate", {}).items()
                    if k not in ("min_margin", "calibration")}
            if gate:
                cand["gate"] = gate
            with open(sidecar, "w") as f:
                json.dump(cand, f, indent=2)
                f.write("\n")
        cal = calibrate(sidecar, slug(prior), not a.skip_build)
        margin = json.load(open(sidecar)).get("gate", {}).get("min_margin")
        rows.append((slug(prior), prior, os.path.abspath(sidecar), margin, fer_test(cal)))

    bench_json = os.path.join(a.out, "bench.json")
    cmd = [PY, os.path.join(HERE, "video-emotion-bench.py"), "--labels", a.labels,
           "--configs", "", "--json", bench_json]
    for name, _, sidecar, _, _ in rows:  # names without "=" (the bench's NAME=PROPS)
        cmd += ["--variant", f"{name}=model={sidecar} {a.props}".rstrip()]
    print(f"bench: {len(rows)} configurations on {os.path.basename(a.labels)} ...",
          file=sys.stderr)
    run(cmd, log)
    bench = json.load(open(bench_json))

    head = ("| prior | min_margin | FER+ test acc. / labelled right | dinner smiles | calm -> "
            "neutral | calm -> negative | webcam smiles | webcam neutral | webcam neutral -> "
            "negative | webcam macro H/N/S | ms CPU per face |")
    lines = [f"{os.path.basename(a.model)} on {os.path.basename(a.labels)}"
             + (f", emoclassify {a.props}" if a.props else ""), "", head,
             "| --- |" + " ---: |" * (head.count("|") - 2)]
    for name, prior, _, margin, (acc, _, right) in rows:
        r = bench[name]
        d, w = r["groups"].get("dinner", {}), r["groups"].get("webcam", {})

        def rec(g, c):
            return g.get("classes", {}).get(c, {}).get("recall")
        lines.append(f"| {prior} | {fmt(margin, 3)} | {fmt(acc, 3)} / {fmt(right, 3)} | "
                     f"{fmt(rec(d, 'happiness'))} | {fmt(rec(d, 'neutral'))} | "
                     f"{fmt(d.get('neutral_negative'))} | {fmt(rec(w, 'happiness'))} | "
                     f"{fmt(rec(w, 'neutral'))} | {fmt(w.get('neutral_negative'))} | "
                     f"{fmt(w.get('macro_hns'))} | {fmt(r.get('model_ms_per_face'))} |")
    text = "\n".join(lines) + "\n"
    open(os.path.join(a.out, "table.md"), "w").write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
