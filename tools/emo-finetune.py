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

`--ferplus labels.csv` (emo-train --ferplus DIR): the dump's images whose path ends in a
labels.csv `file` (split/label/name.png) are FER+ images. FER+ train is in every training set
(each fold and the final model), with the crowd votes over --labels as soft targets
(`--ferplus-targets votes`, FER+'s probability mode; or `majority`); FER+ valid and test are
never trained on and are measured without the images whose dup_group also appears in an
earlier split (valid: train; test: train or valid). The fixed trunk's features are kept as
float16.
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


FERPLUS_CLASSES = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt"]
# Sample sources (load_dump): the --whole-image / --detect folders (identity-grouped folds),
# and FER+'s own splits.
OTHER, FER_TRAIN, FER_VALID, FER_TEST = 0, 1, 2, 3


def load_ferplus(path):
    """labels.csv of ../shared/data/ferplus: {'split/label/file.png': (split, votes over
    FERPLUS_CLASSES, dup_group)} and the set of dup_groups of each split."""
    rows, groups = {}, {"train": set(), "valid": set(), "test": set()}
    for r in csv.DictReader(open(path)):
        rows[r["file"]] = (r["split"], np.array([float(r[c]) for c in FERPLUS_CLASSES]),
                           r["dup_group"])
        groups[r["split"]].add(r["dup_group"])
    return rows, groups


class Dump:
    """The crops of a dump and what is known of each: label index, fold, whole-image, source
    (OTHER or a FER+ split), soft target (FER+ votes over the labels; one-hot otherwise), and
    for FER+ valid/test whether an identical image (dup_group) is in an earlier split."""


def load_dump(directory, labels, size, ferplus=None):
    rows = {}
    for r in csv.reader(open(os.path.join(directory, "samples.csv"))):
        rows[int(r[0])] = r
    fer, fer_groups = load_ferplus(ferplus) if ferplus else ({}, None)
    d = Dump()
    idx, y, fold, whole, source, soft, dup = [], [], [], [], [], [], []
    for r in csv.reader(open(os.path.join(directory, "folds.csv"))):
        i, f = int(r[0]), int(r[1])
        s = rows[i]
        if s[1] not in labels or s[4] != "0":
            continue
        key = "/".join(s[5].replace("\\", "/").split("/")[-3:])
        c = labels.index(s[1])
        target = np.eye(len(labels))[c]
        src, is_dup = OTHER, False
        if key in fer:
            split, votes, group = fer[key]
            src = {"train": FER_TRAIN, "valid": FER_VALID, "test": FER_TEST}[split]
            v = np.array([votes[FERPLUS_CLASSES.index(l)] if l in FERPLUS_CLASSES else 0.0
                          for l in labels])
            # FER+'s "probability" mode over the classes kept: single votes are noise
            # (as in its majority rule), the rest normalised.
            v[v <= 1] = 0
            if v.sum() > 0:
                target = v / v.sum()
            is_dup = split != "train" and (group in fer_groups["train"] or (
                split == "test" and group in fer_groups["valid"]))
        idx.append(i), y.append(c), fold.append(f), whole.append(s[3] == "1")
        source.append(src), soft.append(target), dup.append(is_dup)
    crops = []
    for i in idx:
        c = cv2.imread(os.path.join(directory, f"{i}.png"), cv2.IMREAD_GRAYSCALE)
        if c.shape != (size, size):
            c = cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA)
        crops.append(c)
    d.crops = np.stack(crops)
    d.idx = np.array(idx)
    d.y, d.fold, d.whole = np.array(y), np.array(fold), np.array(whole)
    d.source, d.soft = np.array(source), np.array(soft, np.float32)
    d.dup = np.array(dup)
    return d


def cnn_outputs(onnx_path, spec, d, rows, cache):
    """OpenCV DNN's outputs (embedding, then scores) of the crops `rows` of dump `d`, as
    emoclassify computes them (the sidecar's scale and offset), [len(d.y), E + C] float32 with
    NaN in the rows not asked for. Cached by sample index in the .npy file `cache`: only rows
    not there yet are run (in batches of 256 when the model takes any batch, else one by
    one)."""
    net = cv2.dnn.readNetFromONNX(onnx_path)
    known = {}
    if os.path.exists(cache):
        c = np.load(cache)
        known = {int(r[0]): r[1:] for r in c}
    todo = [r for r in rows if int(d.idx[r]) not in known]
    batch = 256 if onnx.load(onnx_path).graph.input[0].type.tensor_type.shape.dim[0].dim_value \
        == 0 else 1
    t0 = time.time()
    for b in range(0, len(todo), batch):
        sel = todo[b:b + batch]
        x = d.crops[sel].astype(np.float32)[:, None]
        if x.shape[2] != spec["input"]["height"]:
            x = np.stack([cv2.resize(c[0], (spec["input"]["width"], spec["input"]["height"]),
                                     interpolation=cv2.INTER_AREA) for c in x])[:, None]
        net.setInput(x * spec["input"]["scale"] + spec["input"].get("offset", 0.0))
        e, s = net.forward([spec["outputs"]["embedding"], spec["outputs"]["scores"]])
        for r, v in zip(sel, np.hstack([e.reshape(len(sel), -1), s.reshape(len(sel), -1)])):
            known[int(d.idx[r])] = v
        if (b // batch) % max(1, 2560 // batch) == 0 and b:
            print(f"  {b}/{len(todo)} crops through {os.path.basename(onnx_path)}, "
                  f"{time.time() - t0:.0f} s", file=sys.stderr)
            np.save(cache, np.array([[k, *v] for k, v in known.items()], np.float32))
    if todo:
        np.save(cache, np.array([[k, *v] for k, v in known.items()], np.float32))
    width = len(next(iter(known.values())))
    out = np.full((len(d.y), width), np.nan, np.float32)
    for r in rows:
        out[r] = known[int(d.idx[r])]
    return out


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


def ferplus_table(name, y, pred, labels):
    """Accuracy and recall per class on FER+ images (majority labels)."""
    print(f"{name}: accuracy {float((pred == y).mean()):.3f} ({len(y)} images); recall "
          + ", ".join(f"{l} {float((pred[y == c] == c).mean()):.3f}" if (y == c).any()
                      else f"{l} -" for c, l in enumerate(labels)))
    sys.stdout.flush()


def train_head(net, start, last_add, final_conv, trunk, trunk_flip, rows, soft, y, weight_of,
               classes, epochs, seed, lr=3e-3, smoothing=0.0, balance=1.0):
    """Trains a Head on the samples `rows` (indices into `trunk`, stored as float16): the new
    final conv at `lr`, the last block's weights at lr / 10. Targets `soft` (one-hot, or
    FER+'s vote distribution); class weights (n / (classes * count)) ** balance (1 = fully
    balanced, 0 = none) from the hard labels `y`; per-sample weights `weight_of`; label
    smoothing."""
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
    counts = np.bincount(y[rows], minlength=classes).astype(np.float32)
    cw = torch.tensor((len(rows) / (classes * np.maximum(counts, 1))) ** balance)
    st = torch.from_numpy(soft)
    st = st * (1 - smoothing) + smoothing / classes
    sw = torch.from_numpy(weight_of.astype(np.float32))
    n = len(rows)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rows[rng.permutation(n)]
        for b in range(0, n, 64):
            sel = torch.from_numpy(order[b:b + 64])
            flip = torch.from_numpy(rng.random(len(sel)) < 0.5)[:, None, None, None]
            xb = torch.where(flip, trunk_flip[sel], trunk[sel]).float()
            logits, _ = head(xb)
            per = -(F.log_softmax(logits, 1) * st[sel] * cw).sum(1)
            loss = (per * sw[sel]).sum() / sw[sel].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    for p in block_params:
        p.requires_grad_(False)
    return head


def probabilities(head, trunk, rows, offset):
    """Softmax of the head's logits + `offset` (log class priors, see --prior) for `rows`."""
    with torch.no_grad():
        return torch.cat([F.softmax(head(trunk[torch.from_numpy(rows[b:b + 256])].float())[0]
                                    + offset, 1) for b in range(0, len(rows), 256)])


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


def train_linear(x, rows, soft, y, weight_of, classes, balance, smoothing, l2, seed):
    """A softmax regression on fixed features x[rows] (standardised inside, folded back into
    the returned weights): soft targets, class weights (n / (classes * count)) ** balance from
    the hard labels, per-sample weights, L2 penalty `l2` on the standardised weights; L-BFGS on
    the whole set. Returns (W [classes, features], b [classes]) for the raw features."""
    torch.manual_seed(seed)
    xr = torch.from_numpy(x[rows].astype(np.float32))
    mu, sd = xr.mean(0), xr.std(0) + 1e-6
    xs = (xr - mu) / sd
    counts = np.bincount(y[rows], minlength=classes).astype(np.float32)
    cw = torch.tensor((len(rows) / (classes * np.maximum(counts, 1))) ** balance)
    t = torch.from_numpy(soft[rows]) * (1 - smoothing) + smoothing / classes
    sw = torch.from_numpy(weight_of[rows].astype(np.float32))
    lin = torch.nn.Linear(x.shape[1], classes)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1, max_iter=300, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        per = -(F.log_softmax(lin(xs), 1) * t * cw).sum(1)
        loss = (per * sw).sum() / sw.sum() + l2 * (lin.weight ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():
        w = lin.weight / sd
        b = lin.bias - (w * mu).sum(1)
    return w.numpy(), b.numpy()


def export_linear(base_onnx, w, b, path):
    """The base network up to its "embedding" output, then a new fully connected layer
    (Gemm, weights stored transposed: transB = 1, as OpenCV 4.6 DNN needs) and a softmax:
    outputs "scores" [N, classes] and "embedding" (unchanged)."""
    m = onnx.load(base_onnx)
    g = m.graph
    needed, keep = {"embedding"}, []
    for n in reversed(g.node):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(n.input)
    keep.reverse()
    inits = [i for i in g.initializer if i.name in needed]
    head = [onnx.helper.make_node("Gemm", ["embedding", "head.w", "head.b"], ["head_logits"],
                                  name="head", transB=1),
            onnx.helper.make_node("Softmax", ["head_logits"], ["scores"], name="scores",
                                  axis=1)]
    inits += [numpy_helper.from_array(np.ascontiguousarray(w, np.float32), "head.w"),
              numpy_helper.from_array(np.ascontiguousarray(b, np.float32), "head.b")]
    emb = [o for o in g.output if o.name == "embedding"][0]
    n_dim = g.input[0].type.tensor_type.shape.dim[0]
    scores = onnx.helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT,
                                                [n_dim.dim_param or n_dim.dim_value, len(b)])
    graph = onnx.helper.make_graph(keep + head, g.name, list(g.input), [scores, emb], inits)
    out = onnx.helper.make_model(graph, opset_imports=list(m.opset_import),
                                 producer_name="gst-emo tools/emo-finetune.py")
    out.ir_version = m.ir_version
    onnx.checker.check_model(out)
    onnx.save(out, path)


def fer_note(a, fer_train):
    """The FER+ part of a sidecar's "source"."""
    return (f", FER+ train {len(fer_train)} ({a.ferplus_targets}, weight "
            f"{a.ferplus_weight:g})") if len(fer_train) else ""


def write_sidecar(a, spec, labels, license_note, source_note, t_start):
    """The written model's sidecar: the base network's, with our labels and notes."""
    spec.update(model=os.path.basename(a.output), labels=labels,
                license=spec["license"] + license_note, source=spec["source"] + source_note)
    json.dump(spec, open(os.path.splitext(a.output)[0] + ".json", "w"), indent=2)
    print(f"wrote {a.output} (total {time.time() - t_start:.0f} s)")


def main_linear(a, d, labels, soft, weight_of, fer_sets, fer_train, offset, t_start):
    """--freeze all: the whole network fixed (OpenCV DNN computes its embedding once per
    crop, cached in the dump), a new softmax regression on the embedding."""
    y, fold, whole, other = d.y, d.fold, d.whole, d.source == OTHER
    spec = json.load(open(os.path.splitext(a.onnx)[0] + ".json"))
    rows = np.concatenate([np.flatnonzero(other), fer_train] + [r for _, r in fer_sets])
    t0 = time.time()
    out = cnn_outputs(a.onnx, spec, d, rows,
                      os.path.join(a.dump, f"cnn-{os.path.basename(a.onnx)}.npy"))
    ncls = len(spec["labels"])
    emb, scores = out[:, :-ncls], out[:, -ncls:]
    print(f"{emb.shape[1]}-value embeddings of {len(rows)} crops in {time.time() - t0:.1f} s "
          f"(OpenCV DNN, {os.path.basename(a.onnx)})")
    cols = [spec["labels"].index(l) if l in spec["labels"] else None for l in labels]
    zs = np.stack([scores[:, c] if c is not None else np.full(len(y), -1.0) for c in cols], 1)
    zp = np.nan_to_num(zs, nan=-1).argmax(1)
    recall_table("CNN zero-shot", y[other], zp[other], whole[other], labels)
    for name, r in fer_sets:
        if len(r):
            ferplus_table(f"CNN zero-shot, {name}", y[r], zp[r], labels)
    off = offset.numpy()

    def fit(r, seed):
        return train_linear(emb, r, soft, y, weight_of, len(labels), a.balance,
                            a.label_smoothing, a.l2, seed)

    def prob(wb, r):
        return torch.softmax(torch.from_numpy(emb[r] @ wb[0].T + wb[1] + off), 1).numpy()

    def predict(wb, r):
        return prob(wb, r).argmax(1)
    oof = np.full((len(y), len(labels)), np.nan, np.float32)
    desc = (f"new fully connected layer on the fixed embedding (l2 {a.l2:g}, balance "
            f"{a.balance:g}{', prior ' + a.prior if a.prior else ''})")
    if not a.no_cv:
        pred = np.zeros_like(y)
        t0 = time.time()
        for f in range(fold.max() + 1):
            te = np.flatnonzero(other & (fold == f))
            wb = fit(np.concatenate([np.flatnonzero(other & (fold != f)), fer_train]), a.seed + f)
            oof[te] = prob(wb, te)
            pred[te] = oof[te].argmax(1)
            v = fer_sets[0][1]
            acc = f", FER+ valid {float((predict(wb, v) == y[v]).mean()):.3f}" if len(v) else ""
            print(f"fold {f + 1}: {time.time() - t0:.0f} s{acc}", file=sys.stderr)
        recall_table(f"{desc}, grouped CV", y[other], pred[other], whole[other], labels)
    if a.output:
        wb = fit(np.concatenate([np.flatnonzero(other), fer_train]), a.seed)
        for name, r in fer_sets:
            if len(r):
                oof[r] = prob(wb, r)
                ferplus_table(f"final model, {name}", y[r], predict(wb, r), labels)
        export_linear(a.onnx, wb[0], wb[1] + off, a.output)
        write_sidecar(a, spec, labels, "; new layer trained on the images given to emo-train, "
                      "whose terms apply as well",
                      f"; {desc} by tools/emo-finetune.py, label smoothing "
                      f"{a.label_smoothing:g}, seed {a.seed}, "
                      f"{int(other.sum() + len(fer_train))} crops{fer_note(a, fer_train)}",
                      t_start)
    save_oof(a, d, oof)
    return 0


def save_oof(a, d, oof):
    """--oof: the probabilities of the rows measured (NaN elsewhere), keyed by image path."""
    if not a.oof:
        return
    rows = {}
    for r in csv.reader(open(os.path.join(a.dump, "samples.csv"))):
        rows[int(r[0])] = r[5]
    keep = ~np.isnan(oof).any(1)
    np.savez(a.oof, files=np.array([rows[int(i)] for i in d.idx[keep]]), y=d.y[keep],
             fold=d.fold[keep], whole=d.whole[keep], prob=oof[keep])
    print(f"wrote {int(keep.sum())} out-of-fold / held-out probabilities to {a.oof}")


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
    ap.add_argument("--ferplus", metavar="LABELS_CSV",
                    help="FER+'s labels.csv: the dump's images under ferplus/<split>/ are FER+ "
                    "images: train always trains, valid and test (without duplicates of an "
                    "earlier split) are only measured")
    ap.add_argument("--ferplus-targets", choices=["votes", "majority"], default="votes",
                    help="FER+ train targets: the vote distribution over --labels (FER+'s "
                    "probability mode; default) or the majority label")
    ap.add_argument("--ferplus-weight", type=float, default=1.0,
                    help="loss weight of a FER+ image against a folder image (default 1)")
    ap.add_argument("--ferplus-train-max", type=int, default=0,
                    help="use at most N FER+ train images (a random subset, --seed; 0 = all)")
    ap.add_argument("--l2", type=float, default=1e-3,
                    help="--freeze all: L2 penalty on the standardised weights")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--oof", metavar="FILE.npz",
                    help="write the cross-validation's out-of-fold probabilities of the folder "
                    "images (and the final model's of FER+ valid/test with --output) to FILE: "
                    "arrays files (the image paths), y, fold, whole, prob; for ensembles")
    ap.add_argument("--output", help="ONNX file to write (sidecar: same name, .json)")
    a = ap.parse_args()
    try:
        freezes = [int(v) for v in a.freeze.split("+")]
    except ValueError:
        freezes = []
    if a.freeze == "all":
        freezes = [3]
    if not freezes or any(k not in (1, 2, 3) for k in freezes) or len(set(freezes)) != len(freezes) \
            or a.epochs < 1 or a.ferplus_weight <= 0:
        ap.error("--freeze must be 1, 2, 1+2 or all, --epochs at least 1, --ferplus-weight > 0")
    torch.set_num_threads(2)
    hyper = dict(lr=a.lr, smoothing=a.label_smoothing, balance=a.balance)
    labels = a.labels.split(",")
    try:
        offset = parse_prior(a.prior, labels)
    except ValueError as e:
        ap.error(str(e))
    t_start = time.time()
    d = load_dump(a.dump, labels, 64, a.ferplus)
    y, fold, whole, source = d.y, d.fold, d.whole, d.source
    other = source == OTHER
    soft = d.soft if a.ferplus_targets == "votes" else np.eye(len(labels), dtype=np.float32)[y]
    soft[other] = np.eye(len(labels), dtype=np.float32)[y[other]]
    weight_of = np.where(other, 1.0, a.ferplus_weight)
    fer_sets = [(f"FER+ {nm} (without images identical to an earlier split's)",
                 np.flatnonzero((source == sp) & ~d.dup)) for nm, sp in
                (("valid", FER_VALID), ("test", FER_TEST))]
    print(f"{len(y)} crops, {len(labels)} classes, {fold.max() + 1} folds: {int(other.sum())} "
          f"from the folders (grouped folds), FER+ train {int((source == FER_TRAIN).sum())} "
          f"({a.ferplus_targets}, weight {a.ferplus_weight:g}), valid "
          f"{len(fer_sets[0][1])} and test {len(fer_sets[1][1])} measured only "
          f"({int(d.dup[source != OTHER].sum())} duplicates of an earlier split left out); "
          f"loaded in {time.time() - t_start:.1f} s")
    fer_train = np.flatnonzero(source == FER_TRAIN)
    if a.ferplus_train_max and len(fer_train) > a.ferplus_train_max:
        fer_train = np.sort(np.random.default_rng(a.seed).permutation(fer_train)
                            [:a.ferplus_train_max])
        print(f"FER+ train: a random {len(fer_train)} of {int((source == FER_TRAIN).sum())}")
    if a.freeze == "all":
        return main_linear(a, d, labels, soft, weight_of, fer_sets, fer_train, offset, t_start)
    net = OnnxNet(a.onnx)
    adds, final_conv = graph_points(net)
    starts = [adds[k - 1].output[0] for k in freezes]  # each head's fixed trunk output
    first, deepest = adds[min(freezes) - 1].output[0], adds[max(freezes) - 1].output[0]
    last_add = adds[-1].output[0]
    t0 = time.time()
    with torch.no_grad():
        def trunks(flip):  # {start: float16 features} for one pass up to the deepest start
            out = {st: [] for st in starts}
            scores = []
            for b in range(0, len(y), 256):
                z = torch.from_numpy(d.crops[b:b + 256].astype(np.float32)[:, None] / 127.5 - 1)
                if flip:
                    z = torch.flip(z, dims=(3,))
                v = net(z, stop=deepest)
                for st in starts:
                    out[st].append(v[st].half())
                if not flip:  # zero-shot scores from the same pass
                    scores.append(net(None, start=deepest, values=v)["scores"])
            return {st: torch.cat(t) for st, t in out.items()}, (
                torch.cat(scores).numpy() if scores else None)
        (trunk, scores), (trunk_flip, _) = trunks(False), trunks(True)
    print(f"trunk features in {time.time() - t0:.1f} s")
    # Zero-shot on the same crops, mapped by label name.
    spec = json.load(open(os.path.splitext(a.onnx)[0] + ".json"))
    cols = [spec["labels"].index(l) if l in spec["labels"] else None for l in labels]
    zs = np.stack([scores[:, c] if c is not None else np.full(len(y), -1.0) for c in cols], 1)
    zp = zs.argmax(1)
    recall_table("CNN zero-shot", y[other], zp[other], whole[other], labels)
    for name, rows in fer_sets:
        if len(rows):
            ferplus_table(f"CNN zero-shot, {name}", y[rows], zp[rows], labels)

    def train(rows, seed):
        return [(train_head(OnnxNet(a.onnx), st, last_add, final_conv, trunk[st],
                            trunk_flip[st], rows, soft, y, weight_of, len(labels), a.epochs,
                            seed, **hyper), st) for st in starts]

    def prob(heads, rows):
        return (sum(probabilities(h, trunk[st], rows, offset) for h, st in heads) /
                len(heads)).numpy()

    def predict(heads, rows):
        if not len(rows):
            return np.zeros(0, np.int64)
        return prob(heads, rows).argmax(1)
    oof = np.full((len(y), len(labels)), np.nan, np.float32)

    if not a.no_cv:
        pred = np.zeros_like(y)
        t0 = time.time()
        for f in range(fold.max() + 1):
            te = np.flatnonzero(other & (fold == f))
            heads = train(np.concatenate([np.flatnonzero(other & (fold != f)), fer_train]),
                          a.seed + f)
            oof[te] = prob(heads, te)
            pred[te] = oof[te].argmax(1)
            valid = fer_sets[0][1]
            acc = f", FER+ valid {float((predict(heads, valid) == y[valid]).mean()):.3f}" \
                if len(valid) else ""
            print(f"fold {f + 1}: {time.time() - t0:.0f} s{acc}", file=sys.stderr)
        recall_table(f"fine-tuned ({a.epochs} epochs, {a.freeze} blocks frozen"
                     f"{', prior ' + a.prior if a.prior else ''}), grouped CV",
                     y[other], pred[other], whole[other], labels)

    if a.output:
        t0 = time.time()
        heads = train(np.concatenate([np.flatnonzero(other), fer_train]), a.seed)
        print(f"final model trained in {time.time() - t0:.0f} s")
        for name, rows in fer_sets:
            if len(rows):
                oof[rows] = prob(heads, rows)
                ferplus_table(f"final model, {name}", y[rows], predict(heads, rows), labels)
        model = Exported(net, heads, first, offset).eval()
        torch.onnx.export(model, torch.zeros(1, 1, 64, 64), a.output, opset_version=11,
                          input_names=["input"], output_names=["scores", "embedding"],
                          dynamic_axes={"input": {0: "N"}, "scores": {0: "N"},
                                        "embedding": {0: "N"}})
        inline_constant_identities(a.output)
        write_sidecar(a, spec, labels, "; fine-tuned on the images given to emo-train, whose "
                      "terms apply as well",
                      f"; fine-tuned by tools/emo-finetune.py ({a.epochs} epochs, {a.freeze} "
                      f"blocks frozen, lr {a.lr:g}, label smoothing {a.label_smoothing:g}, "
                      f"balance {a.balance:g}, prior {a.prior or 'none'}, seed {a.seed}, "
                      f"{int(other.sum() + len(fer_train))} crops{fer_note(a, fer_train)})",
                      t_start)
    save_oof(a, d, oof)
    return 0


if __name__ == "__main__":
    sys.exit(main())
