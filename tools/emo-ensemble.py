#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Merges two (or more) emotion CNNs that cut the same face crop into ONE ONNX network and its
sidecar, whose scores are the weighted mean of the members' probabilities. emoclassify runs it
in one call like any CNN (no C++ change); each member keeps its own input size, scale and
offset inside the graph.

    tools/emo-ensemble.py models/emotion-finetuned.json models/emotion-faceapi-ferplus.json \\
        --weights 0.5,0.5 --output models/emotion-ensemble.onnx

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
OpenCV 4.6 DNN needs for face-api's network).
Exit status 2 on a usage error (mismatched labels, framing or colour).
"""
import argparse
import json
import math
import os
import sys

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("members", nargs="+", help="sidecars (.json) of the member CNNs")
    ap.add_argument("--weights", help="comma-separated weights, one per member (default equal)")
    ap.add_argument("--prior", default="",
                    help="LABEL=FACTOR,...: multiply the ensemble's probability of LABEL by "
                    "FACTOR, then renormalise")
    ap.add_argument("--output", required=True, help="ONNX file (sidecar: same name, .json)")
    a = ap.parse_args()
    if len(a.members) < 2:
        ap.error("at least two members")
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

    sides = [s["input"]["width"] for s in specs]
    side = math.lcm(*sides)
    if side > 1024:
        ap.error(f"input sides {sides}: their least common multiple {side} is over 1024")
    batches = {batch_of(m) for _, m in members} - {None}
    batch = 1 if batches else "N"
    nodes, inits, embeddings, scores = [], [], [], []
    for k, ((spec, model), w) in enumerate(zip(members, weights)):
        p = f"m{k}/"
        pool = side // spec["input"]["width"]
        src = "input"
        if pool > 1:
            nodes.append(helper.make_node("AveragePool", [src], [p + "pooled"], name=p + "ensemble_input_pool",
                                          kernel_shape=[pool, pool], strides=[pool, pool]))
            src = p + "pooled"
        # x in [0, 1] -> x * 255 * scale + offset (the member's own sidecar mapping)
        inits += [numpy_helper.from_array(np.array(255.0 * spec["input"]["scale"], np.float32),
                                          p + "in_scale"),
                  numpy_helper.from_array(np.array(spec["input"].get("offset", 0.0), np.float32),
                                          p + "in_offset")]
        nodes += [helper.make_node("Mul", [src, p + "in_scale"], [p + "scaled"], name=p + "ensemble_input_mul"),
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
                                          [p + "emb_flat"], name=p + "ensemble_embedding_flatten", axis=1))
            embeddings.append(p + "emb_flat")
    nodes.append(helper.make_node("Sum", scores, ["mean_scores"], name="ensemble_sum"))
    if (prior != 1).any():
        # mean * prior / sum(mean * prior) = softmax(log(mean) + log(prior)): OpenCV 4.6 DNN
        # cannot broadcast a Div by a per-row sum.
        inits.append(numpy_helper.from_array(np.log(prior)[None], "log_prior"))
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
    opset = max(op.version for _, m in members for op in m.opset_import if op.domain in ("", "ai.onnx"))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", min(opset, 12))],
                              producer_name="gst-emo tools/emo-ensemble.py")
    model.ir_version = max(m.ir_version for _, m in members)
    onnx.checker.check_model(model)
    onnx.save(model, a.output)

    names = [os.path.basename(s) for s in a.members]
    desc = ", ".join(f"{n} x {w:.3g}" for n, w in zip(names, weights))
    prior_note = f", then prior {a.prior}" if a.prior else ""
    sidecar = {
        "format": specs[0]["format"], "version": specs[0]["version"],
        "model": os.path.basename(a.output),
        "input": {"width": side, "height": side, "color": "grey", "scale": 1 / 255.0,
                  "offset": 0.0},
        "outputs": {"scores": "scores", "embedding": "embedding"} if embeddings
        else {"scores": "scores"},
        "crop": specs[0]["crop"],
        "labels": labels,
        "source": f"ensemble by tools/emo-ensemble.py (mean probability: {desc}{prior_note}) of: "
        + " | ".join(f"[{n}] {s['source']}" for n, s in zip(names, specs)),
        "license": " | ".join(f"[{n}] {s['license']}" for n, s in zip(names, specs)),
    }
    json.dump(sidecar, open(os.path.splitext(a.output)[0] + ".json", "w"), indent=2)
    print(f"wrote {a.output}: input {side} x {side}, {desc}{prior_note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
