#!/usr/bin/python3
"""Tracks that never lie, measured on the dinner clip: shot cuts, stale boxes, track ids.

Runs emofacedetect alone (decode, emofacedetect, emometapublish to JSON Lines, fakesink
sync=false) once per configuration and reports from its output and its DEBUG log:
  - track ids, frames with faces, faces;
  - the shot cuts emofacedetect found (frame numbers, from its "shot cut at" debug lines);
  - boxes of a previous shot shown after a cut (a face on a frame after a cut whose track was
    born before it; cuts as found by the *default* configuration, so that a configuration
    without cut detection is judged on the same cuts);
  - how long boxes stay after the last detection associated with their track (frames from a
    track's last `detected` frame to its last frame);
  - precision and recall on tests/data/dinner-720p-faces.json (bench/face-accuracy.py's
    matching, IoU >= 0.4).

  bench/tracking-bench.py                  default, and the old behaviour approximated
  bench/tracking-bench.py --configs default --frames 600

Configurations: default (all defaults), old (detection-interval=24 max-unconfirmed=72
max-unconfirmed-time=0 shot-cut-threshold=0: boxes kept up to three detection intervals, no
cut detection, as before issue 10). EMO_DETECT_PROPS adds properties to both. Needs
GST_PLUGIN_PATH like gst-launch-1.0. Check the cuts by eye: extract the frames before and
after each one (e.g. with python3-opencv) and look at them.
"""
import argparse
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
CONFIGS = {
    "default": "",
    "old": "detection-interval=24 max-unconfirmed=72 max-unconfirmed-time=0 shot-cut-threshold=0",
}


def load_accuracy():
    spec = importlib.util.spec_from_file_location("face_accuracy",
                                                  os.path.join(HERE, "face-accuracy.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(props, clip, frames, out, log):
    limit = f"identity eos-after={frames} ! " if frames else ""
    extra = os.environ.get("EMO_DETECT_PROPS", "")
    desc = (f"filesrc location={shlex.quote(clip)} ! decodebin ! {limit}videoconvert ! "
            f"emofacedetect {props} {extra} ! emometapublish location={out} ! fakesink sync=false")
    env = dict(os.environ, GST_DEBUG="emofacedetect:5", GST_DEBUG_NO_COLOR="1")
    start = time.monotonic()
    with open(log, "w") as err:
        proc = subprocess.run(["gst-launch-1.0", "-q"] + shlex.split(desc), env=env,
                              stdout=subprocess.DEVNULL, stderr=err)
    if proc.returncode != 0:
        sys.exit(f"gst-launch-1.0 failed ({proc.returncode}), see {log}")
    return time.monotonic() - start


def analyse(lines, log, cuts_ref):
    frames = [json.loads(line) for line in lines]
    cuts = [int(m.group(1)) for m in re.finditer(r"shot cut at .*\(frame (\d+)\)", open(log).read())]
    born, last, last_detected = {}, {}, {}
    for fr in frames:
        for f in fr["faces"]:
            t = f.get("track-id")
            born.setdefault(t, fr["frame"])
            last[t] = fr["frame"]
            if f.get("detected"):
                last_detected[t] = fr["frame"]
    after = sorted(last[t] - last_detected.get(t, born[t]) for t in born)
    cuts_ref = cuts_ref if cuts_ref is not None else cuts
    stale = stale_frames = longest = 0
    for k, c in enumerate(cuts_ref):
        end = cuts_ref[k + 1] if k + 1 < len(cuts_ref) else len(frames)
        for fr in frames[c:end]:
            old = [f for f in fr["faces"] if born[f["track-id"]] < c]
            stale += len(old)
            stale_frames += bool(old)
            if old:
                longest = max(longest, fr["frame"] - c + 1)
    return {
        "frames": len(frames), "frames_with_faces": sum(1 for f in frames if f["faces"]),
        "faces": sum(len(f["faces"]) for f in frames), "track_ids": len(born), "cuts": cuts,
        "stale_boxes_after_cuts": stale, "stale_frames_after_cuts": stale_frames,
        "stale_longest_frames": longest,
        "after_last_detected_max": after[-1] if after else 0,
        "after_last_detected_median": after[len(after) // 2] if after else 0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip", default=os.path.join(SOURCE, "..", "shared", "data", "video",
                                                   "dinner-720p.mp4"))
    ap.add_argument("--truth", default=os.path.join(SOURCE, "tests", "data",
                                                    "dinner-720p-faces.json"))
    ap.add_argument("--configs", default="default,old")
    ap.add_argument("--frames", type=int, default=0, help="only the first N frames (0 = all)")
    args = ap.parse_args()
    accuracy = load_accuracy()
    truth = json.load(open(args.truth))
    cuts_ref = None
    with tempfile.TemporaryDirectory() as tmp:
        for config in args.configs.split(","):
            out, log = os.path.join(tmp, config + ".jsonl"), os.path.join(tmp, config + ".log")
            wall = run(CONFIGS[config], args.clip, args.frames, out, log)
            lines = open(out).read().splitlines()
            r = analyse(lines, log, cuts_ref)
            if config == "default":
                cuts_ref = r["cuts"]
            s = accuracy.score(truth, lines, 0.4)
            print(f"{config}: {r['frames']} frames in {wall:.0f} s, faces on "
                  f"{r['frames_with_faces']}, {r['faces']} faces, {r['track_ids']} track ids")
            print(f"  shot cuts found: {len(r['cuts'])} {r['cuts']}")
            print(f"  boxes of a previous shot after a cut: {r['stale_boxes_after_cuts']} on "
                  f"{r['stale_frames_after_cuts']} frames, up to {r['stale_longest_frames']} "
                  f"frames after the cut")
            print(f"  frames a box stays after its track's last detected frame: max "
                  f"{r['after_last_detected_max']}, median {r['after_last_detected_median']}")
            print(f"  ground truth: precision {s['precision']:.3f} recall {s['recall']:.3f} "
                  f"(TP {s['tp']} FP {s['fp']} FN {s['fn']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
