#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chooses an emotion CNN's own "flat" threshold (emoclassify min-margin) on labelled faces the
video labels are not measured on, and writes it into the model's sidecar ("gate" object).

    tools/emo-calibrate-gate.py models/emotion-ensemble.json            # print the figures
    tools/emo-calibrate-gate.py models/emotion-ensemble.json --write    # and set "gate"

Faces: FER+ valid (../shared/data/ferplus, Microsoft's crowd labels, majority label), without
the images whose dup_group is also in train, as crops of an `emo-train --dump-crops` dump
(--dump, default /tmp/dump112: 112 px, the 2.4-interocular framing of the sidecars' "crop";
made once by the first emo-train command of docs/training-ferplus.md, section 8:
`build/tools/emo-train --kind forest --trees 10 --cnn models/faceapi/faceapi-expression.json
--dump-crops /tmp/dump112 --whole-image $D/ck48 --detect $D/faces-wild --whole-image
$D/ferplus/train --whole-image $D/ferplus/valid --whole-image $D/ferplus/test --labels ...`).
Only faces whose label the model has count.

Rule: a face gets its top label when the model's margin (top score minus the second, score
units) is at least min_margin. The threshold kept is the one that maximises (faces labelled
right) - (faces labelled wrong) on these faces: a label is shown where it is more often right
than wrong, and an abstention ("unknown") counts as neither. It is searched on a grid of 0.005
from 0 to 0.5; ties go to the smaller threshold. The scores are the network's on one crop;
emoclassify gates the scores smoothed over a track's frames, which only disagreeing frames make
flatter.

The network runs in OpenCV DNN (the sidecar's input size, colour, layout and normalisation);
ONNX Runtime's scores differ by under 1e-6 (bench/RESULTS.md). Exit status 2 on a usage error
(no FER+ crops, a sidecar without labels).
"""
import argparse
import importlib
import json
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def _ensemble_tool():
    """tools/emo-ensemble.py, for its FER+ loader (ferplus_valid)."""
    sys.path.insert(0, HERE)
    return importlib.import_module("emo-ensemble")


def per_channel(value, channels):
    v = np.atleast_1d(np.asarray(value, np.float32))
    return np.resize(v, channels)


def input_tensor(crops, inp):
    """The sidecar's input tensor of grey uint8 crops: resized (area averaging when smaller,
    linear when larger), grey repeated for a colour network, value = pixel * scale + offset
    (or (pixel - mean) / std) per channel, [N, C, H, W] or [N, H, W, C]."""
    w, h = inp["width"], inp["height"]
    channels = 1 if inp["color"] == "grey" else 3
    x = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA if c.shape[1] >= w
                             else cv2.INTER_LINEAR) for c in crops]).astype(np.float32)
    x = np.repeat(x[..., None], channels, axis=3)  # N, H, W, C
    if "mean" in inp:
        x = (x - per_channel(inp["mean"], channels)) / per_channel(inp["std"], channels)
    else:
        x = x * per_channel(inp["scale"], channels) + per_channel(inp.get("offset", 0.0),
                                                                  channels)
    return x if inp.get("layout", "nchw") == "nhwc" else x.transpose(0, 3, 1, 2)


def scores_of(sidecar, spec, crops):
    net = cv2.dnn.readNetFromONNX(os.path.join(os.path.dirname(os.path.abspath(sidecar)),
                                               spec["model"]))
    out = []
    for c in crops:  # one by one: fixed-batch networks (OpenCV 4.6) take batch 1
        net.setInput(input_tensor([c], spec["input"]))
        out.append(net.forward(spec["outputs"]["scores"]).reshape(-1))
    return np.array(out, np.float64)


def margins(scores):
    top2 = -np.sort(-scores, axis=1)[:, :2]
    return top2[:, 0] - top2[:, 1]


def choose(margin, right, grid=np.arange(0.0, 0.5001, 0.005)):
    """(threshold, table rows): the grid value maximising right - wrong among labelled faces."""
    rows = []
    for m in grid:
        kept = margin >= m
        r, w = int(right[kept].sum()), int((~right[kept]).sum())
        rows.append((float(round(m, 3)), kept.mean(), r / max(r + w, 1), r - w))
    best = max(rows, key=lambda t: (t[3], -t[0]))
    return best[0], rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sidecar", help="the CNN's sidecar (gst-emo-cnn-model JSON)")
    ap.add_argument("--dump", default="/tmp/dump112", help="emo-train --dump-crops directory")
    ap.add_argument("--ferplus", default=os.path.join(SOURCE, "..", "shared", "data", "ferplus",
                                                      "labels.csv"), help="FER+'s labels.csv")
    ap.add_argument("--test", action="store_true",
                    help="also report the chosen threshold on FER+ test (de-duplicated)")
    ap.add_argument("--write", action="store_true",
                    help="set the sidecar's gate.min_margin (other members kept)")
    a = ap.parse_args()

    for path, what in ((a.sidecar, "sidecar"), (os.path.join(a.dump, "samples.csv"), "--dump"),
                       (a.ferplus, "--ferplus")):
        if not os.path.isfile(path):
            ap.error(f"{what}: {path} not found")
    spec = json.load(open(a.sidecar))
    if spec.get("format") != "gst-emo-cnn-model" or not spec.get("labels"):
        ap.error(f"{a.sidecar}: not a gst-emo-cnn-model sidecar with labels")
    crop = spec.get("crop", {})
    if abs(crop.get("size", 2.4) - 2.4) > 1e-6 or abs(crop.get("below_eyes", 0.45) - 0.45) > 1e-6:
        print(f"warning: {a.sidecar} frames its crop differently from the dump (2.4 / 0.45)",
              file=sys.stderr)
    tool = _ensemble_tool()
    crops, y = tool.ferplus_valid(a.dump, a.ferplus, spec["labels"])
    if not len(y):
        ap.error(f"no FER+ valid crops of the model's labels in {a.dump} (see --help)")
    scores = scores_of(a.sidecar, spec, crops)
    margin = margins(scores)
    right = scores.argmax(1) == y
    chosen, rows = choose(margin, right)

    print(f"{os.path.basename(a.sidecar)}: {len(y)} FER+ valid faces (de-duplicated against "
          f"train), accuracy {right.mean():.3f} ungated")
    print("| min-margin | faces labelled | accuracy of the labelled | right - wrong |")
    print("| ---: | ---: | ---: | ---: |")
    shown = {0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, chosen}
    for m, cover, acc, net in rows:
        if m in shown:
            mark = " **chosen**" if m == chosen else ""
            print(f"| {m:.3f}{mark} | {cover:.3f} | {acc:.3f} | {net} |")
    at = next(r for r in rows if r[0] == chosen)
    note = (f"tools/emo-calibrate-gate.py: FER+ valid without duplicates of train ({len(y)} "
            f"faces), the margin maximising right - wrong labels: {at[1]:.3f} of the faces "
            f"labelled, {at[2]:.3f} of them right")
    print(note)
    if a.test:  # the chosen threshold on faces it was not chosen on
        crops, y = tool.ferplus_valid(a.dump, a.ferplus, spec["labels"], "test")
        scores = scores_of(a.sidecar, spec, crops)
        right, kept = scores.argmax(1) == y, margins(scores) >= chosen
        print(f"FER+ test without duplicates of train or valid ({len(y)} faces): accuracy "
              f"{right.mean():.3f} ungated; at min-margin {chosen}: {kept.mean():.3f} labelled, "
              f"{right[kept].mean():.3f} of them right, {right[kept].sum() / len(y):.3f} of all "
              f"faces labelled right (unknown counted wrong)")
    if a.write:
        gate = dict(spec.get("gate", {}))
        gate["min_margin"] = chosen
        gate["calibration"] = note
        spec["gate"] = gate
        with open(a.sidecar, "w") as f:
            json.dump(spec, f, indent=2)
            f.write("\n")
        print(f"wrote gate.min_margin {chosen} into {a.sidecar}")


if __name__ == "__main__":
    main()
