#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/emo-train-e2e.py on a tiny generated crop dump (astronaut crops in the layout of
`emo-train --dump-crops`, with a FER+ labels.csv: train, valid, test and one test image
identical to a train image): the counts it trains and measures, the exported ONNX (free batch
dimension, plain Conv nodes, OpenCV DNN gives the same scores for a face alone and in a batch,
scores sum to 1), the sidecar (labels in the output's order, 112 px grey, 1/255), and the
torch rebuild of face-api's network against the converted ONNX (models/faceapi, fetched at
set-up). The options of a second run: --init (from the first run's --save, at lr 0 the
export gives the saved weights' scores), --vote-weight (faces whose top target changes),
--schedule, and the video-like augmentation (off: no random number drawn). No shared data.

Environment (CTest): EMO_SOURCE_DIR.
"""
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx

SRC = os.environ.get("EMO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(SRC, "tools", "emo-train-e2e.py")
FACEAPI = os.path.join(SRC, "models", "faceapi")
ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
LABELS = ["anger", "disgust", "happiness", "neutral", "sadness", "surprise"]
FER = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]


def crops(n):
    img = cv2.imread(ASTRONAUT, cv2.IMREAD_GRAYSCALE)
    rng = np.random.default_rng(1)
    out = []
    for _ in range(n):
        dx, dy, s = int(rng.integers(-12, 12)), int(rng.integers(-12, 12)), int(rng.integers(96, 150))
        c = img[60 + dy:60 + dy + s, 170 + dx:170 + dx + s]
        out.append(cv2.resize(c, (112, 112), interpolation=cv2.INTER_AREA))
    return out


def make_dump(d):
    """16 folder crops (identities 0-3, folds 0-3) and 10 FER+ crops: train 6, valid 2, test
    2 of which one is a duplicate (dup_group) of a train image."""
    fer_rows = [("train", "neutral", 1), ("train", "happiness", 2), ("train", "sadness", 3),
                ("train", "anger", 4), ("train", "surprise", 5), ("train", "disgust", 6),
                ("valid", "happiness", 7), ("valid", "neutral", 8),
                ("test", "happiness", 9), ("test", "neutral", 1)]
    images = crops(16 + len(fer_rows))
    samples, folds, labels_csv = [], [], []
    for i in range(16):
        lab = LABELS[i % len(LABELS)]
        samples.append([i, lab, f"p{i % 4}", 0, 0, f"../data/faces-wild/{lab}/{i}.jpg"])
        folds.append([i, i % 4])
    for k, (split, lab, group) in enumerate(fer_rows):
        i = 16 + k
        name = f"{split}/{lab}/fer{k:07d}.png"
        samples.append([i, lab, f"fer{k}", 1, 0, f"../data/ferplus/{name}"])
        folds.append([i, k % 4])
        votes = [0] * len(FER)
        votes[FER.index(lab)] = 8
        votes[FER.index("neutral") if lab != "neutral" else 1] += 2
        labels_csv.append([split, name, k, *votes, 0, 0, lab, group])
    for i, c in enumerate(images):
        cv2.imwrite(os.path.join(d, f"{i}.png"), c)
    with open(os.path.join(d, "samples.csv"), "w", newline="") as f:
        csv.writer(f).writerows(samples)
    with open(os.path.join(d, "folds.csv"), "w", newline="") as f:
        csv.writer(f).writerows(folds)
    path = os.path.join(d, "labels.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["split", "file", "fer2013_row", *FER, "unknown", "NF", "label", "dup_group"])
        w.writerows(labels_csv)
    return path


def check(failures, ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def main():
    failures = []
    manifest = os.path.join(FACEAPI, "face_expression_model-weights_manifest.json")
    with tempfile.TemporaryDirectory() as tmp:
        labels_csv = make_dump(tmp)
        out = os.path.join(tmp, "e2e.onnx")
        r = subprocess.run([sys.executable, TOOL, tmp, "--ferplus", labels_csv, "--manifest",
                            manifest, "--epochs", "1", "--batch", "4", "--max-steps", "2",
                            "--holdout", "0", "--no-cache", "--output", out,
                            "--save", os.path.join(tmp, "e2e.pt")],
                           capture_output=True, text=True)
        print(r.stdout[-3000:], r.stderr[-3000:])
        check(failures, r.returncode == 0, "the tool exits 0")
        check(failures, "training on FER+ train 6 of 6 (votes) + 12 folder crops" in r.stdout
              and "fold 0 held out: 4 crops" in r.stdout, "trains on FER+ train + 3 of 4 folds")
        check(failures, "FER+ valid 2, test 1 (duplicates" in r.stdout,
              "measures valid and test without the duplicate of a train image")
        check(failures, "FER+ test (without duplicates of an earlier split): accuracy" in r.stdout
              and "held-out fold 0" in r.stdout, "prints FER+ test and the held-out fold")
        if r.returncode != 0:
            return report(failures)
        m = onnx.load(out)
        dims = m.graph.input[0].type.tensor_type.shape.dim
        check(failures, dims[0].dim_param != "" and [d.dim_value for d in dims[1:]] == [1, 112, 112],
              "input [N, 1, 112, 112] with a free batch dimension")
        ops = {n.op_type for n in m.graph.node}
        check(failures, "Pad" not in ops and "Shape" not in ops, f"plain graph ({sorted(ops)})")
        spec = json.load(open(os.path.join(tmp, "e2e.json")))
        check(failures, spec["labels"] == LABELS and spec["model"] == "e2e.onnx" and
              spec["input"]["color"] == "grey" and spec["input"]["width"] == 112 and
              abs(spec["input"]["scale"] - 1 / 255) < 1e-9 and
              spec["outputs"] == {"scores": "scores", "embedding": "embedding"} and
              "fold 0 held out" in spec["source"], "sidecar")
        net = cv2.dnn.readNetFromONNX(out)
        x = np.stack(crops(3)).astype(np.float32)[:, None] / 255
        net.setInput(x)
        batch = net.forward("scores")
        alone = []
        for i in range(3):
            net.setInput(x[i:i + 1])
            alone.append(net.forward("scores")[0])
        check(failures, batch.shape == (3, 6) and np.allclose(batch.sum(1), 1, atol=1e-5),
              "scores [3, 6], each a distribution")
        check(failures, np.abs(batch - np.stack(alone)).max() < 1e-5,
              "a batch gives each face's scores alone")
        check_second_run(failures, tmp, labels_csv, manifest, x)
    # The torch rebuild of face-api's network against the converter's ONNX (grey).
    spec = importlib.util.spec_from_file_location("e2e", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import torch
    tnet = mod.FaceExpressionNet(6)
    tnet.load_faceapi(manifest)
    tnet.eval()
    x = np.stack(crops(4)).astype(np.float32)[:, None] / 255
    with torch.no_grad():
        emb = tnet.embed(torch.from_numpy(x)).numpy()
    ref_net = cv2.dnn.readNetFromONNX(os.path.join(FACEAPI, "faceapi-expression.onnx"))
    ref_net.setInput(x)
    ref = ref_net.forward("embedding")
    rel = float(np.abs(emb - ref).mean() / np.abs(ref).mean())
    # The grey mean differs from face-api's three colour means only in the zero padding.
    check(failures, rel < 0.02, f"torch rebuild matches the converted network (rel. {rel:.4f})")
    check_functions(failures)
    r = subprocess.run([sys.executable, TOOL, "/nonexistent", "--ferplus", "x", "--epochs", "0"],
                       capture_output=True, text=True)
    check(failures, r.returncode == 2 and "--epochs" in r.stderr, "--epochs 0 is refused")
    return report(failures)


def tool_module():
    spec = importlib.util.spec_from_file_location("e2e", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check_second_run(failures, tmp, labels_csv, manifest, x):
    """--init the first run's weights at lr 0 with every new option on: the export must give
    the saved weights' scores (so --init was read and nothing moved)."""
    import torch
    out = os.path.join(tmp, "init.onnx")
    r = subprocess.run([sys.executable, TOOL, tmp, "--ferplus", labels_csv, "--manifest",
                        manifest, "--epochs", "2", "--batch", "4", "--max-steps", "2",
                        "--no-cache", "--init", os.path.join(tmp, "e2e.pt"), "--lr", "0",
                        "--schedule", "cosine", "--vote-weight", "happiness=5",
                        "--motion-blur", "1", "--jpeg", "1", "--noise", "0.05", "--gamma", "2",
                        "--output", out], capture_output=True, text=True)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(failures, r.returncode == 0, "a run with --init and the new options exits 0")
    # The neutral train face has 8 neutral and 2 happiness votes: x5 makes it 8 / 10.
    check(failures, "the top target of 1 of 6 FER+ train faces changed" in r.stdout,
          "--vote-weight happiness=5 changes the top target of one face")
    if r.returncode != 0:
        return
    spec = json.load(open(os.path.join(tmp, "init.json")))
    check(failures, "init e2e.pt, schedule cosine, vote weights happiness=5" in spec["source"],
          "the sidecar's source names --init, the schedule and the vote weights")
    mod = tool_module()
    tnet = mod.FaceExpressionNet(6)
    tnet.load_state_dict(torch.load(os.path.join(tmp, "e2e.pt")))
    tnet.eval()
    with torch.no_grad():
        ref = tnet(torch.from_numpy(x))[0].numpy()
    net = cv2.dnn.readNetFromONNX(out)
    net.setInput(x)
    got = net.forward("scores")
    check(failures, np.abs(got - ref).max() < 1e-4,
          f"--init at lr 0 exports the saved weights (max diff {np.abs(got - ref).max():.2e})")
    r = subprocess.run([sys.executable, TOOL, tmp, "--ferplus", labels_csv, "--vote-weight",
                        "joy=2"], capture_output=True, text=True)
    check(failures, r.returncode == 2 and "'joy' is not one of" in r.stderr,
          "an unknown --vote-weight label is refused")


def check_functions(failures):
    """Vote re-weighting, the lr schedules and the video-like augmentation, in the module."""
    import argparse
    import torch
    mod = tool_module()
    soft = np.array([[0, 0, 0.4, 0.6, 0, 0], [0, 0, 0, 1, 0, 0], [0.5, 0, 0, 0, 0, 0.5]],
                    np.float32)
    w = mod.parse_vote_weights("happiness=2", LABELS)
    new, flipped = mod.reweight_votes(soft, np.array([0, 1]), w)
    check(failures, flipped == 1 and np.allclose(new[0], [0, 0, 0.8 / 1.4, 0.6 / 1.4, 0, 0])
          and np.allclose(new[1], soft[1]) and np.allclose(new[2], soft[2]),
          "happiness=2: 4 happiness / 6 neutral becomes 8 / 6; other rows unchanged")
    for bad in ("joy=2", "happiness=0", "happiness=-1"):
        try:
            mod.parse_vote_weights(bad, LABELS)
            check(failures, False, f"--vote-weight {bad} refused")
        except ValueError:
            pass
    p = torch.nn.Parameter(torch.zeros(1))

    def lrs(schedule, epochs=2, total=10):
        opt = torch.optim.SGD([p], lr=1.0)
        a = argparse.Namespace(schedule=schedule, epochs=epochs, step_gamma=0.5)
        s = mod.scheduler(opt, a, [1.0], total)
        out = []
        for _ in range(total):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
        return out
    cos = lrs("cosine")
    check(failures, cos[0] == 1.0 and all(b < a for a, b in zip(cos, cos[1:])) and
          0.01 < cos[-1] < 0.1, f"cosine decays from the peak ({cos[0]:.3f} .. {cos[-1]:.3f})")
    step = lrs("step")
    check(failures, step[:5] == [1.0] * 5 and step[5:] == [0.5] * 5, "step halves each epoch")
    one = lrs("onecycle")
    check(failures, one[0] < 0.1 and max(one) > 0.9, "onecycle warms up")
    x = torch.from_numpy(np.stack(crops(4)).astype(np.float32)[:, None] / 255)
    off = argparse.Namespace(motion_blur=0, gamma=1, noise=0, jpeg=0)
    rng = np.random.default_rng(3)
    y = mod.video_like(x.clone(), rng, off)
    check(failures, torch.equal(y, x) and rng.random() == np.random.default_rng(3).random(),
          "video-like augmentation off: crops unchanged, no random number drawn")
    for k, v in (("motion_blur", 1), ("jpeg", 1)):
        a = argparse.Namespace(**{**vars(off), k: v})
        y = mod.video_like(x.clone(), np.random.default_rng(3), a)
        d = float((y - x).abs().mean())
        check(failures, y.shape == x.shape and 0.001 < d < 0.1, f"{k} changes every crop ({d:.4f})")
    k = mod.motion_kernel(7, 30)
    check(failures, abs(float(k.sum()) - 1) < 1e-6 and int((k > 0).sum()) >= 5,
          "a motion kernel is a line summing to 1")


def report(failures):
    print(f"{len(failures)} failure(s)" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
