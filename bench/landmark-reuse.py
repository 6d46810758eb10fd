#!/usr/bin/python3
"""Landmarks of still faces carried over (emolandmarks max-reuse) against fresh fits, one run.

Runs the default chain (emofacedetect ! emolandmarks ! emoclassify ! emometapublish) over a
clip twice, with emolandmarks max-reuse=0 (every face fitted) and with max-reuse=N (default:
the element's default), and compares the two outputs face by face (same frame, same track id,
same box: the boxes do not depend on the landmarks):
  - reused faces: how far their points lie from the fresh fit of the same frame (mean point
    distance as a share of the box's mean side: median, p90, p99, max);
  - the fit's own jitter, the baseline: in the max-reuse=0 run, two fresh fits of consecutive
    frames of a face whose box moved by at most 3 % of its side, the earlier moved with the
    box, compared the same way;
  - emotion labels that differ between the runs, and the CPU seconds of each run.

  bench/landmark-reuse.py [--clip CLIP] [--reuse N]

CLIP defaults to bench/streams.sh's 750-frame camera-like copy of the dinner clip
($EMO_BUILD_DIR/bench-clips/dinner-720p-720p25-750f-x264enc.mp4), else the dinner clip.
Needs GST_PLUGIN_PATH (and GST_EMO_MODEL_DIR outside the build tree) like gst-launch-1.0.
"""
import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def run(clip, props, out):
    desc = (f"filesrc location={shlex.quote(clip)} ! decodebin ! videoconvert ! emofacedetect ! "
            f"emolandmarks {props} ! emoclassify ! emometapublish location={shlex.quote(out)} ! "
            f"fakesink sync=false")
    proc = subprocess.Popen(["gst-launch-1.0", "-q"] + shlex.split(desc),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        sys.exit(f"gst-launch-1.0 failed:\n{err[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def faces(path):
    frames = []
    for line in open(path):
        r = json.loads(line)
        frames.append((r["frame"], {f["track-id"]: f for f in r["faces"] if "track-id" in f}))
    return frames


def side(b):
    return (b["width"] + b["height"]) / 2


def centre(b):
    return (b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)


def nme(a, b, s):
    return sum(math.dist(p, q) for p, q in zip(a, b)) / len(a) / s


def quantiles(v):
    v = sorted(v)
    q = lambda p: v[int(p * (len(v) - 1))] if v else float("nan")
    return f"median {q(0.5):.4f} p90 {q(0.9):.4f} p99 {q(0.99):.4f} max {q(1.0):.4f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    build = os.environ.get("EMO_BUILD_DIR", os.path.join(SOURCE, "build"))
    default_clip = os.path.join(build, "bench-clips", "dinner-720p-720p25-750f-x264enc.mp4")
    if not os.path.exists(default_clip):
        default_clip = os.path.join(SOURCE, "..", "shared", "data", "video", "dinner-720p.mp4")
    ap.add_argument("--clip", default=default_clip)
    ap.add_argument("--reuse", type=int, help="max-reuse of the second run (default: default)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh_out, reuse_out = os.path.join(tmp, "fresh.jsonl"), os.path.join(tmp, "reuse.jsonl")
        cpu_fresh = run(args.clip, "max-reuse=0", fresh_out)
        cpu_reuse = run(args.clip, f"max-reuse={args.reuse}" if args.reuse is not None else "",
                        reuse_out)
        fresh, reuse = faces(fresh_out), faces(reuse_out)
    errs, total, labels, labelled = [], 0, 0, 0
    for (_, fa), (_, fb) in zip(fresh, reuse):
        for track, a in fa.items():
            b = fb.get(track)
            if b is None or a["box"] != b["box"]:
                continue
            total += 1
            if a.get("landmarks") and b.get("landmarks") and a["landmarks"] != b["landmarks"]:
                errs.append(nme(a["landmarks"], b["landmarks"], side(a["box"])))
            la, lb = a.get("emotion", {}).get("label"), b.get("emotion", {}).get("label")
            if la is not None or lb is not None:
                labelled += 1
                labels += la != lb
    jitter = []
    for (_, prev), (_, cur) in zip(fresh, fresh[1:]):
        for track, f in cur.items():
            p = prev.get(track)
            if not p or not p.get("landmarks") or not f.get("landmarks"):
                continue
            s0, s1 = side(p["box"]), side(f["box"])
            c0, c1 = centre(p["box"]), centre(f["box"])
            if math.dist(c0, c1) > 0.03 * s0 or abs(s1 - s0) > 0.03 * s0:
                continue
            moved = [(c1[0] + (x - c0[0]) * s1 / s0, c1[1] + (y - c0[1]) * s1 / s0)
                     for x, y in p["landmarks"]]
            jitter.append(nme(moved, f["landmarks"], s0))
    print(f"clip {args.clip}: {total} faces in both runs with the same box")
    print(f"reused (points differ from the fresh fit): {len(errs)} ({len(errs) / max(1, total):.0%})"
          f"; distance as a share of the box side: {quantiles(errs)}")
    print(f"fresh fits of consecutive frames, box moved <= 3 %: {len(jitter)}; {quantiles(jitter)}")
    print(f"emotion labels that differ: {labels} of {labelled}")
    print(f"CPU s: max-reuse=0 {cpu_fresh:.2f}, reuse {cpu_reuse:.2f}")


if __name__ == "__main__":
    main()
