#!/usr/bin/python3
"""Learns emoclassify's min-brow-raise (a talking mouth is not surprise) on posed stills.

Runs emo-predict (BlazeFace, then dlib's 68 landmarks fitted as emolandmarks does, then the
emotion model) on every CK+ crop of ../shared/data/ck48 and reads the facial-action measures it
prints ("actions": brow-raise, the brows' height above the eye centres in inter-ocular units).

CK+ has no neutral frames, but each subject shows several expressions: a crop's brow raise is its
brow height minus the median of the subject's *other* sequences (each sequence's crops pooled by
their median), as emoclassify measures a track's recent brows against its own baseline. The
threshold is the one that best separates surprise from the other six classes (Youden: the largest
(surprise recall + others' specificity) / 2). It then reports what the rule does to the model's
own labels on CK+ (surprise kept only when the brows are raised; else the best other class), and
the absolute brow height on CK+ and FER+ (valid and test: surprise against neutral), which does
not carry from stills to video (docs/emotion-labels.md). Never the video labels.

  tools/emo-calibrate-surprise.py [--data DIR] [--emo-predict PATH] [--ferplus] [--keep DIR]

Needs GST_EMO_MODEL_DIR (or a build-tree emo-predict) like emo-predict itself.
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def predict(emo_predict, files, keep, name):
    out = subprocess.run([emo_predict] + files, check=False, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"emo-predict failed: {out.stderr[-2000:]}")
    if keep:
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, name + ".jsonl"), "w") as f:
            f.write(out.stdout)
    rows = []
    for line in out.stdout.splitlines():
        r = json.loads(line)
        faces = r.get("faces") or []
        if not faces or "actions" not in faces[0]:
            continue
        rows.append((r["file"], faces[0]))
    return rows


def youden(values, positive):
    best = (0.0, 0.0)
    for t in np.unique(values):
        score = (np.mean(values[positive] >= t) + np.mean(values[~positive] < t)) / 2
        best = max(best, (score, t))
    return best[1], best[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("EMO_DATA_DIR",
                                                     os.path.join(SOURCE, "..", "shared", "data")))
    ap.add_argument("--emo-predict", default=os.path.join(SOURCE, "build", "tools", "emo-predict"))
    ap.add_argument("--ferplus", action="store_true", help="also FER+ valid and test (slower)")
    ap.add_argument("--keep", help="write emo-predict's output here")
    a = ap.parse_args()

    files = sorted(glob.glob(os.path.join(a.data, "ck48", "*", "*.png")))
    if not files:
        sys.exit(f"no CK+ crops under {a.data}/ck48")
    rows = predict(a.emo_predict, files, a.keep, "ck48")
    print(f"CK+: {len(rows)} of {len(files)} crops with 68 landmarks")

    seq_brows = collections.defaultdict(list)
    info = []
    for path, face in rows:
        name = os.path.basename(path)
        subject, seq = name.split("_")[0], "_".join(name.split("_")[:2])
        brow = face["actions"]["brow-raise"]
        seq_brows[(subject, seq)].append(brow)
        info.append((os.path.basename(os.path.dirname(path)), subject, seq, brow, face))
    by_subject = collections.defaultdict(dict)
    for (subject, seq), v in seq_brows.items():
        by_subject[subject][seq] = float(np.median(v))
    raise_, absolute, truth, faces = [], [], [], []
    for label, subject, seq, brow, face in info:
        others = [v for s, v in by_subject[subject].items() if s != seq]
        if not others:
            continue  # a subject with one sequence has no baseline
        raise_.append(brow - float(np.median(others)))
        absolute.append(brow)
        truth.append(label)
        faces.append(face)
    raise_, absolute, truth = np.array(raise_), np.array(absolute), np.array(truth)
    surprise = truth == "surprise"
    print(f"CK+ with a baseline (subjects with 2+ sequences): {len(truth)} crops, "
          f"{int(surprise.sum())} surprise, {len(by_subject)} subjects")
    for name, v in (("raise over the subject's baseline", raise_), ("absolute height", absolute)):
        t, bal = youden(v, surprise)
        print(f"  {name}: threshold {t:.3f} (balanced accuracy {bal:.3f}; surprise >= it "
              f"{np.mean(v[surprise] >= t):.3f}, others under it {np.mean(v[~surprise] < t):.3f}); "
              f"surprise p10 {np.percentile(v[surprise], 10):.3f}, median "
              f"{np.median(v[surprise]):.3f}; others median {np.median(v[~surprise]):.3f}")
    threshold, _ = youden(raise_, surprise)
    threshold = round(float(threshold), 2)
    print(f"min-brow-raise (rounded): {threshold:.2f}")

    # The rule on the model's own labels: surprise without raised brows -> best other class.
    def label_of(face, vetoed):
        scores = dict(face["scores"])
        if vetoed:
            scores.pop("surprise", None)
        return max(scores, key=scores.get)
    before = np.array([label_of(f, False) for f in faces])
    after = np.array([label_of(f, label_of(f, False) == "surprise" and r < threshold)
                      for f, r in zip(faces, raise_)])
    print(f"CK+ with the model's labels ({len(faces)} crops):")
    print(f"  surprise recall {np.mean(before[surprise] == 'surprise'):.3f} -> "
          f"{np.mean(after[surprise] == 'surprise'):.3f} with the rule")
    print(f"  other classes read as surprise {np.mean(before[~surprise] == 'surprise'):.3f} -> "
          f"{np.mean(after[~surprise] == 'surprise'):.3f}")
    classes = sorted(set(truth))
    for name, pred in (("without", before), ("with", after)):
        recalls = [np.mean(pred[truth == c] == c) for c in classes]
        print(f"  macro recall over the {len(classes)} classes {name} the rule: "
              f"{np.mean(recalls):.3f}")

    if a.ferplus:
        for split in ("valid", "test"):
            ffiles = sorted(glob.glob(os.path.join(a.data, "ferplus", split, "surprise", "*.png")) +
                            glob.glob(os.path.join(a.data, "ferplus", split, "neutral", "*.png")))
            frows = predict(a.emo_predict, ffiles, a.keep, "ferplus-" + split)
            brow = np.array([f["actions"]["brow-raise"] for _, f in frows])
            fs = np.array([os.path.basename(os.path.dirname(p)) == "surprise" for p, _ in frows])
            t, bal = youden(brow, fs)
            print(f"FER+ {split}, absolute height (no identities, no baseline): surprise median "
                  f"{np.median(brow[fs]):.3f}, neutral {np.median(brow[~fs]):.3f}; best "
                  f"threshold {t:.3f}, balanced accuracy {bal:.3f}")


if __name__ == "__main__":
    main()
