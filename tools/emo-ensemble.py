#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Merges two (or more) emotion CNNs that cut the same face crop into ONE ONNX network and its
sidecar, whose scores are the weighted mean of the members' probabilities. emoclassify runs it
in one call like any CNN (no C++ change); each member keeps its own input size, scale and
offset inside the graph.

    tools/emo-ensemble.py models/emotion-finetuned.json models/emotion-faceapi-ferplus.json \\
        --weights 0.5,0.5 --output /tmp/emotion-ensemble.onnx
    tools/emo-ensemble.py models/emotion-finetuned.json --fit-prior DUMP \\
        --ferplus ../shared/data/ferplus/labels.csv --output models/emotion-finetuned-prior.onnx

One member with --prior or --fit-prior gives that network with a class prior (same cost).
--fit-prior DUMP fits the factors on FER+ valid (the crops of an `emo-train --dump-crops` dump,
without the images whose dup_group is also in train): the per-class factors f, geometric mean 1,
that maximise the likelihood of FER+'s majority labels under p * f / sum(p * f) (a convex fit,
Newton steps): the network's scores moved from the class balance it was trained with to the
class frequencies of faces in the wild as FER+'s crowd labelled them (neutral most often).

Input: a grey crop of side S = the least common multiple of the members' input sides (448 for
64 and 112 px), pixel values scaled to [0, 1] (sidecar scale 1/255, offset 0). Member k gets
AveragePool(S / side_k) of it (area averaging, what emoclassify's own INTER_AREA resize does)
then its own affine map (x * 255 * scale_k + offset_k), then its nodes, renamed with a prefix.
Outputs: "scores" = sum_k weight_k * scores_k (weights normalised to sum 1; the members'
labels must be the same list in the same order), then optionally multiplied per class by
--prior factors and renormalised (as softmax(log p + log factor)); "embedding" = the members'
embeddings, flattened and concatenated. Every member must take the same crop framing (sidecar
"crop") and grey input.
Batch: the members' own (a fixed batch of 1 in any member makes the ensemble batch 1, as
OpenCV 4.6 DNN needed for face-api's network), or free with --free-batch (ONNX Runtime, which
emoclassify uses, then runs a frame's faces in one call; refused if a member has a Reshape, the
one layer of these CNNs whose output could depend on a fixed batch).
Exit status 2 on a usage error (mismatched labels, framing or colour).
"""
import argparse
import json
import math
import os
import sys

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def load_member(sidecar):
    spec = json.load(open(sidecar))
    path = os.path.join(os.path.dirname(os.path.abspath(sidecar)), spec["model"])
    return spec, onnx.load(path)


def prefixed(model, prefix, input_name):
    """The member's nodes and initializers with every name prefixed; its graph input renamed
    to `input_name`. Returns (nodes, initializers, {output name: prefixed name})."""
    g = model.graph
    inputs = {i.name for i in g.input}
    inits = {i.name for i in g.initializer}
    real_inputs = [n for n in inputs if n not in inits]
    if len(real_inputs) != 1:
        raise SystemExit(f"emo-ensemble: a member has {len(real_inputs)} graph inputs, 1 expected")

    def rename(name):
        if not name:
            return name
        if name == real_inputs[0]:
            return input_name
        return prefix + name
    nodes = []
    for n in g.node:
        m = onnx.NodeProto()
        m.CopyFrom(n)
        m.name = prefix + (n.name or n.op_type)
        del m.input[:]
        m.input.extend(rename(x) for x in n.input)
        del m.output[:]
        m.output.extend(rename(x) for x in n.output)
        for a in m.attribute:  # subgraphs are not used by these CNNs
            if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise SystemExit("emo-ensemble: members with subgraphs are not supported")
        nodes.append(m)
    initializers = []
    for i in g.initializer:
        t = onnx.TensorProto()
        t.CopyFrom(i)
        t.name = prefix + i.name
        initializers.append(t)
    return nodes, initializers, {o.name: prefix + o.name for o in g.output}


def batch_of(model):
    d = model.graph.input[0].type.tensor_type.shape.dim[0]
    return d.dim_value if d.dim_value > 0 else None


def build(members, weights, prior, path, free_batch=False):
    """Writes the merged network to `path`; returns its input side."""
    specs = [s for s, _ in members]
    labels = specs[0]["labels"]
    sides = [s["input"]["width"] for s in specs]
    side = math.lcm(*sides)
    batches = {batch_of(m) for _, m in members} - {None}
    batch = 1 if batches and not free_batch else "N"
    nodes, inits, embeddings, scores = [], [], [], []
    for k, ((spec, model), w) in enumerate(zip(members, weights)):
        p = f"m{k}/"
        pool = side // spec["input"]["width"]
        src = "input"
        if pool > 1:
            nodes.append(helper.make_node("AveragePool", [src], [p + "pooled"],
                                          name=p + "ensemble_input_pool",
                                          kernel_shape=[pool, pool], strides=[pool, pool]))
            src = p + "pooled"
        # x in [0, 1] -> x * 255 * scale + offset (the member's own sidecar mapping)
        inits += [numpy_helper.from_array(np.array(255.0 * spec["input"]["scale"], np.float32),
                                          p + "in_scale"),
                  numpy_helper.from_array(np.array(spec["input"].get("offset", 0.0), np.float32),
                                          p + "in_offset")]
        nodes += [helper.make_node("Mul", [src, p + "in_scale"], [p + "scaled"],
                                   name=p + "ensemble_input_mul"),
                  helper.make_node("Add", [p + "scaled", p + "in_offset"], [p + "input"],
                                   name=p + "ensemble_input_add")]
        n, i, outs = prefixed(model, p, p + "input")
        nodes += n
        inits += i
        inits.append(numpy_helper.from_array(np.array(w, np.float32), p + "weight"))
        nodes.append(helper.make_node("Mul", [outs[spec["outputs"]["scores"]], p + "weight"],
                                      [p + "weighted"], name=p + "ensemble_weigh"))
        scores.append(p + "weighted")
        if spec["outputs"].get("embedding") in outs:
            nodes.append(helper.make_node("Flatten", [outs[spec["outputs"]["embedding"]]],
                                          [p + "emb_flat"], name=p + "ensemble_embedding_flatten",
                                          axis=1))
            embeddings.append(p + "emb_flat")
    nodes.append(helper.make_node("Sum", scores, ["mean_scores"], name="ensemble_sum"))
    if (prior != 1).any():
        # mean * prior / sum(mean * prior) = softmax(log(mean) + log(prior)): OpenCV 4.6 DNN
        # cannot broadcast a Div by a per-row sum.
        inits.append(numpy_helper.from_array(np.log(prior).astype(np.float32)[None], "log_prior"))
        nodes += [helper.make_node("Log", ["mean_scores"], ["log_scores"], name="prior_log"),
                  helper.make_node("Add", ["log_scores", "log_prior"], ["prior_logits"],
                                   name="prior_add"),
                  helper.make_node("Softmax", ["prior_logits"], ["scores"], name="prior_softmax",
                                   axis=1)]
    else:
        nodes.append(helper.make_node("Identity", ["mean_scores"], ["scores"], name="scores"))
    outputs = [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [batch, len(labels)])]
    if embeddings:
        nodes.append(helper.make_node("Concat", embeddings, ["embedding"], name="embedding",
                                      axis=1))
        outputs.append(helper.make_tensor_value_info("embedding", TensorProto.FLOAT,
                                                     [batch, None]))
    graph = helper.make_graph(nodes, "gst-emo ensemble",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                             [batch, 1, side, side])],
                              outputs, inits)
    opset = max(op.version for _, m in members for op in m.opset_import
                if op.domain in ("", "ai.onnx"))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", min(opset, 12))],
                              producer_name="gst-emo tools/emo-ensemble.py")
    model.ir_version = max(m.ir_version for _, m in members)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return side


def ferplus_valid(dump, labels_csv, labels, split="valid"):
    """FER+ valid crops of an emo-train dump (`--dump-crops`, 2.4-interocular framing) without
    the images whose dup_group is also in train: (crops uint8 [n, s, s], label indices).
    split="test": FER+ test without the images whose dup_group is also in train or valid."""
    import csv
    groups, fer = {"train": set(), "valid": set(), "test": set()}, {}
    for r in csv.DictReader(open(labels_csv)):
        fer[r["file"]] = r
        groups[r["split"]].add(r["dup_group"])
    earlier = groups["train"] | (groups["valid"] if split == "test" else set())
    crops, y = [], []
    for s in csv.reader(open(os.path.join(dump, "samples.csv"))):
        key = "/".join(s[5].replace("\\", "/").split("/")[-3:])
        r = fer.get(key)
        if r is None or r["split"] != split or r["dup_group"] in earlier \
                or s[1] not in labels or s[4] != "0":
            continue
        crops.append(cv2.imread(os.path.join(dump, f"{s[0]}.png"), cv2.IMREAD_GRAYSCALE))
        y.append(labels.index(s[1]))
    return crops, np.array(y)


def fit_log_prior(logp, y):
    """Per-class log factors b (mean 0) maximising the mean log-likelihood of the labels y
    under softmax(logp + b), logp [n, classes] the log-probabilities: Newton steps (the problem
    is convex)."""
    classes = logp.shape[1]
    onehot = np.eye(classes)[y]
    b = np.zeros(classes)
    for _ in range(100):
        z = logp + b
        q = np.exp(z - z.max(1, keepdims=True))
        q /= q.sum(1, keepdims=True)
        g = (onehot - q).mean(0)
        h = np.einsum("ni,nj->ij", q, q) / len(q) - np.diag(q.mean(0)) - 1e-6 * np.eye(classes)
        step = -np.linalg.solve(h, g)
        b += step
        if np.abs(step).max() < 1e-9:
            break
    return b - b.mean()


def fit_prior(path, side, crops, y, classes):
    """Per-class factors f (geometric mean 1) maximising the likelihood of FER+'s majority
    labels under p * f / sum(p * f), p the network's probabilities on the crops."""
    net = cv2.dnn.readNetFromONNX(path)
    probs = []
    for c in crops:
        x = cv2.resize(c, (side, side), interpolation=cv2.INTER_LINEAR if c.shape[0] < side
                       else cv2.INTER_AREA).astype(np.float32) / 255.0
        net.setInput(x[None, None])
        probs.append(net.forward("scores").reshape(-1))
    logp = np.log(np.maximum(np.array(probs, np.float64), 1e-8))
    b = fit_log_prior(logp, y)
    before = float((logp.argmax(1) == y).mean())
    after = float(((logp + b).argmax(1) == y).mean())
    return np.exp(b).astype(np.float32), before, after


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("members", nargs="+", help="sidecars (.json) of the member CNNs (one "
                    "member: the network with a prior only)")
    ap.add_argument("--weights", help="comma-separated weights, one per member (default equal)")
    ap.add_argument("--prior", default="",
                    help="LABEL=FACTOR,...: multiply the ensemble's probability of LABEL by "
                    "FACTOR, then renormalise")
    ap.add_argument("--fit-prior", metavar="DUMP",
                    help="fit the per-class factors on FER+ valid (without duplicates of train) "
                    "of this emo-train --dump-crops directory, instead of --prior; needs "
                    "--ferplus")
    ap.add_argument("--ferplus", metavar="LABELS_CSV", help="FER+'s labels.csv (--fit-prior)")
    ap.add_argument("--free-batch", action="store_true",
                    help="declare a free batch N even if a member fixes it at 1 (ONNX Runtime)")
    ap.add_argument("--output", required=True, help="ONNX file (sidecar: same name, .json)")
    a = ap.parse_args()
    if len(a.members) < 2 and not (a.prior or a.fit_prior):
        ap.error("at least two members, or one with --prior or --fit-prior")
    if a.fit_prior and (a.prior or not a.ferplus):
        ap.error("--fit-prior needs --ferplus and excludes --prior")
    members = [load_member(s) for s in a.members]
    specs = [s for s, _ in members]
    labels = specs[0]["labels"]
    for s in specs[1:]:
        if s["labels"] != labels:
            ap.error(f"labels differ: {s['labels']} vs {labels}")
        if s["crop"] != specs[0]["crop"]:
            ap.error(f"crop framing differs: {s['crop']} vs {specs[0]['crop']}")
    if any(s["input"].get("color", "grey") != "grey" for s in specs):
        ap.error("members must take grey input")
    if any(s["input"]["width"] != s["input"]["height"] for s in specs):
        ap.error("members must take square input")
    weights = [float(w) for w in a.weights.split(",")] if a.weights else [1.0] * len(members)
    if len(weights) != len(members) or any(w < 0 for w in weights) or sum(weights) <= 0:
        ap.error("--weights: one non-negative weight per member, not all 0")
    weights = [w / sum(weights) for w in weights]
    prior = np.ones(len(labels), np.float32)
    for item in filter(None, a.prior.split(",")):
        name, _, value = item.partition("=")
        if name not in labels:
            ap.error(f"--prior: unknown label {name}")
        prior[labels.index(name)] = float(value)
    if (prior <= 0).any():
        ap.error("--prior: factors must be positive")
    if a.free_batch and any(n.op_type == "Reshape" for _, m in members for n in m.graph.node):
        ap.error("--free-batch: a member has a Reshape (its shape may fix the batch)")
    sides = [s["input"]["width"] for s in specs]
    if math.lcm(*sides) > 1024:
        ap.error(f"input sides {sides}: their least common multiple is over 1024")

    side = build(members, weights, prior, a.output, a.free_batch)
    prior_note = f", then prior {a.prior}" if a.prior else ""
    if a.fit_prior:
        crops, y = ferplus_valid(a.fit_prior, a.ferplus, labels)
        if not len(y):
            ap.error(f"--fit-prior: no FER+ valid crops in {a.fit_prior}")
        prior, before, after = fit_prior(a.output, side, crops, y, len(labels))
        text = ",".join(f"{l}={f:.3f}" for l, f in zip(labels, prior))
        print(f"prior fitted on {len(y)} FER+ valid crops (accuracy {before:.3f} -> "
              f"{after:.3f}): {text}")
        prior_note = f", then prior {text} (fitted on FER+ valid, {len(y)} crops)"
        build(members, weights, prior, a.output, a.free_batch)

    names = [os.path.basename(s) for s in a.members]
    desc = ", ".join(f"{n} x {w:.3g}" for n, w in zip(names, weights))
    what = "mean probability: " if len(names) > 1 else "the network alone: "
    sidecar = {
        "format": specs[0]["format"], "version": specs[0]["version"],
        "model": os.path.basename(a.output),
        "input": {"width": side, "height": side, "color": "grey", "scale": 1 / 255.0,
                  "offset": 0.0},
        "outputs": {"scores": "scores", "embedding": "embedding"},
        "crop": specs[0]["crop"],
        "labels": labels,
        "source": f"tools/emo-ensemble.py ({what}{desc}{prior_note}) of: "
        + " | ".join(f"[{n}] {s['source']}" for n, s in zip(names, specs)),
        "license": " | ".join(f"[{n}] {s['license']}" for n, s in zip(names, specs)),
    }
    json.dump(sidecar, open(os.path.splitext(a.output)[0] + ".json", "w"), indent=2)
    print(f"wrote {a.output}: input {side} x {side}, {desc}{prior_note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
