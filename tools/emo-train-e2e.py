#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trains face-api's FaceExpressionNet end to end (every layer) on FER+ with python3-torch and
exports a 6-class emotion CNN (ONNX with a free batch dimension + gst-emo sidecar).

    tools/emo-train-e2e.py DUMP --ferplus ../shared/data/ferplus/labels.csv \
        --manifest models/faceapi/face_expression_model-weights_manifest.json \
        [--epochs 6] [--holdout 0] --output models/emotion-ferplus-e2e.onnx
    tools/emo-train-e2e.py DUMP --ferplus ... --init A.pt --schedule cosine --lr 1e-3 \
        --epochs 3 --vote-weight happiness=2 --motion-blur 0.15 --jpeg 0.2 --output B.onnx

DUMP is a crop dump as `emo-train --dump-crops DIR` writes it (DIR/<index>.png grey aligned
crops, samples.csv, folds.csv; docs/training-ferplus.md), read with tools/emo-finetune.py's
load_dump(): the same classes, the same FER+ de-duplication and the same majority labels as
every other figure of docs/training-ferplus.md.

Network: FaceExpressionNet (tools/faceapi-expression-to-onnx.py: four dense blocks of
depthwise-separable convolutions, 112 x 112) rebuilt in torch from the npm package's TF.js
weights, with grey input (the grey crop given to R, G and B, as the converted model does),
and a new fully connected layer 256 -> one output per label. All layers are trained: the new
layer at --lr, the rest at --lr x --trunk-lr.

Training set: FER+ train (targets: the crowd votes over the labels, single votes dropped,
normalised: FER+'s probability mode) + the folder images (CK+48, faces-wild; one-hot) of every
identity-grouped fold except --holdout (-1: all folds). Augmentation per batch: horizontal flip,
rotation, scale and shift (one affine warp), brightness and contrast, and for a share of the
crops a down- and up-sampling (a small, soft video face); optionally what video does to a face
(--motion-blur, --gamma, --noise, --jpeg; off by default). Class weights (n / (classes x
count)) ^ --balance. AdamW, --epochs passes, learning rate one-cycle (the default) or, to
continue from saved weights (--init FILE.pt, as --save writes), a cosine or step decay.
--vote-weight happiness=2 multiplies a label's FER+ votes before they are normalised (the
crowd often splits a faint smile between happiness and neutral; the printed count says how
many train faces' top target changed).

Measured (printed): FER+ valid after each epoch (the figure settings are chosen on), and at the
end FER+ valid and test without the images whose dup_group appears in an earlier split (the
majority label, accuracy), and the held-out fold's faces-wild and CK+ recall per class.
Exit status 3 when torch, onnx, cv2 or numpy cannot be imported.
"""
import argparse
import importlib.util
import json
import math
import os
import sys
import time

MISSING_MODULE = 3
try:
    import numpy as np
    import onnx
    import torch
    import torch.nn.functional as F
    import cv2
    from onnx import numpy_helper
except ImportError as e:
    print(f"emo-train-e2e.py: {e} (interpreter {sys.executable}); needs python3-torch, "
          "python3-onnx, python3-opencv, python3-numpy", file=sys.stderr)
    sys.exit(MISSING_MODULE)

HERE = os.path.dirname(os.path.abspath(__file__))


def _module(file_name, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file_name))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


finetune = _module("emo-finetune.py", "emo_finetune")
faceapi = _module("faceapi-expression-to-onnx.py", "faceapi_expression_to_onnx")

SIZE = faceapi.SIZE
GREY_MEAN = float(np.mean(faceapi.MEAN_RGB)) / 255


class SepConv(torch.nn.Module):
    """tf.separableConv2d with 'same' padding on a `size` x `size` input (TF puts the extra
    row/column at the end at stride 2)."""

    def __init__(self, cin, cout, stride, size):
        super().__init__()
        self.pads = same_pads(size, stride)
        sym = self.pads[0] == self.pads[1]
        self.dw = torch.nn.Conv2d(cin, cin, 3, stride, self.pads[0] if sym else 0, groups=cin,
                                  bias=False)
        self.pw = torch.nn.Conv2d(cin, cout, 1)
        self.sym = sym

    def forward(self, x):
        return self.pw(self.dw(x if self.sym else pad(x, self.pads)))


def same_pads(size, stride):
    t, b, _ = faceapi.same_pads(size, 3, stride)
    return t, b


def pad(x, pads):
    """Constant pads (start, end) on both spatial axes; export() folds them into the Conv."""
    return F.pad(x, (pads[0], pads[1], pads[0], pads[1]))


class DenseBlock(torch.nn.Module):
    def __init__(self, cin, cout, first, size):
        super().__init__()
        self.first = first
        self.pads = same_pads(size, 2)
        self.conv0 = torch.nn.Conv2d(cin, cout, 3, 2) if first else SepConv(cin, cout, 2, size)
        self.conv1, self.conv2, self.conv3 = (SepConv(cout, cout, 1, size // 2) for _ in range(3))

    def forward(self, x):
        out1 = F.relu(self.conv0(pad(x, self.pads)) if self.first else self.conv0(x))
        s = out1 + self.conv1(out1)
        s = s + self.conv2(F.relu(s))
        return F.relu(s + self.conv3(F.relu(s)))


class FaceExpressionNet(torch.nn.Module):
    """Input [N, 1, 112, 112] grey in [0, 1]; outputs (softmax scores [N, classes], embedding
    [N, 256]). The grey crop minus the mean of face-api's RGB means, then face-api's first
    convolution with its three colour filters summed (R = G = B)."""

    def __init__(self, classes):
        super().__init__()
        chans = [1, 32, 64, 128, 256]
        self.blocks = torch.nn.ModuleList(
            DenseBlock(chans[i], chans[i + 1], i == 0, SIZE >> i) for i in range(4))
        self.fc = torch.nn.Linear(256, classes)

    def embed(self, x):
        x = x - GREY_MEAN
        for b in self.blocks:
            x = b(x)
        return x.mean(dim=(2, 3))

    def forward(self, x):
        e = self.embed(x)
        return F.softmax(self.fc(e), dim=1), e

    def load_faceapi(self, manifest):
        """The TF.js weights (dequantised as face-api does); the fully connected layer is
        left new (its classes are ours)."""
        W = faceapi.load_manifest_weights(manifest)

        def t(a):
            return torch.from_numpy(np.ascontiguousarray(a, np.float32))

        def sep(m, p):
            m.dw.weight.data = t(W[p + "/depthwise_filter"].transpose(2, 3, 0, 1))
            m.pw.weight.data = t(W[p + "/pointwise_filter"].transpose(3, 2, 0, 1))
            m.pw.bias.data = t(W[p + "/bias"])
        for d, blk in enumerate(self.blocks):
            p = f"dense{d}"
            if d == 0:
                w = W[p + "/conv0/filters"].transpose(3, 2, 0, 1)  # [32, 3, 3, 3]
                blk.conv0.weight.data = t(w.sum(axis=1, keepdims=True))
                # The colour means differ from the grey one by a constant per channel.
                delta = (GREY_MEAN - np.array(faceapi.MEAN_RGB) / 255).astype(np.float32)
                blk.conv0.bias.data = t(W[p + "/conv0/bias"] +
                                        (w * delta[None, :, None, None]).sum(axis=(1, 2, 3)))
            else:
                sep(blk.conv0, p + "/conv0")
            for k in (1, 2, 3):
                sep(getattr(blk, f"conv{k}"), f"{p}/conv{k}")


def augment(x, rng, a):
    """x: float [N, 1, S, S] in [0, 1]. Flip, one affine warp (rotation, scale, shift),
    brightness/contrast, and for a share of the crops a down- and up-sampling."""
    n = x.shape[0]
    ang = torch.from_numpy(rng.uniform(-a.rotate, a.rotate, n) * math.pi / 180).float()
    sc = torch.from_numpy(rng.uniform(1 - a.scale, 1 + a.scale, n)).float()
    flip = torch.from_numpy(np.where(rng.random(n) < 0.5, -1.0, 1.0)).float()
    sh = torch.from_numpy(rng.uniform(-a.shift, a.shift, (n, 2))).float()
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack([torch.stack([cos * flip, -sin, sh[:, 0]], 1),
                         torch.stack([sin * flip, cos, sh[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    small = np.flatnonzero(rng.random(n) < a.blur)
    if len(small):
        side = int(rng.integers(20, 56))
        s = F.interpolate(x[small], size=(side, side), mode="area")
        x[small] = F.interpolate(s, size=x.shape[-2:], mode="bilinear", align_corners=False)
    c = torch.from_numpy(rng.uniform(1 - a.contrast, 1 + a.contrast, (n, 1, 1, 1))).float()
    b = torch.from_numpy(rng.uniform(-a.brightness, a.brightness, (n, 1, 1, 1))).float()
    m = x.mean(dim=(2, 3), keepdim=True)
    x = ((x - m) * c + m + b).clamp(0, 1)
    return video_like(x, rng, a)


def video_like(x, rng, a):
    """What a video frame does to a face, each on its own share of the crops (0: off, and no
    random number drawn, so the default run is unchanged): motion blur (a line kernel of 3-9
    px at a random angle), gamma (lamp light, log-uniform in 1/g..g), Gaussian noise (sigma
    up to --noise, in [0, 1] units) and JPEG compression (quality 20-70)."""
    n = x.shape[0]
    if a.motion_blur > 0:
        sel = np.flatnonzero(rng.random(n) < a.motion_blur)
        if len(sel):
            x[sel] = F.conv2d(F.pad(x[sel], (4, 4, 4, 4), mode="replicate"),
                              motion_kernel(int(rng.integers(3, 10)), rng.uniform(0, 180)))
    if a.gamma > 1:
        g = np.exp(rng.uniform(-math.log(a.gamma), math.log(a.gamma), (n, 1, 1, 1)))
        g[rng.random(n) >= 0.5] = 1
        x = x.clamp(1e-4, 1) ** torch.from_numpy(g).float()
    if a.noise > 0:
        sigma = rng.uniform(0, a.noise, (n, 1, 1, 1)) * (rng.random((n, 1, 1, 1)) < 0.5)
        x = (x + torch.from_numpy(sigma).float() * torch.randn_like(x)).clamp(0, 1)
    if a.jpeg > 0:
        for i in np.flatnonzero(rng.random(n) < a.jpeg):
            img = (x[i, 0] * 255).round().byte().numpy()
            quality = int(rng.integers(20, 71))
            _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
            x[i, 0] = torch.from_numpy(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)).float() / 255
    return x


def motion_kernel(length, degrees):
    """[1, 1, 9, 9] kernel: a line of `length` px through the centre at `degrees`, sum 1."""
    k = np.zeros((9, 9), np.float32)
    t = math.radians(degrees)
    for r in np.linspace(-(length - 1) / 2, (length - 1) / 2, length * 2):
        k[int(round(4 + r * math.sin(t))), int(round(4 + r * math.cos(t)))] = 1
    return torch.from_numpy(k / k.sum())[None, None]


def parse_vote_weights(text, labels):
    """'happiness=2,sadness=1.5' -> weight per label (1 for the rest); raises ValueError."""
    w = np.ones(len(labels), np.float32)
    for item in filter(None, (text or "").split(",")):
        name, _, value = item.partition("=")
        if name not in labels:
            raise ValueError(f"--vote-weight: {name!r} is not one of {','.join(labels)}")
        w[labels.index(name)] = float(value)
        if not w[labels.index(name)] > 0:
            raise ValueError(f"--vote-weight: {item!r} must be a positive number")
    return w


def reweight_votes(soft, rows, w):
    """FER+'s soft targets of `rows` with each label's votes multiplied by w, normalised again
    (the same as weighting the vote counts: a 4 happiness / 6 neutral face becomes 8 / 6 with
    happiness=2). Returns the new targets and how many of those faces' argmax changed."""
    out = soft.copy()
    t = out[rows] * w
    out[rows] = t / np.maximum(t.sum(1, keepdims=True), 1e-12)
    return out, int((out[rows].argmax(1) != soft[rows].argmax(1)).sum())


def scheduler(opt, a, peaks, total):
    """onecycle (warm-up then down, for a start from face-api's weights), cosine (from the
    peak down to 1 % of it: for a run continuing from --init), or step (x --step-gamma each
    epoch); stepped once per batch."""
    if a.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peaks, total_steps=total,
                                                   pct_start=0.15)
    if a.schedule == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    per_epoch = total // a.epochs
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: a.step_gamma ** (s // per_epoch))


def predict(net, crops, rows, batch=256):
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            x = torch.from_numpy(crops[rows[i:i + batch]]).float()[:, None] / 255
            x = x.contiguous(memory_format=torch.channels_last)
            out.append(net(x)[0])
    net.train()
    return torch.cat(out).numpy() if out else np.zeros((0, net.fc.out_features), np.float32)


def load(a, labels):
    """The dump via emo-finetune.py's load_dump(), cached as one .npz beside it."""
    cache = os.path.join(a.dump, f"e2e-cache-{'-'.join(labels)}.npz")
    if os.path.exists(cache) and not a.no_cache:
        z = np.load(cache)
        d = finetune.Dump()
        for k in z.files:
            setattr(d, k, z[k])
        return d, True
    d = finetune.load_dump(a.dump, labels, SIZE, a.ferplus)
    if not a.no_cache:
        tmp = cache + ".part.npz"
        np.savez(tmp, **{k: getattr(d, k) for k in
                         ("crops", "idx", "y", "fold", "whole", "source", "soft", "dup")})
        os.replace(tmp, cache)
    return d, False


def fold_pads(model, pads):
    """torch exports F.pad as a Pad node fed by a chain computing its pads; each Pad (graph
    order = `pads`, the modules' (start, end) in forward order) becomes its Conv's own
    asymmetric pads, and the dead chain goes: a graph of plain Conv nodes (OpenCV 4.6 DNN
    reads it too). Raises when the graph is not as expected."""
    g = model.graph
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    pad_nodes = [n for n in g.node if n.op_type == "Pad"]
    if len(pad_nodes) != len(pads):
        raise ValueError(f"{len(pad_nodes)} Pad nodes, {len(pads)} expected")
    for n, (start, end) in zip(pad_nodes, pads):
        (conv,) = users[n.output[0]]
        attr = [x for x in conv.attribute if x.name == "pads"]
        if conv.op_type != "Conv" or (attr and any(attr[0].ints)):
            raise ValueError(f"Pad {n.name} does not feed an unpadded Conv")
        for x in attr:
            conv.attribute.remove(x)
        conv.attribute.append(onnx.helper.make_attribute("pads", [start, start, end, end]))
        conv.input[0] = n.input[0]
        g.node.remove(n)
    # Drop the nodes whose outputs nothing uses any more.
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    return len(pads)


def export(net, path, labels, note):
    """ONNX (opset 11) with a free batch dimension: input [N, 1, 112, 112] grey in [0, 1],
    outputs scores [N, labels] (softmax) and embedding [N, 256]; and the sidecar."""
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 1, SIZE, SIZE), path, opset_version=11,
                      input_names=["input"], output_names=["scores", "embedding"],
                      dynamic_axes={"input": {0: "N"}, "scores": {0: "N"},
                                    "embedding": {0: "N"}})
    model = onnx.load(path)
    fold_pads(model, [blk.pads for blk in net.blocks])
    model.producer_name = "gst-emo tools/emo-train-e2e.py"
    onnx.checker.check_model(model)
    onnx.save(model, path)
    spec = faceapi.sidecar(path)
    spec["labels"] = labels
    spec["source"] = (spec["source"].split("; converted by")[0] + "; rebuilt in torch from its "
                      "TF.js weights (grey input: the first convolution's colour filters "
                      "summed)" + note)
    spec["license"] += ("; every layer trained on the images given to "
                        "tools/emo-train-e2e.py, whose terms apply as well")
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", help="directory written by emo-train --dump-crops (112 px crops)")
    ap.add_argument("--ferplus", required=True, help="FER+'s labels.csv")
    ap.add_argument("--manifest", default=os.path.join(
        HERE, "..", "models", "faceapi", "face_expression_model-weights_manifest.json"))
    ap.add_argument("--labels", default="anger,disgust,happiness,neutral,sadness,surprise")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3, help="peak lr of the new layer")
    ap.add_argument("--trunk-lr", type=float, default=0.5,
                    help="the pretrained layers' lr as a share of --lr")
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--balance", type=float, default=0.3)
    ap.add_argument("--holdout", type=int, default=0,
                    help="identity-grouped fold of the folder images left out of training "
                    "and measured (-1: train on every fold)")
    ap.add_argument("--ferplus-train-max", type=int, default=0, help="0 = all of FER+ train")
    ap.add_argument("--rotate", type=float, default=10, help="degrees, +-")
    ap.add_argument("--scale", type=float, default=0.08, help="share, +-")
    ap.add_argument("--shift", type=float, default=0.06, help="share of half the side, +-")
    ap.add_argument("--brightness", type=float, default=0.12)
    ap.add_argument("--contrast", type=float, default=0.3)
    ap.add_argument("--blur", type=float, default=0.25,
                    help="share of crops down-sampled to 20-55 px and back")
    ap.add_argument("--motion-blur", type=float, default=0,
                    help="share of crops given a motion blur of 3-9 px (0: off)")
    ap.add_argument("--gamma", type=float, default=1,
                    help="half the crops get a gamma in 1/G..G (1: off)")
    ap.add_argument("--noise", type=float, default=0,
                    help="half the crops get Gaussian noise of sigma up to this, 0-1 units")
    ap.add_argument("--jpeg", type=float, default=0,
                    help="share of crops JPEG-compressed at quality 20-70 (0: off)")
    ap.add_argument("--vote-weight", default="",
                    help="LABEL=W[,...]: multiply that label's FER+ votes by W before they are "
                    "normalised into soft targets (happiness=2: a 4 happiness / 6 neutral face "
                    "teaches mostly happiness); the count of faces whose top target changes "
                    "is printed")
    ap.add_argument("--init", help="torch weights (.pt, as --save writes) to start from "
                    "instead of face-api's (same --labels)")
    ap.add_argument("--schedule", choices=["onecycle", "cosine", "step"], default="onecycle",
                    help="lr over the run: onecycle (warm-up, for a start from face-api), "
                    "cosine (decay from the peak, for --init), step (x --step-gamma per epoch)")
    ap.add_argument("--step-gamma", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared 2-core machine two threads spent "
                    "4x longer per batch, waiting for each other)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N batches "
                    "(timing and tests)")
    ap.add_argument("--no-cache", action="store_true", help="do not read/write the .npz cache")
    ap.add_argument("--save", help="also keep the torch weights (.pt)")
    ap.add_argument("--output", help="ONNX file to write (sidecar: same name, .json)")
    a = ap.parse_args()
    if a.epochs < 1:
        ap.error("--epochs must be at least 1")
    try:
        vote_w = parse_vote_weights(a.vote_weight, a.labels.split(","))
    except ValueError as e:
        ap.error(str(e))
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    labels = a.labels.split(",")
    t_start = time.time()
    d, cached = load(a, labels)
    other = d.source == finetune.OTHER
    train_rows = np.flatnonzero(d.source == finetune.FER_TRAIN)
    n_fer = len(train_rows)
    if a.ferplus_train_max and n_fer > a.ferplus_train_max:
        train_rows = np.sort(rng.permutation(train_rows)[:a.ferplus_train_max])
    folder_train = np.flatnonzero(other & (d.fold != a.holdout))
    held = np.flatnonzero(other & (d.fold == a.holdout))
    train_rows = np.concatenate([train_rows, folder_train])
    valid = np.flatnonzero((d.source == finetune.FER_VALID) & ~d.dup)
    test = np.flatnonzero((d.source == finetune.FER_TEST) & ~d.dup)
    print(f"{len(d.y)} crops of {len(labels)} classes loaded in {time.time() - t_start:.0f} s"
          f"{' (cache)' if cached else ''}: training on FER+ train "
          f"{len(train_rows) - len(folder_train)} of {n_fer} (votes) + {len(folder_train)} "
          f"folder crops (CK+48, faces-wild; fold {a.holdout} held out: {len(held)} crops); "
          f"FER+ valid {len(valid)}, test {len(test)} (duplicates of an earlier split left out)")
    sys.stdout.flush()

    net = FaceExpressionNet(len(labels))
    net.load_faceapi(a.manifest)
    if a.init:
        state = torch.load(a.init)
        if state["fc.weight"].shape[0] != len(labels):
            sys.exit(f"emo-train-e2e.py: {a.init} has {state['fc.weight'].shape[0]} outputs, "
                     f"--labels has {len(labels)}")
        net.load_state_dict(state)
        print(f"starting from {a.init}")
    net = net.to(memory_format=torch.channels_last)  # oneDNN's fast depthwise path
    head = list(net.fc.parameters())
    trunk = [p for n, p in net.named_parameters() if not n.startswith("fc.")]
    opt = torch.optim.AdamW([{"params": head, "lr": a.lr},
                             {"params": trunk, "lr": a.lr * a.trunk_lr}],
                            weight_decay=a.weight_decay)
    steps_per_epoch = math.ceil(len(train_rows) / a.batch)
    if a.max_steps:
        steps_per_epoch = min(steps_per_epoch, a.max_steps)
    sched = scheduler(opt, a, [a.lr, a.lr * a.trunk_lr], a.epochs * steps_per_epoch)
    counts = np.bincount(d.y[train_rows], minlength=len(labels)).astype(np.float32)
    cw = torch.from_numpy((len(train_rows) / (len(labels) * np.maximum(counts, 1))) **
                          a.balance).float()
    fer_train = train_rows[:len(train_rows) - len(folder_train)]
    soft_np = d.soft
    if (vote_w != 1).any():
        soft_np, flipped = reweight_votes(d.soft, fer_train, vote_w)
        print(f"vote weights {a.vote_weight}: the top target of {flipped} of {len(fer_train)} "
              "FER+ train faces changed")
    soft = torch.from_numpy(soft_np).float()
    soft[torch.from_numpy(other)] = torch.eye(len(labels))[torch.from_numpy(d.y[other])]
    print("class weights: " + ", ".join(f"{l} {w:.2f}" for l, w in zip(labels, cw.tolist())))
    for epoch in range(a.epochs):
        t0 = time.time()
        order = train_rows[rng.permutation(len(train_rows))]
        total = 0.0
        for s in range(steps_per_epoch):
            sel = order[s * a.batch:(s + 1) * a.batch]
            x = augment(torch.from_numpy(d.crops[sel]).float()[:, None] / 255, rng, a)
            x = x.contiguous(memory_format=torch.channels_last)
            logits = net.fc(net.embed(x))
            target = soft[sel]
            loss = (-(F.log_softmax(logits, 1) * target * cw).sum(1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
            if s == 9 and epoch == 0:
                print(f"  10 batches in {time.time() - t0:.1f} s: an epoch is about "
                      f"{(time.time() - t0) / 10 * steps_per_epoch / 60:.1f} min")
                sys.stdout.flush()
        acc = (predict(net, d.crops, valid).argmax(1) == d.y[valid]).mean() if len(valid) else 0
        print(f"epoch {epoch + 1}/{a.epochs}: loss {total / steps_per_epoch:.3f}, FER+ valid "
              f"{acc:.3f}, {time.time() - t0:.0f} s")
        sys.stdout.flush()
        if a.save:
            torch.save(net.state_dict(), a.save)
    for name, rows in (("valid", valid), ("test", test)):
        if len(rows):
            finetune.ferplus_table(f"FER+ {name} (without duplicates of an earlier split)",
                                   d.y[rows], predict(net, d.crops, rows).argmax(1), labels)
    if len(held):
        finetune.recall_table(f"held-out fold {a.holdout} (identities never trained on)",
                              d.y[held], predict(net, d.crops, held).argmax(1), d.whole[held],
                              labels)
    if a.output:
        extra = "".join(f", {k} {v}" for k, v in (
            ("init", a.init and os.path.basename(a.init)), ("schedule", a.schedule),
            ("vote weights", a.vote_weight), ("motion blur", a.motion_blur), ("gamma", a.gamma),
            ("noise", a.noise), ("jpeg", a.jpeg)) if v and not (k == "schedule" and
                                                                v == "onecycle")
            and not (k == "gamma" and v == 1))
        note = (f"; every layer trained end to end by tools/emo-train-e2e.py ({a.epochs} epochs, "
                f"lr {a.lr:g} (trunk x{a.trunk_lr:g}), balance {a.balance:g}, seed {a.seed}"
                f"{extra}) "
                f"on FER+ train {len(train_rows) - len(folder_train)} (votes) + "
                f"{len(folder_train)} CK+48/faces-wild crops (fold {a.holdout} held out)")
        export(net, a.output, labels, note)
        print(f"wrote {a.output} and its sidecar (total {time.time() - t_start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
