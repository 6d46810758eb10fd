#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Converts @vladmandic/human's emotion CNN (a TF.js graph model: emotion.json + emotion.bin,
oarriaga/face_classification's mini-Xception, MIT) to ONNX, faithfully to TensorFlow's
semantics, with Debian's python3-onnx and numpy only.

    tools/tfjs-emotion-to-onnx.py models/human/emotion.json models/emotion-cnn.onnx

The ONNX model (opset 11, what OpenCV 4.6's DNN reads):
  input  "input"      float32 [N, 1, 64, 64]  NCHW (the graph input is NCHW: the TF.js NHWC
                      input [N, 64, 64, 1] holds the same numbers, since there is 1 channel);
                      grey in [-1, 1] (pixel / 127.5 - 1)
  output "scores"     float32 [N, 7]   softmax, order angry, disgust, fear, happy, sad,
                      surprise, neutral (FER2013)
  output "embedding"  float32 [N, 256] global average of the last residual block (the input
                      of the final 3x3 convolution), the features a head or forest can use

Op mapping (TF NHWC -> ONNX NCHW):
  _FusedConv2D [BiasAdd(, Relu)]  -> Conv(weights HWIO -> OIHW, bias) (+ Relu)
  DepthwiseConv2dNative           -> Conv(group = C, weights [H, W, C, 1] -> [C, 1, H, W])
  MaxPool                         -> MaxPool (padding never wins a max, as in TF)
  AddV2, Relu, Softmax            -> Add, Relu, Softmax(axis 1)
  Mean over H, W (keep_dims false)-> GlobalAveragePool + Flatten
  padding 'SAME': total = max((ceil(in / s) - 1) * s + k - in, 0); TF puts floor(total / 2)
  at the start and the rest at the end (the extra row and column at the bottom and right);
  computed per layer from the static shapes, never auto_pad. 'VALID': no padding.
"""
import argparse
import base64
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def attr_str(node, key):
    v = node.get("attr", {}).get(key, {}).get("s")
    return base64.b64decode(v).decode() if v is not None else None


def attr_ints(node, key):
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def fused_ops(node):
    ops = node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])
    return [base64.b64decode(s).decode() for s in ops]


def load_weights(model_json, path):
    """name -> numpy array, from the weightsManifest of a TF.js model (float32 only)."""
    import os

    base = os.path.dirname(path)
    weights = {}
    for group in model_json["weightsManifest"]:
        data = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            if w.get("quantization") or w["dtype"] not in ("float32", "int32"):
                raise SystemExit(f"unsupported weight {w['name']}: {w['dtype']} {w.get('quantization')}")
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            arr = np.frombuffer(data, dtype=np.dtype(w["dtype"]).newbyteorder("<"),
                                count=count, offset=offset).reshape(w["shape"])
            weights[w["name"]] = arr.astype(np.float32 if w["dtype"] == "float32" else np.int32)
            offset += count * 4
        if offset != len(data):
            raise SystemExit(f"weight data is {len(data)} bytes, the manifest needs {offset}")
    return weights


def same_pads(size, k, s):
    """TF 'SAME' padding (start, end) of one spatial axis."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2, out


def convert(json_path, onnx_path):
    model_json = json.load(open(json_path))
    if model_json.get("format") != "graph-model":
        raise SystemExit(f"{json_path}: not a TF.js graph model")
    nodes = model_json["modelTopology"]["node"]
    weights = load_weights(model_json, json_path)
    by_name = {n["name"]: n for n in nodes}

    inits, onnx_nodes = [], []
    shapes = {}  # tensor -> (C, H, W) of the NCHW activations
    names = {}   # TF node name -> ONNX tensor name
    last_block = None

    def const(name):
        if name in weights:
            return weights[name]
        raise SystemExit(f"constant {name} has no weights")

    def add_init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def pads_for(node, c_h_w, kh, kw, sh, sw):
        _, h, w = c_h_w
        pad = attr_str(node, "padding")
        if pad == "VALID":
            return [0, 0, 0, 0], (h - kh) // sh + 1, (w - kw) // sw + 1
        if pad != "SAME":
            raise SystemExit(f"{node['name']}: padding {pad} not supported")
        t, b, oh = same_pads(h, kh, sh)
        l, r, ow = same_pads(w, kw, sw)
        return [t, l, b, r], oh, ow

    def check_nhwc(node):
        fmt = attr_str(node, "data_format")
        if fmt not in (None, "NHWC"):
            raise SystemExit(f"{node['name']}: data format {fmt} not supported")
        dil = attr_ints(node, "dilations")
        if dil and any(d != 1 for d in dil):
            raise SystemExit(f"{node['name']}: dilation not supported")

    for n in nodes:
        op, name = n["op"], n["name"]
        ins = n.get("input", [])
        out = "t%d" % len(names)
        if op == "Const":
            continue
        if op == "Placeholder":
            dims = [int(d["size"]) for d in n["attr"]["shape"]["shape"]["dim"]]
            if len(dims) != 4 or dims[3] != 1:
                raise SystemExit(f"input shape {dims}: one grey channel (NHWC) expected")
            names[name] = "input"
            shapes["input"] = (1, dims[1], dims[2])
            continue
        x = names[ins[0]]
        if op in ("_FusedConv2D", "DepthwiseConv2dNative"):
            check_nhwc(n)
            w = const(ins[1])  # HWIO, or [H, W, C, multiplier] for depthwise
            kh, kw = w.shape[0], w.shape[1]
            st = attr_ints(n, "strides")
            sh, sw = st[1], st[2]
            pads, oh, ow = pads_for(n, shapes[x], kh, kw, sh, sw)
            c_in = shapes[x][0]
            conv_inputs = [x]
            if op == "DepthwiseConv2dNative":
                mult = w.shape[3]
                # [H, W, C, M] -> [C * M, 1, H, W]; output channel c * M + m (TF's order)
                wt = w.transpose(2, 3, 0, 1).reshape(c_in * mult, 1, kh, kw)
                group, c_out = c_in, c_in * mult
                post = []
            else:
                ops = fused_ops(n)
                if ops not in (["BiasAdd"], ["BiasAdd", "Relu"]):
                    raise SystemExit(f"{name}: fused ops {ops} not supported")
                wt = w.transpose(3, 2, 0, 1)  # HWIO -> OIHW
                group, c_out = 1, w.shape[3]
                post = ops[1:]
            conv_inputs.append(add_init(out + "_w", wt.astype(np.float32)))
            if op == "_FusedConv2D":
                conv_inputs.append(add_init(out + "_b", const(ins[2]).astype(np.float32)))
            conv_out = out if not post else out + "_conv"
            onnx_nodes.append(helper.make_node(
                "Conv", conv_inputs, [conv_out], name=name, kernel_shape=[kh, kw],
                strides=[sh, sw], pads=pads, group=group, dilations=[1, 1]))
            if post == ["Relu"]:
                onnx_nodes.append(helper.make_node("Relu", [conv_out], [out], name=name + "/relu"))
            shapes[out] = (c_out, oh, ow)
        elif op == "MaxPool":
            check_nhwc(n)
            k = attr_ints(n, "ksize")
            st = attr_ints(n, "strides")
            pads, oh, ow = pads_for(n, shapes[x], k[1], k[2], st[1], st[2])
            onnx_nodes.append(helper.make_node(
                "MaxPool", [x], [out], name=name, kernel_shape=[k[1], k[2]],
                strides=[st[1], st[2]], pads=pads))
            shapes[out] = (shapes[x][0], oh, ow)
        elif op == "AddV2":
            y = names[ins[1]]
            if shapes[x] != shapes[y]:
                raise SystemExit(f"{name}: shapes {shapes[x]} and {shapes[y]} differ")
            onnx_nodes.append(helper.make_node("Add", [x, y], [out], name=name))
            shapes[out] = shapes[x]
            last_block = out
        elif op == "Relu":
            onnx_nodes.append(helper.make_node("Relu", [x], [out], name=name))
            shapes[out] = shapes[x]
        elif op == "Mean":
            axes = sorted(int(a) for a in const(ins[1]).ravel())
            keep = n.get("attr", {}).get("keep_dims", {}).get("b", False)
            if axes != [1, 2] or keep:
                raise SystemExit(f"{name}: Mean over {axes} (keep_dims {keep}) not supported")
            onnx_nodes.append(helper.make_node("GlobalAveragePool", [x], [out + "_gap"], name=name))
            onnx_nodes.append(helper.make_node("Flatten", [out + "_gap"], [out], axis=1,
                                               name=name + "/flatten"))
            shapes[out] = (shapes[x][0],)
        elif op == "Softmax":
            onnx_nodes.append(helper.make_node("Softmax", [x], ["scores"], axis=1, name=name))
            out = "scores"
            shapes[out] = shapes[x]
        elif op == "Identity":
            out = x
        else:
            raise SystemExit(f"{name}: op {op} not supported")
        names[name] = out

    if "scores" not in shapes or last_block is None:
        raise SystemExit("the graph has no Softmax output or no residual block")
    # The embedding: global average of the last residual block's output.
    onnx_nodes.append(helper.make_node("GlobalAveragePool", [last_block], ["embedding_gap"],
                                       name="embedding/gap"))
    onnx_nodes.append(helper.make_node("Flatten", ["embedding_gap"], ["embedding"], axis=1,
                                       name="embedding/flatten"))
    c_emb = shapes[last_block][0]
    n_cls = shapes["scores"][0]

    graph = helper.make_graph(
        onnx_nodes, "emotion-mini-xception",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *shapes["input"]])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", n_cls]),
         helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", c_emb])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)],
                              producer_name="gst-emo tfjs-emotion-to-onnx.py")
    model.ir_version = 6
    model.doc_string = ("oarriaga/face_classification mini-Xception (MIT) from @vladmandic/human "
                        "3.3.6 models/emotion.json; input NCHW grey 64x64 in [-1,1]; scores: "
                        "angry, disgust, fear, happy, sad, surprise, neutral")
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)
    print(f"{onnx_path}: {len(onnx_nodes)} nodes, {len(inits)} initializers, "
          f"scores [N, {n_cls}], embedding [N, {c_emb}]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_json", help="TF.js graph model (emotion.json; emotion.bin beside it)")
    ap.add_argument("output", help="ONNX file to write")
    a = ap.parse_args()
    convert(a.model_json, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
