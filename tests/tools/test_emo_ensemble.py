#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/emo-ensemble.py: the merged network (OpenCV DNN, as emoclassify runs it) must give the
weighted mean of its members' probabilities, each member run on its own as emoclassify would
(the crop area-resized to its input, its own scale and offset), on varied astronaut face crops;
a --prior must multiply and renormalise; mismatched members must be refused. No shared data:
the committed emotion-finetuned (64 px) and emotion-faceapi-ferplus (112 px) models."""
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(SOURCE, "tools", "emo-ensemble.py")
MODELS = os.path.join(SOURCE, "models")
ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
MEMBERS = ["emotion-finetuned.json", "emotion-faceapi-ferplus.json"]


def run_member(sidecar, crop):
    spec = json.load(open(sidecar))
    net = cv2.dnn.readNetFromONNX(os.path.join(os.path.dirname(sidecar), spec["model"]))
    n = spec["input"]["width"]
    # Float area averaging: the merged graph's AveragePool does not round to 8 bits (emoclassify
    # would give each member alone a crop rounded to 8 bits: about 1e-3 apart).
    x = cv2.resize(crop.astype(np.float32), (n, n), interpolation=cv2.INTER_AREA)
    net.setInput((x * spec["input"]["scale"] + spec["input"].get("offset", 0.0))[None, None])
    return net.forward(spec["outputs"]["scores"]).reshape(-1)


def crops(side):
    """Astronaut face crops: shifted, scaled, mirrored, blurred, darkened."""
    img = cv2.imread(ASTRONAUT, cv2.IMREAD_GRAYSCALE)
    out = []
    for dx, dy, s in [(0, 0, 120), (8, -6, 110), (-10, 4, 140), (4, 10, 100)]:
        c = img[60 + dy:60 + dy + s, 170 + dx:170 + dx + s]
        out.append(cv2.resize(c, (side, side), interpolation=cv2.INTER_LINEAR))
    out.append(cv2.flip(out[0], 1))
    out.append(cv2.GaussianBlur(out[1], (0, 0), 6))
    out.append((out[2] * 0.4).astype(np.uint8))
    for y, x in [(300, 40), (380, 300)]:  # not faces: other scores
        out.append(cv2.resize(img[y:y + 120, x:x + 120], (side, side)))
    return out


def main():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ens.onnx")
        members = [os.path.join(MODELS, m) for m in MEMBERS]
        subprocess.run([sys.executable, TOOL, *members, "--weights", "3,7", "--output", out],
                       check=True)
        spec = json.load(open(os.path.join(tmp, "ens.json")))
        side = spec["input"]["width"]
        if side != 448 or spec["labels"] != json.load(open(members[0]))["labels"]:
            failures.append(f"sidecar: input {side} (448 expected), labels {spec['labels']}")
        net = cv2.dnn.readNetFromONNX(out)
        worst, tops = 0.0, set()
        for c in crops(side):
            want = 0.3 * run_member(members[0], c) + 0.7 * run_member(members[1], c)
            net.setInput((c.astype(np.float32) * spec["input"]["scale"])[None, None])
            got, emb = net.forward(["scores", "embedding"])
            worst = max(worst, float(np.abs(got.reshape(-1) - want).max()))
            tops.add(int(want.argmax()))
            if emb.size != 256 + 256 or abs(float(got.sum()) - 1) > 1e-4:
                failures.append(f"embedding size {emb.size}, scores sum {got.sum()}")
        print(f"max |ensemble - weighted mean of the members| = {worst:.2e} over 9 crops, "
              f"{len(tops)} different top classes")
        if worst > 1e-4:
            failures.append(f"ensemble differs from the weighted mean by {worst}")

        # The FER+ candidate fixes batch 1: the ensemble does too, unless --free-batch (ONNX
        # Runtime batches a frame's faces); the free graph gives the same scores.
        def batch(path):
            d = onnx.load(path).graph.input[0].type.tensor_type.shape.dim[0]
            return d.dim_param or d.dim_value
        free = os.path.join(tmp, "free.onnx")
        subprocess.run([sys.executable, TOOL, *members, "--weights", "3,7", "--free-batch",
                        "--output", free], check=True)
        fnet = cv2.dnn.readNetFromONNX(free)
        c = crops(side)[2]
        fnet.setInput((c.astype(np.float32) * spec["input"]["scale"])[None, None])
        net.setInput((c.astype(np.float32) * spec["input"]["scale"])[None, None])
        if batch(out) != 1 or batch(free) != "N" or \
                np.abs(fnet.forward("scores") - net.forward("scores")).max() > 1e-6:
            failures.append(f"--free-batch: batch {batch(out)} / {batch(free)}, or other scores")

        # --prior: happiness x 2 then renormalised.
        subprocess.run([sys.executable, TOOL, *members, "--prior", "happiness=2,sadness=0.5",
                        "--output", os.path.join(tmp, "prior.onnx")], check=True)
        pnet = cv2.dnn.readNetFromONNX(os.path.join(tmp, "prior.onnx"))
        c = crops(side)[5]
        want = 0.5 * run_member(members[0], c) + 0.5 * run_member(members[1], c)
        factor = np.ones_like(want)
        factor[spec["labels"].index("happiness")] = 2
        factor[spec["labels"].index("sadness")] = 0.5
        want = want * factor / (want * factor).sum()
        pnet.setInput((c.astype(np.float32) / 255.0)[None, None])
        got = pnet.forward("scores").reshape(-1)
        if np.abs(got - want).max() > 1e-4:
            failures.append(f"--prior: {got} against {want}")

        # One member with a prior: the network's own scores, multiplied and renormalised, at its
        # own input size; one member without a prior is refused.
        subprocess.run([sys.executable, TOOL, members[0], "--prior", "neutral=3",
                        "--output", os.path.join(tmp, "one.onnx")], check=True)
        one = json.load(open(os.path.join(tmp, "one.json")))
        onet = cv2.dnn.readNetFromONNX(os.path.join(tmp, "one.onnx"))
        for c in crops(one["input"]["width"])[:3]:
            want = run_member(members[0], c)
            want[spec["labels"].index("neutral")] *= 3
            want /= want.sum()
            onet.setInput((c.astype(np.float32) / 255.0)[None, None])
            got = onet.forward("scores").reshape(-1)
            if one["input"]["width"] != 64 or np.abs(got - want).max() > 1e-4:
                failures.append(f"one member with a prior: {got} against {want}")
        r = subprocess.run([sys.executable, TOOL, members[0], "--output",
                            os.path.join(tmp, "none.onnx")], capture_output=True, text=True)
        if r.returncode != 2:
            failures.append(f"one member without a prior: exit {r.returncode}")

        # The committed models/emotion-finetuned-prior.onnx is the default network times the
        # factors its sidecar states, renormalised (and differs from the default: 0.01 at least).
        committed = json.load(open(os.path.join(MODELS, "emotion-finetuned-prior.json")))
        factors = dict(kv.split("=") for kv in
                       committed["source"].split("then prior ")[1].split(" ")[0].split(","))
        cnet = cv2.dnn.readNetFromONNX(os.path.join(MODELS, committed["model"]))
        moved = 0.0
        for c in crops(64):
            want = run_member(members[0], c) * np.array([float(factors[l])
                                                         for l in committed["labels"]])
            want /= want.sum()
            cnet.setInput((c.astype(np.float32) / 255.0)[None, None])
            got = cnet.forward("scores").reshape(-1)
            moved = max(moved, float(np.abs(got - run_member(members[0], c)).max()))
            if np.abs(got - want).max() > 3e-3:  # the sidecar prints the factors to 3 decimals
                failures.append(f"committed emotion-finetuned-prior: {got} against {want}")
        if moved < 0.01:
            failures.append(f"committed emotion-finetuned-prior: the default's own scores ({moved})")

        # Members that do not cut the same crop are refused (exit status 2).
        odd = json.load(open(members[1]))
        odd["crop"] = dict(odd["crop"], size=3.0)
        odd["model"] = os.path.join(MODELS, odd["model"])
        json.dump(odd, open(os.path.join(tmp, "odd.json"), "w"))
        r = subprocess.run([sys.executable, TOOL, members[0], os.path.join(tmp, "odd.json"),
                            "--output", os.path.join(tmp, "odd-ens.onnx")],
                           capture_output=True, text=True)
        if r.returncode != 2 or "framing" not in r.stderr:
            failures.append(f"a member with another crop framing: exit {r.returncode} "
                            f"{r.stderr.strip()[-200:]}")
    # The prior fit recovers known factors: labels drawn from p * f / sum(p * f).
    sys.path.insert(0, os.path.join(SOURCE, "tools"))
    fit_log_prior = __import__("emo-ensemble").fit_log_prior
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(6) * 0.7, 20000)
    truth = np.log([4.0, 0.2, 1.5, 1.0, 0.7, 1.2])
    truth -= truth.mean()
    q = p * np.exp(truth)
    q /= q.sum(1, keepdims=True)
    y = np.array([rng.choice(6, p=r) for r in q])
    got = fit_log_prior(np.log(p), y)
    print(f"prior fit: log factors {np.round(got, 3)} against {np.round(truth, 3)}")
    if np.abs(got - truth).max() > 0.1:
        failures.append(f"prior fit {got} against {truth}")
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
