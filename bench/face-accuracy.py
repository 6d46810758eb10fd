#!/usr/bin/python3
"""Face boxes against ground truth checked by eye, side by side with speed, in one run.

Runs each configuration over the dinner clip with gst-launch-1.0 (decode, analysis,
emometapublish to JSON Lines, fakesink sync=false) and reports, per configuration:
precision and recall of the face boxes on the frames of tests/data/dinner-720p-faces.json,
the share of landmarks of matched faces inside the face, fps (wall time of the whole run,
decoding included), CPU time and peak RSS of the process.

Matching: on each ground-truth frame, predicted and true boxes are paired greedily, highest
intersection over union first (as PASCAL VOC does), a pair counting when IoU >= --min-iou
(0.4: boxes of different detectors frame a face differently; a box 1.3x the size of a
concentric true box has IoU 0.59). A prediction paired with a 'difficult' face counts neither
way. A landmark is inside the face when it lies in the true box grown by 10 % of its side on
every side (the jaw line sits on the box edge).

  bench/face-accuracy.py                      default chain, Haar cascade, facedetect
  bench/face-accuracy.py --configs default --frames 300
  bench/face-accuracy.py --configs default --check-precision 0.9 --check-recall 0.85
  bench/face-accuracy.py --score faces.jsonl    score an emometapublish file of the clip
  bench/face-accuracy.py --truth base,hard --by-category   also the wide shots and the cross-fade

--truth takes comma-separated files; "base" and "hard" name tests/data/dinner-720p-faces.json
and tests/data/dinner-720p-faces-hard.json (wide shots and the cross-fade, frames tagged with a
'category'). --by-category adds a line per category (the frames of the base file listed in the
hard file's 'wide_frames_in_base' count as 'wide', other untagged frames as 'other').

Configurations (--configs, comma-separated): default (emofacedetect ! emolandmarks !
emoclassify, all defaults), sync (the same with async-detection=false: every detection
frame waits for its detection), notiles (the same with tiles=0: the whole frame only),
untiled1 (tiles=0 confirmations=1: detection as before issue 19), cascade (the same with
emofacedetect's Haar cascade),
facedetect (gst-plugins-bad facedetect, Haar on every frame), decode (no analysis: the
baseline of the fps ratios). EMO_DETECT_PROPS adds emofacedetect properties to default.
Needs GST_PLUGIN_PATH (and GST_EMO_MODEL_DIR outside the build tree) like gst-launch-1.0.
Exit status 1 when a --check-* floor is not met.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"


def chains():
    detect = "emofacedetect " + os.environ.get("EMO_DETECT_PROPS", "")
    return {
        "decode": "",
        "default": f"{detect} ! emolandmarks ! emoclassify !",
        "sync": f"{detect} async-detection=false ! emolandmarks ! emoclassify !",
        "notiles": f"{detect} tiles=0 ! emolandmarks ! emoclassify !",
        "untiled1": f"{detect} tiles=0 confirmations=1 ! emolandmarks ! emoclassify !",
        "cascade": f"emofacedetect model={CASCADE} ! emolandmarks ! emoclassify !",
        "facedetect": "facedetect display=false !",
    }


def run(config, clip, frames, out):
    limit = f"identity eos-after={frames} ! " if frames else ""
    chain = chains()[config]
    publish = f"emometapublish location={out} ! " if config != "decode" else ""
    desc = (f"filesrc location={shlex.quote(clip)} ! decodebin ! {limit}videoconvert ! "
            f"{chain} {publish}fakesink sync=false")
    argv = ["gst-launch-1.0", "-q"] + shlex.split(desc)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{config}: gst-launch-1.0 failed ({proc.returncode}):\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def inside(p, box, grow=0.10):
    gx, gy = box[2] * grow, box[3] * grow
    return box[0] - gx <= p[0] <= box[0] + box[2] + gx and box[1] - gy <= p[1] <= box[1] + box[3] + gy


def score(truth, lines, min_iou):
    by_frame = {}
    for line in lines:
        rec = json.loads(line)
        by_frame[rec["frame"]] = rec["faces"]
    tp = fp = fn = 0
    pts_in = pts_all = 0
    per_frame = []
    for fr in truth["frames"]:
        if fr["frame"] not in by_frame:
            continue
        preds = [dict(f, box=[f["box"]["x"], f["box"]["y"], f["box"]["width"], f["box"]["height"]])
                 for f in by_frame[fr["frame"]]]
        faces = fr["faces"]
        pairs = sorted(((iou(p["box"], g["box"]), i, j) for i, p in enumerate(preds)
                        for j, g in enumerate(faces)), reverse=True)
        used_p, used_g = set(), set()
        for v, i, j in pairs:
            if v < min_iou or i in used_p or j in used_g:
                continue
            used_p.add(i)
            used_g.add(j)
            if faces[j].get("difficult"):
                continue
            tp += 1
            marks = preds[i].get("landmarks") or []
            pts_all += len(marks)
            pts_in += sum(1 for p in marks if inside(p, faces[j]["box"]))
        f_fp = len(preds) - len(used_p)
        f_fn = sum(1 for j, g in enumerate(faces) if j not in used_g and not g.get("difficult"))
        fp += f_fp
        fn += f_fn
        if f_fp or f_fn:
            per_frame.append(f"{fr['second']} s (frame {fr['frame']}): {f_fp} false, {f_fn} missed")
    n = tp + fn
    return {
        "frames": sum(1 for fr in truth["frames"] if fr["frame"] in by_frame),
        "faces": n, "tp": tp, "fp": fp, "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / n if n else 1.0,
        "landmarks_inside": pts_in / pts_all if pts_all else None,
        "errors": per_frame,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip", default=os.path.join(SOURCE, "..", "shared", "data", "video",
                                                   "dinner-720p.mp4"))
    ap.add_argument("--truth", default="base",
                    help="comma-separated ground-truth files; base, hard: the project's")
    ap.add_argument("--by-category", action="store_true",
                    help="also score each category of frames (wide, dissolve, ...)")
    ap.add_argument("--configs", default="decode,default,cascade,facedetect")
    ap.add_argument("--frames", type=int, default=0, help="only the first N frames (0 = all)")
    ap.add_argument("--min-iou", type=float, default=0.4)
    ap.add_argument("--check-precision", type=float)
    ap.add_argument("--check-recall", type=float)
    ap.add_argument("--check-landmarks", type=float)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--keep", metavar="DIR", help="keep each configuration's JSON Lines here")
    ap.add_argument("--score", metavar="JSONL",
                    help="only score this emometapublish output (no pipeline is run)")
    ap.add_argument("--verbose", action="store_true", help="list the frames with errors")
    args = ap.parse_args()
    truth = load_truth(args.truth)
    results = {}
    if args.score:
        results["scored"] = score(truth, open(args.score).read().splitlines(), args.min_iou)
        r = results["scored"]
        lm = r["landmarks_inside"]
        print(f"precision {r['precision']:.3f} recall {r['recall']:.3f} landmarks inside "
              f"{lm if lm is None else round(lm, 3)} ({r['tp']} true, {r['fp']} false, "
              f"{r['fn']} missed of {r['faces']} faces on {r['frames']} frames)")
        for e in r["errors"] if args.verbose else []:
            print(f"    {e}")
        if args.by_category:
            lines = open(args.score).read().splitlines()
            for cat, sub in categories(truth).items():
                print_category(cat, score(sub, lines, args.min_iou))
        return check(results, args)
    with tempfile.TemporaryDirectory() as tmp:
        for config in args.configs.split(","):
            out = os.path.join(args.keep or tmp, config + ".jsonl")
            wall, cpu, rss = run(config, args.clip, args.frames, out)
            lines = open(out).read().splitlines() if config != "decode" else []
            frames = len(lines) if lines else (args.frames or 1972)
            r = score(truth, lines, args.min_iou) if lines else {}
            if lines and args.by_category:
                r["categories"] = {c: score(sub, lines, args.min_iou)
                                   for c, sub in categories(truth).items()}
            r.update({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss, "fps": frames / wall,
                      "decoded_frames": frames})
            results[config] = r
    base = results.get("facedetect", {}).get("fps")
    print(f"{'config':<11} {'P':>5} {'R':>5} {'lm-in':>6} {'TP':>4} {'FP':>4} {'FN':>4} "
          f"{'fps':>7} {'cpu s':>6} {'RSS MB':>7} {'x facedetect':>12}")
    for config, r in results.items():
        lm = r.get("landmarks_inside")
        ratio = f"{r['fps'] / base:.2f}" if base else "-"
        if "precision" in r:
            print(f"{config:<11} {r['precision']:5.3f} {r['recall']:5.3f} "
                  f"{(f'{lm:.3f}' if lm is not None else '-'):>6} {r['tp']:4d} {r['fp']:4d} "
                  f"{r['fn']:4d} {r['fps']:7.1f} {r['cpu_s']:6.1f} {r['peak_rss_mb']:7.0f} "
                  f"{ratio:>12}")
        else:
            print(f"{config:<11} {'-':>5} {'-':>5} {'-':>6} {'-':>4} {'-':>4} {'-':>4} "
                  f"{r['fps']:7.1f} {r['cpu_s']:6.1f} {r['peak_rss_mb']:7.0f} {ratio:>12}")
        if args.verbose:
            for e in r.get("errors", []):
                print(f"    {e}")
        for cat, c in r.get("categories", {}).items():
            print_category(cat, c)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)
    return check(results, args)


def load_truth(spec):
    """The frames of the comma-separated truth files, each tagged with its category."""
    named = {"base": "dinner-720p-faces.json", "hard": "dinner-720p-faces-hard.json"}
    frames, wide = [], set()
    for name in spec.split(","):
        path = os.path.join(SOURCE, "tests", "data", named[name]) if name in named else name
        doc = json.load(open(path))
        wide.update(doc.get("wide_frames_in_base", []))
        frames += doc["frames"]
    hard = os.path.join(SOURCE, "tests", "data", named["hard"])
    if not wide and os.path.exists(hard):
        wide.update(json.load(open(hard)).get("wide_frames_in_base", []))
    for fr in frames:
        fr.setdefault("category", "wide" if fr["frame"] in wide else "other")
    frames.sort(key=lambda fr: fr["frame"])
    return {"frames": frames}


def categories(truth):
    out = {}
    for fr in truth["frames"]:
        out.setdefault(fr["category"], {"frames": []})["frames"].append(fr)
    return dict(sorted(out.items()))


def print_category(cat, r):
    print(f"    {cat:<15} P {r['precision']:.3f} R {r['recall']:.3f} ({r['tp']} true, "
          f"{r['fp']} false, {r['fn']} missed of {r['faces']} faces on {r['frames']} frames)")


def check(results, args):
    failed = []
    for config, r in results.items():
        if "precision" not in r:
            continue
        if args.check_precision is not None and r["precision"] < args.check_precision:
            failed.append(f"{config}: precision {r['precision']:.3f} < {args.check_precision}")
        if args.check_recall is not None and r["recall"] < args.check_recall:
            failed.append(f"{config}: recall {r['recall']:.3f} < {args.check_recall}")
        lm = r["landmarks_inside"]
        if args.check_landmarks is not None and (lm is None or lm < args.check_landmarks):
            failed.append(f"{config}: landmarks inside {lm} < {args.check_landmarks}")
    for f in failed:
        print("FAIL " + f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
