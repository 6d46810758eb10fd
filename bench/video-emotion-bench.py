#!/usr/bin/python3
"""Emotion labels on real video against labels made by eye, beside the cost per face, in one run.

Runs the full chain (emofacedetect ! emolandmarks ! emoclassify, default settings unless a
configuration says otherwise) over the clips of tests/data/video-emotion-labels.json
(../shared/data: the dinner clip at odd seconds, the three webcam clips every half second) with
gst-launch-1.0 and emometapublish, and reports per group of clips (dinner, webcam):
  - per-class recall: share of the faces labelled C by eye that the chain labels C;
  - neutral -> negative: share of neutral faces (calm, talking, eating) given anger, disgust,
    fear, sadness or contempt;  neutral -> unknown: share given no emotion (emoclassify's gate);
  - macro recall over happiness, neutral and surprise (the classes the webcam clips show most).
A face that gets no emotion ("unknown") counts as not neutral (and not anything else): the gate
is no free win. A labelled face is matched to the detections of the analysed frame nearest its
pts, greedily by IoU (>= --min-iou, 0.3: the webcam boxes are OpenCV Haar boxes, framed tighter
than BlazeFace's); faces without a match are counted as missed and left out of the recalls.

Cost per face: emoclassify's own count of classified faces and their CPU time (thread CPU clock
around the model and the sharpness measure, both of its threads), read from its INFO log line
at stop; beside it the whole process's CPU time (user + system) against the same chain without
emoclassify ("nolabel", same invocation), which other load on the machine makes noisy.

  bench/video-emotion-bench.py                                  default, nogate, nolabel
  bench/video-emotion-bench.py --models /abs/a.onnx,/abs/b.json another model each
  bench/video-emotion-bench.py --configs default --clips dinner --check-happiness 0.9 ...

Configurations (--configs): default (all defaults), nogate (the gate and the hysteresis off:
min-face-size=0 max-yaw=90 min-sharpness=0 min-margin=0 hold-frames=1 hold-time=0
hold-classifications=1, the labels as before the gate), nolabel (no emoclassify: the cost
baseline); --models adds "model=PATH" with the default gate for each path. EMO_CLASSIFY_PROPS
adds emoclassify properties to all, EMO_LANDMARKS_PROPS emolandmarks properties (e.g.
max-reuse=0).
Needs GST_PLUGIN_PATH (and GST_EMO_MODEL_DIR outside the build tree) like gst-launch-1.0.
Exit status 1 when a --check-* floor (dinner clip, default configuration) is not met.
"""
import argparse
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
NEGATIVE = {"anger", "disgust", "fear", "sadness", "contempt"}
UNKNOWN = "unknown"
NOGATE = ("min-face-size=0 max-yaw=90 min-sharpness=0 min-margin=0 hold-frames=1 hold-time=0 "
          "hold-classifications=1")


sys.path.insert(0, HERE)
iou = importlib.import_module("face-accuracy").iou  # bench/face-accuracy.py's box IoU


def run_chain(clip, classify, out):
    """Runs one clip; returns (CPU seconds, faces classified or None)."""
    props = os.environ.get("EMO_CLASSIFY_PROPS", "")
    stage = f"emoclassify {classify} {props} ! " if classify is not None else ""
    landmarks = os.environ.get("EMO_LANDMARKS_PROPS", "")
    desc = (f"filesrc location={shlex.quote(clip)} ! decodebin ! videoconvert ! emofacedetect ! "
            f"emolandmarks {landmarks} ! {stage}emometapublish location={shlex.quote(out)} "
            f"include-landmarks=false ! fakesink sync=false")
    env = dict(os.environ, GST_DEBUG="emoclassify:4", GST_DEBUG_NO_COLOR="1")
    proc = subprocess.Popen(["gst-launch-1.0", "-q"] + shlex.split(desc), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"gst-launch-1.0 failed on {clip}:\n{err[-2000:]}")
    m = re.search(r"(\d+) faces classified \(([0-9.]+) ms of CPU each\)", err)
    return (usage.ru_utime + usage.ru_stime, int(m.group(1)) if m else None,
            float(m.group(2)) if m else None)


def score(truth_clip, lines, min_iou, tally, verbose=False):
    frames = [json.loads(line) for line in lines]
    timed = [(fr["pts"], fr) for fr in frames if fr.get("pts") is not None]
    for lf in truth_clip["frames"]:
        pts, fr = min(timed, key=lambda t: abs(t[0] - lf["pts"]))
        preds = [([f["box"][k] for k in ("x", "y", "width", "height")],
                  (f.get("emotion") or {}).get("label") or "", f.get("emotion") or {})
                 for f in fr["faces"]]
        pairs = sorted(((iou(p[0], g["box"]), i, j) for i, p in enumerate(preds)
                        for j, g in enumerate(lf["faces"])), reverse=True)
        got = {}
        used = set()
        for v, i, j in pairs:
            if v >= min_iou and i not in used and j not in got:
                used.add(i)
                got[j] = i
        for j, g in enumerate(lf["faces"]):
            tally.setdefault(g["label"], []).append(preds[got[j]][1] if j in got else None)
            tally.setdefault(WHY, {}).setdefault(g["label"], []).append(
                miss_reason(g["label"], preds[got[j]][1], preds[got[j]][2]) if j in got
                else "no detection")
            if verbose:
                e = preds[got[j]][2] if j in got else {}
                top = sorted(e.get("scores", {}).items(), key=lambda kv: -kv[1])[:2]
                print(f"  {os.path.basename(truth_clip['clip'])} {lf['pts'] / 1e9:6.2f} s "
                      f"{g['box']} {g['label']:>9} -> {(preds[got[j]][1] or '(none)') if j in got else 'MISSED':>9} "
                      f"{e.get('unsure', '')} margin {e.get('margin', '-')} yaw {e.get('yaw', '-')} "
                      f"sharp {e.get('sharpness', '-')} top {top}", file=sys.stderr)


WHY = "_why"  # tally key: truth label -> the reason of each face's outcome (miss_reason)


def miss_reason(truth, label, emotion):
    """Where a matched face went: "right"; "wrong: LABEL"; "no label" (a shot's first frame,
    not classified); "unknown: REASON" with the gate's reason of the frame (small, turned,
    blurred, flat) or "held" (the gate passed but a new label had not held yet, hysteresis);
    unknown faces say whether the top smoothed score was the truth ("top right")."""
    if label == truth:
        return "right"
    if not label:
        return "no label"
    if label != UNKNOWN:
        return f"wrong: {label}"
    scores = emotion.get("scores") or {}
    top = max(scores, key=scores.get) if scores else None
    return (f"unknown: {emotion.get('unsure') or 'held'}, top "
            f"{'right' if top == truth else 'wrong'}")


def summarise(tally):
    """tally: truth label -> list of predicted labels (None: no matching detection)."""
    out = {"classes": {}, "why": {label: {r: reasons.count(r) for r in sorted(set(reasons))}
                                  for label, reasons in sorted(tally.get(WHY, {}).items())}}
    for label, preds in sorted(tally.items()):
        if label == WHY:
            continue
        matched = [p for p in preds if p is not None]
        out["classes"][label] = {
            "faces": len(preds), "missed": len(preds) - len(matched),
            "recall": sum(p == label for p in matched) / len(matched) if matched else None,
            "unknown": sum(p in (UNKNOWN, "") for p in matched) / len(matched) if matched else None,
            "read_as": {p: matched.count(p) for p in sorted(set(matched))},
        }
    neutral = [p for p in tally.get("neutral", []) if p is not None]
    out["neutral_negative"] = (sum(p in NEGATIVE for p in neutral) / len(neutral)
                               if neutral else None)
    out["neutral_unknown"] = (sum(p in (UNKNOWN, "") for p in neutral) / len(neutral)
                              if neutral else None)
    trio = [out["classes"][c]["recall"] for c in ("happiness", "neutral", "surprise")
            if c in out["classes"] and out["classes"][c]["recall"] is not None]
    out["macro_hns"] = sum(trio) / len(trio) if trio else None
    return out


def fmt(v):
    return "-" if v is None else f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default=os.path.join(SOURCE, "tests", "data",
                                                     "video-emotion-labels.json"))
    ap.add_argument("--data", default=os.environ.get(
        "EMO_SHARED_DATA", os.path.join(SOURCE, "..", "shared", "data")))
    ap.add_argument("--configs", default="default,nogate,nolabel")
    ap.add_argument("--models", default="", help="comma-separated model paths, one config each")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=PROPS",
                    help="a configuration NAME with these emoclassify properties (e.g. "
                    "'m05=min-margin=0.05 smoothing=0.9'); repeatable")
    ap.add_argument("--keep", metavar="DIR", help="keep each run's JSON Lines in DIR "
                    "(CONFIG-CLIP.jsonl)")
    ap.add_argument("--clips", default="all", help="all, dinner or webcam")
    ap.add_argument("--min-iou", type=float, default=0.3)
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--verbose", action="store_true", help="every labelled face, to stderr")
    ap.add_argument("--check-happiness", type=float, help="dinner floor: smiles -> happiness")
    ap.add_argument("--check-neutral", type=float, help="dinner floor: calm/talking -> neutral")
    ap.add_argument("--check-negative", type=float, help="dinner ceiling: neutral -> negative")
    args = ap.parse_args()

    truth = json.load(open(args.labels))
    clips = [c for c in truth["clips"]
             if args.clips == "all" or (args.clips == "dinner") == ("dinner" in c["clip"])]
    configs = {"default": "", "nogate": NOGATE, "nolabel": None}
    chosen = {c: configs[c] for c in args.configs.split(",") if c}
    for m in filter(None, args.models.split(",")):
        chosen[f"model={os.path.basename(m)}"] = f"model={shlex.quote(os.path.abspath(m))}"
    for v in args.variant:
        name, _, props = v.partition("=")
        chosen[name] = props

    results = {}
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, classify in chosen.items():
            groups, cpu, faces, model_ms = {}, 0.0, 0, 0.0
            for c in clips:
                out = os.path.join(args.keep or tmp, f"{name}-{os.path.basename(c['clip'])}.jsonl"
                                   .replace("/", "_"))
                t, n, ms = run_chain(os.path.join(args.data, c["clip"]), classify, out)
                cpu += t
                faces += n or 0
                model_ms += (ms or 0.0) * (n or 0)
                if classify is not None:
                    group = "dinner" if "dinner" in c["clip"] else "webcam"
                    score(c, open(out).read().splitlines(), args.min_iou,
                          groups.setdefault(group, {}), args.verbose)
            results[name] = {"cpu_s": cpu, "classified": faces,
                             "model_ms_per_face": model_ms / faces if faces else None,
                             "groups": {g: summarise(t) for g, t in groups.items()}}
            print(f"{name}: {cpu:.1f} s CPU, {faces} faces classified", file=sys.stderr)

    base = results.get("nolabel", {}).get("cpu_s")
    for name, r in results.items():
        if name == "nolabel":
            continue
        cost = ((r["cpu_s"] - base) * 1e3 / r["classified"]
                if base is not None and r["classified"] else None)
        r["ms_per_face"] = cost
        print(f"\n### {name}: emoclassify {chosen[name] or '(defaults)'}")
        print(f"cost per classified face: {r['model_ms_per_face'] or 0:.2f} ms of CPU "
              "(emoclassify's own thread CPU clock around the model and the sharpness); whole "
              f"process {r['cpu_s']:.1f} s CPU against {fmt(base)} s without emoclassify "
              f"({fmt(cost) if cost is None else f'{cost:.1f} ms'} per face; noisy on a shared "
              f"machine), {r['classified']} faces classified")
        for g, s in r["groups"].items():
            print(f"\n{g}: neutral -> negative {fmt(s['neutral_negative'])}, neutral -> unknown "
                  f"{fmt(s['neutral_unknown'])}, macro recall happiness/neutral/surprise "
                  f"{fmt(s['macro_hns'])}\n")
            print("| by eye | faces | missed | recall | unknown | read as |")
            print("| --- | --- | --- | --- | --- | --- |")
            for label, c in s["classes"].items():
                read = ", ".join(f"{k or '(none)'} {v}" for k, v in c["read_as"].items())
                print(f"| {label} | {c['faces']} | {c['missed']} | {fmt(c['recall'])} | "
                      f"{fmt(c['unknown'])} | {read} |")
            print("\n| by eye | where the faces went (unknown: the frame's gate reason or held by "
                  "the hysteresis; top: the top smoothed score) |\n| --- | --- |")
            for label, reasons in s["why"].items():
                print(f"| {label} | " + ", ".join(f"{r} {n}" for r, n in reasons.items()) + " |")
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)

    failed = []
    first = next((r for n, r in results.items() if n != "nolabel"), None)
    dinner = (first or {}).get("groups", {}).get("dinner")
    if dinner:
        checks = [("happiness recall", dinner["classes"].get("happiness", {}).get("recall"),
                   args.check_happiness, True),
                  ("neutral recall", dinner["classes"].get("neutral", {}).get("recall"),
                   args.check_neutral, True),
                  ("neutral -> negative", dinner["neutral_negative"], args.check_negative, False)]
        for what, value, limit, floor in checks:
            if limit is None:
                continue
            ok = value is not None and (value >= limit if floor else value <= limit)
            print(f"dinner {what}: {fmt(value)} ({'floor' if floor else 'ceiling'} {limit}) "
                  f"{'ok' if ok else 'FAILED'}")
            if not ok:
                failed.append(what)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
