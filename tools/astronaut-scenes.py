#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Composes test video from scikit-image's public-domain astronaut portrait (Debian
python3-skimage): her head moved, scaled, rotated and mirrored over other public-domain
skimage pictures, several faces at once, hard cuts, a cross-fade and a stretch without a face;
or (fades) a fade to black and a fade in from black between two shots.
Writes packed RGB frames to stdout (tools/make-astronaut-clip.sh encodes them) and, with
--truth FILE, the face boxes it drew, one JSON object per frame.

  astronaut-scenes.py SCENE SECONDS [--size WxH] [--fps N] [--truth FILE] > frames.rgb

Scenes:
  moving  one face travelling over the frame, 0.6-1.6 times its size, tilted up to 20 degrees
  group   shots of 1-3 faces (different sizes, mirrored, grey, one with the smile turned into a
          frown by mirroring the mouth), hard cuts between shots, a 0.5 s cross-fade, 1.5 s
          without a face; the 13.5 s sequence repeats
  fades   the "two" shot, a 0.75 s fade to black, 0.25 s of black, a 0.75 s fade in from
          black into the "pair" shot (5 s; no hard cut)
Deterministic: the same arguments give the same frames.
"""
import argparse
import json
import math
import os
import sys

import cv2
import numpy as np

DATA = "/usr/lib/python3/dist-packages/skimage/data"
# Head and shoulders of astronaut.png (x, y, w, h) and, inside it, the face as a detector sees
# it (176, 66, 95 x 95 in the portrait).
HEAD = (140, 10, 175, 190)
FACE = (176 - 140, 66 - 10, 95, 95)
MOUTH = (196, 133, 54, 25)  # the smile, mirrored upside down for the "frown" face


def load(name):
    img = cv2.imread(os.path.join(DATA, name), cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"{DATA}/{name} not found (install the Debian package python3-skimage)")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class Heads:
    """The head crop in its variants, each with a soft elliptical alpha mask."""

    def __init__(self):
        portrait = load("astronaut.png")
        x, y, w, h = HEAD
        plain = portrait[y:y + h, x:x + w].copy()
        frown = portrait.copy()
        mx, my, mw, mh = MOUTH
        frown[my:my + mh, mx:mx + mw] = frown[my:my + mh, mx:mx + mw][::-1]
        frown = frown[y:y + h, x:x + w].copy()
        grey = cv2.cvtColor(cv2.cvtColor(plain, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        self.variants = {"plain": plain, "frown": frown, "grey": grey,
                         "mirrored": plain[:, ::-1].copy()}
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (w // 2, h // 2), (w // 2 - 6, h // 2 - 4), 0, 0, 360, 1.0, -1)
        self.mask = cv2.GaussianBlur(mask, (0, 0), 5)[..., None]

    def paste(self, frame, variant, cx, cy, face_width, angle=0.0):
        """Draws the head with its face centred at (cx, cy), face_width pixels wide, tilted by
        angle degrees; returns the face's box in the frame [x, y, w, h] (of the tilted square)."""
        head = self.variants[variant]
        s = face_width / FACE[2]
        fx, fy = FACE[0] + FACE[2] / 2, FACE[1] + FACE[3] / 2
        m = cv2.getRotationMatrix2D((fx, fy), angle, s)
        m[0, 2] += cx - fx
        m[1, 2] += cy - fy
        # Only the frame's part under the head is warped and blended.
        hh, hw = head.shape[:2]
        corners = cv2.transform(np.float32([[[0, 0], [hw, 0], [0, hh], [hw, hh]]]), m)[0]
        x0, y0 = np.floor(corners.min(axis=0)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
        if x1 > x0 and y1 > y0:
            m[:, 2] -= (x0, y0)
            size = (x1 - x0, y1 - y0)
            warped = cv2.warpAffine(head, m, size, flags=cv2.INTER_LINEAR).astype(np.float32)
            alpha = cv2.warpAffine(self.mask, m, size, flags=cv2.INTER_LINEAR)[..., None]
            roi = frame[y0:y1, x0:x1]
            np.copyto(roi, (roi * (1 - alpha) + warped * alpha).astype(np.uint8))
        half = face_width / 2 * (abs(math.cos(math.radians(angle))) +
                                 abs(math.sin(math.radians(angle))))
        return [round(cx - half), round(cy - half), round(2 * half), round(2 * half)]


def background(name, w, h):
    img = load(name)
    scale = max(w / img.shape[1], h / img.shape[0])
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y0, x0 = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
    return img[y0:y0 + h, x0:x0 + w].copy()


def moving(heads, bgs, w, h, t):
    frame = bgs["grass.png"].copy()
    size = min(w, h) * 0.22 * (1.1 + 0.5 * math.sin(t * 0.9))
    cx = w / 2 + (w / 2 - size) * math.sin(t * 0.7)
    cy = h / 2 + (h / 2 - size) * 0.8 * math.sin(t * 1.3)
    angle = 20 * math.sin(t * 1.7)
    return frame, [heads.paste(frame, "plain", cx, cy, size, angle)], "moving"


# The group scene: (name, seconds, background, faces); a face is (variant, x, y, width, angle)
# with x, y, width as fractions of the frame width/height, and dx per second of drift.
SHOTS = [
    ("two", 3.0, "coffee.png", [("plain", 0.30, 0.45, 0.13, 0, 0.02),
                                 ("mirrored", 0.72, 0.40, 0.08, 0, -0.02)]),
    ("three", 3.0, "brick.png", [("grey", 0.20, 0.35, 0.06, 0, 0.0),
                                  ("frown", 0.50, 0.55, 0.09, 0, 0.01),
                                  ("plain", 0.80, 0.40, 0.07, 10, 0.0)]),
    ("tilted", 3.0, "rocket.jpg", [("plain", 0.50, 0.50, 0.16, -15, 0.03)]),
    ("pair", 3.0, "gravel.png", [("frown", 0.35, 0.45, 0.11, 0, 0.0),
                                  ("mirrored", 0.68, 0.50, 0.10, 5, 0.0)]),
    ("empty", 1.5, "hubble_deep_field.jpg", []),
]
FADE = 0.5  # seconds of cross-fade from "tilted" into "pair"; every other change is a cut


def draw_shot(heads, bgs, shot, w, h, t):
    name, _, bg, faces = shot
    frame = bgs[bg].copy()
    boxes = [heads.paste(frame, v, (x + dx * t) * w, y * h, fw * w, a)
             for v, x, y, fw, a, dx in faces]
    return frame, boxes


def group(heads, bgs, w, h, t):
    cycle = sum(s[1] for s in SHOTS)
    t = math.fmod(t, cycle)
    start = 0.0
    for i, shot in enumerate(SHOTS):
        if t < start + shot[1]:
            break
        start += shot[1]
    frame, boxes = draw_shot(heads, bgs, shot, w, h, t - start)
    if shot[0] == "pair" and t - start < FADE:  # cross-fade from the previous shot
        a = (t - start) / FADE
        prev, prev_boxes = draw_shot(heads, bgs, SHOTS[i - 1], w, h, SHOTS[i - 1][1] + t - start)
        frame = cv2.addWeighted(prev, 1 - a, frame, a, 0)
        return frame, (prev_boxes if a < 0.5 else boxes), "fade"
    return frame, boxes, shot[0]


# The fades scene: the "two" shot (1.5 s), a fade to black (0.75 s), 0.25 s of black, a fade
# in from black (0.75 s) into the "pair" shot (1.75 s): 5 s, no hard cut.
FADES = [("two", 1.5), ("fade-out", 0.75), ("black", 0.25), ("fade-in", 0.75), ("pair", 1.75)]


def fades(heads, bgs, w, h, t):
    start = 0.0
    for name, length in FADES:
        if t < start + length or name == FADES[-1][0]:
            break
        start += length
    two = next(s for s in SHOTS if s[0] == "two")
    pair = next(s for s in SHOTS if s[0] == "pair")
    if name in ("two", "fade-out"):
        frame, boxes = draw_shot(heads, bgs, two, w, h, t)
    else:
        frame, boxes = draw_shot(heads, bgs, pair, w, h, t - start)
    if name == "black":
        return frame * 0, [], name
    if name in ("fade-out", "fade-in"):
        a = (t - start) / length
        k = 1 - a if name == "fade-out" else a
        return cv2.convertScaleAbs(frame, alpha=k), boxes, name
    return frame, boxes, name


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("scene", choices=["moving", "group", "fades"])
    p.add_argument("seconds", type=float)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--truth", help="write the drawn face boxes here (JSON Lines)")
    args = p.parse_args()
    w, h = map(int, args.size.split("x"))
    heads = Heads()
    bgs = {n: background(n, w, h) for n in
           ["grass.png"] + [s[2] for s in SHOTS]}
    draw = {"moving": moving, "group": group, "fades": fades}[args.scene]
    truth = open(args.truth, "w") if args.truth else None
    out = sys.stdout.buffer
    for n in range(round(args.seconds * args.fps)):
        frame, boxes, shot = draw(heads, bgs, w, h, n / args.fps)
        out.write(frame.tobytes())
        if truth:
            truth.write(json.dumps({"frame": n, "shot": shot, "faces": boxes}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
