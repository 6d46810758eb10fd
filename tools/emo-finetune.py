#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fine-tunes the emotion CNN (models/emotion-cnn.onnx) on aligned face crops with
python3-torch, by identity-grouped cross-validation, and exports the result to ONNX.

Normally run by `emo-train --kind finetuned` (the default kind), which extracts the crops and
folds into a temporary directory itself. Input: a directory as `emo-train --dump-crops DIR`
writes it (DIR/<index>.png aligned crops, DIR/samples.csv, DIR/folds.csv: the same
identity-grouped folds emo-train uses).

    tools/emo-finetune.py DIR --labels anger,disgust,happiness,neutral,sadness,surprise \
        [--epochs 3] [--freeze 1+2] [--output models/emotion-finetuned.onnx]

The network is rebuilt in torch from the ONNX model's own nodes and weights. `--freeze 1`
keeps the layers up to the first residual block fixed (their outputs are computed once) and
trains the last residual block (lr / 10) and a new final 3x3 convolution with one output per
label (lr); `--freeze 2` keeps both blocks and trains only the new convolution; `--freeze 1+2`
(the default) trains both heads and exports one model whose scores are their mean softmax
(the trunk runs once, the last block twice: original and fine-tuned). Adam, class-weighted
cross-entropy (`--balance`, `--label-smoothing`), random horizontal flips. Prints per-class
recall of the grouped cross-validation (all samples, whole-image crops, detected faces) and
the zero-shot CNN on the same folds; with --output, trains on everything and writes an ONNX
model with the same input and outputs ("scores"; "embedding": the first head's) and its
sidecar. Exit status 3 when torch, onnx, cv2 or numpy cannot be imported.
"""
import argparse
import csv
import json
import os
import sys
import time

# Exit status when a module is missing (emo-train --kind finetuned reports it as such).
MISSING_MODULE = 3

try:
    import cv2
    import numpy as np
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import numpy_helper
except ImportError as e:
    print(f"emo-finetune.py: {e} (interpreter {sys.executable}); fine-tuning needs "
          "PyTorch, ONNX, OpenCV and numpy for this python: on Debian, apt install "
          "python3-torch python3-onnx python3-opencv python3-numpy", file=sys.stderr)
    sys.exit(MISSING_MODULE)

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "models")


class OnnxNet(torch.nn.Module):
    """The ONNX graph of tfjs-emotion-to-onnx.py as a torch module (Conv with explicit
    asymmetric pads, Relu, MaxPool, Add, GlobalAveragePool, Flatten, Softmax)."""

    def __init__(self, path):
        super().__init__()
        m = onnx.load(path)
        self.nodes = list(m.graph.node)
        self.params = torch.nn.ParameterDict()
        for init in m.graph.initializer:
            self.params[init.name.replace(".", "_")] = torch.nn.Parameter(
                torch.from_numpy(numpy_helper.to_array(init).copy()))
        self.attrs = [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
                      for n in self.nodes]

    def p(self, name):
        return self.params[name.replace(".", "_")]

    def forward(self, x, start=None, stop=None, values=None):
        """Runs nodes from the one producing `start` (exclusive; its value in `values`) up to
        and including the one producing `stop`; returns the dict of values."""
        vals = dict(values or {})
        if start is None:
            vals["input"] = x
        running = start is None
        for n, a in zip(self.nodes, self.attrs):
            if not running:
                running = n.output[0] == start
                continue
            ins = [vals[i] if i in vals else self.p(i) for i in n.input]
            if n.op_type == "Conv":
                t, l, b, r = a["pads"]
                # Symmetric pads as the convolution's own (OpenCV 4.6 cannot import the Pad
                # node torch exports); asymmetric ones (TF SAME at stride 2) need F.pad.
                y, pad = (ins[0], (t, l)) if (t, l) == (b, r) else (F.pad(ins[0], (l, r, t, b)), 0)
                y = F.conv2d(y, ins[1], ins[2] if len(ins) > 2 else None,
                             stride=tuple(a["strides"]), padding=pad, groups=a.get("group", 1))
            elif n.op_type == "Relu":
                y = F.relu(ins[0])
            elif n.op_type == "MaxPool":
                t, l, b, r = a["pads"]
                if (t, l) == (b, r):  # max_pool2d pads with -inf itself
                    y = F.max_pool2d(ins[0], tuple(a["kernel_shape"]), tuple(a["strides"]), (t, l))
                else:
                    y = F.pad(ins[0], (l, r, t, b), value=float("-inf"))
                    y = F.max_pool2d(y, tuple(a["kernel_shape"]), tuple(a["strides"]))
            elif n.op_type == "Add":
                y = ins[0] + ins[1]
            elif n.op_type == "GlobalAveragePool":
                y = ins[0].mean(dim=(2, 3), keepdim=True)
            elif n.op_type == "Flatten":
                y = ins[0].flatten(1)
            elif n.op_type == "Softmax":
                y = F.softmax(ins[0], dim=1)
            else:
                raise ValueError(n.op_type)
            vals[n.output[0]] = y
            if n.output[0] == stop:
                break
        return vals


class Head(torch.nn.Module):
    """The trainable part: the last residual block of `net` (nodes after `start` up to the
    final block's Add) and a new final 3x3 conv (256 -> classes) + mean + softmax."""

    def __init__(self, net, start, last_add, classes, final_conv):
        super().__init__()
        self.net, self.start, self.last_add = net, start, last_add
        w = net.p(final_conv.input[1]).detach()
        self.final = torch.nn.Conv2d(w.shape[1], classes, 3, padding=1)

    def forward(self, trunk):
        if self.start == self.last_add:  # both blocks fixed: only the new conv is trained
            block = trunk
        else:
            vals = self.net(None, start=self.start, stop=self.last_add,
                            values={self.start: trunk})
            block = vals[self.last_add]
        logits = self.final(block).mean(dim=(2, 3))
        return logits, block.mean(dim=(2, 3))


class Exported(torch.nn.Module):
    """The whole network: `net` (unchanged) up to `first`, then each head from its own start
    (the original layers from `first` to it); scores = the heads' mean softmax, embedding =
    the first head's."""

    def __init__(self, net, heads, first, offset):
        super().__init__()
        self.net, self.first = net, first
        self.register_buffer("offset", offset)  # log class priors added to every head's logits
        self.heads = torch.nn.ModuleList([h for h, _ in heads])
        self.starts = [st for _, st in heads]

    def forward(self, x):
        trunk = self.net(x, stop=self.first)[self.first]
        probs, emb = [], None
        for head, start in zip(self.heads, self.starts):
            t = trunk if start == self.first else self.net(
                None, start=self.first, stop=start, values={self.first: trunk})[start]
            logits, e = head(t)
            probs.append(F.softmax(logits + self.offset, dim=1))
            emb = e if emb is None else emb
        return sum(probs) / len(probs), emb


def graph_points(net):
    adds = [n for n in net.nodes if n.op_type == "Add"]
    convs = [n for n in net.nodes if n.op_type == "Conv"]
    return adds, convs[-1]


def load_dump(directory, labels):
    rows = {}
    for r in csv.reader(open(os.path.join(directory, "samples.csv"))):
        rows[int(r[0])] = r
    idx, y, fold, whole, groups = [], [], [], [], []
    for r in csv.reader(open(os.path.join(directory, "folds.csv"))):
        i, f = int(r[0]), int(r[1])
        s = rows[i]
        if s[1] not in labels or s[4] != "0":
            continue
        idx.append(i), y.append(labels.index(s[1])), fold.append(f), whole.append(s[3] == "1")
        groups.append(s[2])
    crops = np.stack([cv2.imread(os.path.join(directory, f"{i}.png"), cv2.IMREAD_GRAYSCALE)
                      for i in idx])
    x = crops.astype(np.float32)[:, None] / 127.5 - 1.0
    return x, np.array(y), np.array(fold), np.array(whole), groups


def recall_table(name, y, pred, whole, labels):
    """Accuracy, macro recall and recall per class: all samples, whole-image crops (CK+),
    detected faces (in the wild); "-" where a source has no sample of a class."""
    def rec(mask):
        return [float((pred[mask & (y == c)] == c).mean()) if (mask & (y == c)).any() else None
                for c in range(len(labels))]

    def macro(r):
        v = [x for x in r if x is not None]
        return f"{np.mean(v):.3f}" if v else "-"

    def cell(x):
        return f"{x:6.3f}" if x is not None else f"{'-':>6}"
    alls, w, d = rec(np.ones_like(whole)), rec(whole), rec(~whole)
    print(f"\n{name}: accuracy {float((pred == y).mean()):.3f}, macro recall {macro(alls)} "
          f"(whole-image {macro(w)}, detected {macro(d)})")
    print(f"{'class':<12} {'all':>6} {'whole':>6} {'detect':>6} {'n':>5}")
    for c, l in enumerate(labels):
        print(f"{l:<12} {cell(alls[c])} {cell(w[c])} {cell(d[c])} {int((y == c).sum()):5d}")
    sys.stdout.flush()


def train_head(net, start, last_add, final_conv, trunk, trunk_flip, y, classes, epochs, seed,
               lr=3e-3, smoothing=0.0, balance=1.0):
    """Trains a Head: the new final conv at `lr`, the last block's weights at lr / 10; class
    weights (n / (classes * count)) ** balance (1 = fully balanced, 0 = none); label smoothing."""
    torch.manual_seed(seed)
    head = Head(net, start, last_add, classes, final_conv)
    trainable = [p for n, p in head.named_parameters() if n.startswith("final")]
    # The last block's own weights: the initializers used by nodes after `start`.
    names = set()
    running = False
    for n in net.nodes:
        if running:
            names.update(i for i in n.input if i.replace(".", "_") in net.params)
        if n.output[0] == start:
            running = True
        if n.output[0] == last_add:
            break
    block_params = [net.p(nm) for nm in sorted(names)]
    for p in net.parameters():
        p.requires_grad_(False)
    for p in block_params:
        p.requires_grad_(True)
    opt = torch.optim.Adam([{"params": trainable, "lr": lr},
                            {"params": block_params, "lr": lr / 10}], weight_decay=1e-4)
    counts = np.bincount(y, minlength=classes).astype(np.float32)
    weight = torch.tensor((len(y) / (classes * np.maximum(counts, 1))) ** balance)
    yt = torch.from_numpy(y)
    n = len(y)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for b in range(0, n, 64):
            sel = order[b:b + 64]
            flip = rng.random(len(sel)) < 0.5
            xb = torch.where(torch.from_numpy(flip)[:, None, None, None],
                             trunk_flip[sel], trunk[sel])
            logits, _ = head(xb)
            loss = F.cross_entropy(logits, yt[sel], weight=weight, label_smoothing=smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
    for p in block_params:
        p.requires_grad_(False)
    return head


def probabilities(head, trunk, offset):
    """Softmax of the head's logits + `offset` (log class priors, see --prior)."""
    with torch.no_grad():
        return torch.cat([F.softmax(head(trunk[b:b + 256])[0] + offset, 1)
                          for b in range(0, len(trunk), 256)])


def parse_prior(text, labels):
    """'happiness=1.5,...' -> log factors per label (0 for the others)."""
    offset = torch.zeros(len(labels))
    for item in filter(None, (text or "").split(",")):
        name, _, value = item.partition("=")
        if name not in labels or not value or float(value) <= 0:
            raise ValueError(f"--prior: '{item}' is not LABEL=FACTOR with a label of --labels "
                             "and a factor > 0")
        offset[labels.index(name)] = float(np.log(float(value)))
    return offset


def inline_constant_identities(path):
    """torch.onnx.export writes an Identity node for a weight used twice (the original last
    block in an ensemble); OpenCV 4.6 DNN cannot import Identity on a constant, so each becomes
    a copy of the weight under the node's output name."""
    m = onnx.load(path)
    inits = {i.name: i for i in m.graph.initializer}
    keep = []
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[n.input[0]])
            copy.name = n.output[0]
            m.graph.initializer.append(copy)
        else:
            keep.append(n)
    if len(keep) != len(m.graph.node):
        del m.graph.node[:]
        m.graph.node.extend(keep)
        onnx.checker.check_model(m)
        onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", help="directory written by emo-train --dump-crops")
    ap.add_argument("--labels", required=True)
    ap.add_argument("--onnx", default=os.path.join(MODELS, "emotion-cnn.onnx"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--freeze", default="1+2",
                    help="residual blocks kept fixed: 1 (the last block is trained too), 2 "
                    "(only the new final conv), or 1+2 (both heads, their mean softmax)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--lr", type=float, default=3e-3,
                    help="learning rate of the new final conv (the block's: a tenth)")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--balance", type=float, default=1.0,
                    help="class weights (n / (classes * count)) ** BALANCE (0 = none)")
    ap.add_argument("--prior", default="",
                    help="LABEL=FACTOR,...: multiply a class's score by FACTOR before the "
                    "softmax of each head, at prediction (cross-validation and the exported "
                    "model), not in training")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--output", help="ONNX file to write (sidecar: same name, .json)")
    a = ap.parse_args()
    try:
        freezes = [int(v) for v in a.freeze.split("+")]
    except ValueError:
        freezes = []
    if not freezes or any(k not in (1, 2) for k in freezes) or len(set(freezes)) != len(freezes) \
            or a.epochs < 1:
        ap.error("--freeze must be 1, 2 or 1+2 and --epochs at least 1")
    torch.set_num_threads(2)
    hyper = dict(lr=a.lr, smoothing=a.label_smoothing, balance=a.balance)
    labels = a.labels.split(",")
    try:
        offset = parse_prior(a.prior, labels)
    except ValueError as e:
        ap.error(str(e))
    x, y, fold, whole, _ = load_dump(a.dump, labels)
    print(f"{len(y)} crops, {len(labels)} classes, {fold.max() + 1} folds")
    net = OnnxNet(a.onnx)
    adds, final_conv = graph_points(net)
    starts = [adds[k - 1].output[0] for k in freezes]  # each head's fixed trunk output
    first, deepest = adds[min(freezes) - 1].output[0], adds[max(freezes) - 1].output[0]
    last_add = adds[-1].output[0]
    t0 = time.time()
    with torch.no_grad():
        xt = torch.from_numpy(x)
        xf = torch.flip(xt, dims=(3,))

        def trunks(z):  # {start: features} for one pass up to the deepest start
            out = {st: [] for st in starts}
            for b in range(0, len(z), 256):
                v = net(z[b:b + 256], stop=deepest)
                for st in starts:
                    out[st].append(v[st])
            return {st: torch.cat(t) for st, t in out.items()}
        trunk, trunk_flip = trunks(xt), trunks(xf)
        # Zero-shot on the same crops, mapped by label name.
        spec = json.load(open(os.path.splitext(a.onnx)[0] + ".json"))
        scores = torch.cat([net(xt[b:b + 256])["scores"] for b in range(0, len(x), 256)]).numpy()
    print(f"trunk features in {time.time() - t0:.1f} s")
    cols = [spec["labels"].index(l) if l in spec["labels"] else None for l in labels]
    zs = np.stack([scores[:, c] if c is not None else np.full(len(y), -1.0) for c in cols], 1)
    recall_table("CNN zero-shot", y, zs.argmax(1), whole, labels)

    if not a.no_cv:
        pred = np.zeros_like(y)
        t0 = time.time()
        for f in range(fold.max() + 1):
            tr, te = fold != f, fold == f
            p = 0
            for st in starts:
                head = train_head(OnnxNet(a.onnx), st, last_add, final_conv, trunk[st][tr],
                                  trunk_flip[st][tr], y[tr], len(labels), a.epochs, a.seed + f,
                                  **hyper)
                p = p + probabilities(head, trunk[st][te], offset)
            pred[te] = p.argmax(1).numpy()
            print(f"fold {f + 1}: {time.time() - t0:.0f} s", file=sys.stderr)
        recall_table(f"fine-tuned ({a.epochs} epochs, {a.freeze} blocks frozen"
                     f"{', prior ' + a.prior if a.prior else ''}), grouped CV",
                     y, pred, whole, labels)

    if a.output:
        heads = [(train_head(OnnxNet(a.onnx), st, last_add, final_conv, trunk[st],
                             trunk_flip[st], y, len(labels), a.epochs, a.seed, **hyper), st)
                 for st in starts]
        model = Exported(net, heads, first, offset).eval()
        torch.onnx.export(model, torch.zeros(1, 1, 64, 64), a.output, opset_version=11,
                          input_names=["input"], output_names=["scores", "embedding"],
                          dynamic_axes={"input": {0: "N"}, "scores": {0: "N"},
                                        "embedding": {0: "N"}})
        inline_constant_identities(a.output)
        spec.update(model=os.path.basename(a.output), labels=labels,
                    license=spec["license"] + "; fine-tuned on the images given to emo-train, "
                    "whose terms apply as well",
                    source=spec["source"] + f"; fine-tuned by tools/emo-finetune.py "
                    f"({a.epochs} epochs, {a.freeze} blocks frozen, lr {a.lr:g}, label "
                    f"smoothing {a.label_smoothing:g}, balance {a.balance:g}, prior "
                    f"{a.prior or 'none'}, seed {a.seed}, "
                    f"{len(y)} crops)")
        json.dump(spec, open(os.path.splitext(a.output)[0] + ".json", "w"), indent=2)
        print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
