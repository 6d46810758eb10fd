#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/emo-calibrate-gate.py on a made-up FER+ dump (no shared data): astronaut crops as FER+
valid faces, one of them a duplicate of a train image (must be left out), labels the committed
emotion-finetuned model gets right and wrong. The threshold it writes must be the grid margin
maximising right - wrong labels of the faces, computed here from the network's own scores; the
other sidecar members must be kept and the "gate" object must be what emoclassify reads."""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(SOURCE, "tools", "emo-calibrate-gate.py")
MODEL = os.path.join(SOURCE, "models", "emotion-finetuned.json")
ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"


def faces():
    """(112 px grey crop, label) pairs: the smiling face shifted and scaled, and other parts."""
    img = cv2.imread(ASTRONAUT, cv2.IMREAD_GRAYSCALE)
    out = []
    for i, (dx, dy, s) in enumerate([(0, 0, 120), (8, -6, 110), (-10, 4, 140), (4, 10, 100),
                                     (-4, -8, 130), (12, 2, 125)]):
        c = cv2.resize(img[60 + dy:60 + dy + s, 170 + dx:170 + dx + s], (112, 112))
        out.append((c, "happiness" if i % 3 else "neutral"))
    for y, x in [(300, 40), (380, 300), (200, 350)]:
        out.append((cv2.resize(img[y:y + 120, x:x + 120], (112, 112)), "sadness"))
    return out


def main():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "dump")
        os.makedirs(dump)
        labels_csv = os.path.join(tmp, "labels.csv")
        rows, samples = [], []
        for i, (crop, label) in enumerate(faces()):
            cv2.imwrite(os.path.join(dump, f"{i}.png"), crop)
            name = f"valid/{label}/fer{i:07d}.png"
            rows.append({"split": "valid", "file": name, "dup_group": str(100 + i)})
            samples.append([i, label, "g", 1, 0, f"../shared/data/ferplus/{name}"])
        rows.append({"split": "train", "file": "train/neutral/fer9999999.png",
                     "dup_group": "100"})  # face 0 is a duplicate of a train image
        with open(labels_csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["split", "file", "dup_group"])
            w.writeheader()
            w.writerows(rows)
        with open(os.path.join(dump, "samples.csv"), "w", newline="") as f:
            csv.writer(f).writerows(samples)
        sidecar = os.path.join(tmp, "model.json")
        spec = json.load(open(MODEL))
        spec["model"] = os.path.join(os.path.dirname(MODEL), spec["model"])
        json.dump(spec, open(sidecar, "w"))

        out = subprocess.run([sys.executable, TOOL, sidecar, "--dump", dump, "--ferplus",
                              labels_csv, "--write"], capture_output=True, text=True)
        print(out.stdout, out.stderr)
        if out.returncode != 0:
            sys.exit("the tool failed")

        # The expected threshold, from the network's scores on the same crops (face 0 left out).
        net = cv2.dnn.readNetFromONNX(spec["model"])
        n = spec["input"]["width"]
        margin, right = [], []
        for i, (crop, label) in enumerate(faces()):
            if i == 0:
                continue
            x = cv2.resize(crop, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32)
            net.setInput((x * spec["input"]["scale"] + spec["input"]["offset"])[None, None])
            s = net.forward(spec["outputs"]["scores"]).reshape(-1)
            top = np.sort(s)[::-1]
            margin.append(top[0] - top[1])
            right.append(spec["labels"][int(s.argmax())] == label)
        margin, right = np.array(margin), np.array(right)
        if right.all() or not right.any():
            failures.append("the made-up faces must be labelled both right and wrong")
        net_of = {round(m, 3): int(right[margin >= m].sum() - (~right[margin >= m]).sum())
                  for m in np.arange(0.0, 0.5001, 0.005)}
        best = max(net_of.values())
        expected = min(m for m, v in net_of.items() if v == best)

        written = json.load(open(sidecar))
        gate = written.get("gate", {})
        if "8 FER+ valid faces" not in out.stdout:
            failures.append("the duplicate of a train image was not left out (8 faces expected)")
        if abs(gate.get("min_margin", -1) - expected) > 1e-9:
            failures.append(f"gate.min_margin {gate.get('min_margin')} != expected {expected}")
        if "FER+ valid" not in gate.get("calibration", ""):
            failures.append("gate.calibration does not say how the threshold was chosen")
        for key in ("input", "outputs", "crop", "labels", "source", "license"):
            if written.get(key) != spec.get(key):
                failures.append(f"sidecar member {key} changed")
        # Run again on the written sidecar: the same threshold, its other gate members kept.
        written["gate"]["max_yaw"] = 50
        json.dump(written, open(sidecar, "w"))
        subprocess.run([sys.executable, TOOL, sidecar, "--dump", dump, "--ferplus", labels_csv,
                        "--write"], check=True, capture_output=True)
        again = json.load(open(sidecar))["gate"]
        if again.get("min_margin") != gate.get("min_margin") or again.get("max_yaw") != 50:
            failures.append(f"a second run changed the gate: {again}")
        # A missing dump is a usage error naming it.
        bad = subprocess.run([sys.executable, TOOL, sidecar, "--dump", os.path.join(tmp, "no")],
                             capture_output=True, text=True)
        if bad.returncode != 2 or "--dump" not in bad.stderr:
            failures.append(f"missing dump: status {bad.returncode}, {bad.stderr!r}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
