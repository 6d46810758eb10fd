# SPDX-License-Identifier: LGPL-2.1-or-later
"""A reference forward pass of a TF.js graph model (emotion.json + emotion.bin) in numpy,
in TensorFlow's own NHWC layout and semantics, written independently of the ONNX converter
(tools/tfjs-emotion-to-onnx.py): it interprets the graph's nodes one by one.

run(model_json_path, x) with x float32 [N, 64, 64, 1] returns {node name: array} for every
node; "Identity" is the softmax output.
"""
import base64
import json
import os

import numpy as np


def _weights(model, base):
    out = {}
    for group in model["weightsManifest"]:
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        pos = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            dt = {"float32": "<f4", "int32": "<i4"}[w["dtype"]]
            out[w["name"]] = np.frombuffer(blob, dt, n, pos).reshape(w["shape"])
            pos += 4 * n
    return out


def _s(node, key):
    v = node.get("attr", {}).get(key, {}).get("s")
    return base64.b64decode(v).decode() if v else None


def _ints(node, key):
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def _pad(x, kh, kw, sh, sw, padding, value=0.0):
    """Pads NHWC x as TF does for 'SAME' (extra row/column at the end) or not for 'VALID'."""
    if padding == "VALID":
        return x
    _, h, w, _ = x.shape
    ph = max((-(-h // sh) - 1) * sh + kh - h, 0)
    pw = max((-(-w // sw) - 1) * sw + kw - w, 0)
    return np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)),
                  constant_values=value)


def _windows(x, kh, kw, sh, sw):
    """Yields (i, j, x[:, i::sh, j::sw, :] cut to the output size) for each kernel offset."""
    _, h, w, _ = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]


def conv2d(x, w, strides, padding):
    """TF Conv2D: x NHWC, w HWIO."""
    kh, kw = w.shape[:2]
    xp = _pad(x, kh, kw, strides[0], strides[1], padding)
    acc = None
    for i, j, win in _windows(xp, kh, kw, strides[0], strides[1]):
        t = np.tensordot(win, w[i, j], axes=([3], [0]))
        acc = t if acc is None else acc + t
    return acc


def depthwise(x, w, strides, padding):
    """TF DepthwiseConv2dNative: w [H, W, C, M]; output channel c * M + m."""
    kh, kw, c, m = w.shape
    xp = _pad(x, kh, kw, strides[0], strides[1], padding)
    acc = None
    for i, j, win in _windows(xp, kh, kw, strides[0], strides[1]):
        t = (win[..., :, None] * w[i, j][None, None, None]).reshape(win.shape[:3] + (c * m,))
        acc = t if acc is None else acc + t
    return acc


def maxpool(x, k, strides, padding):
    xp = _pad(x, k[0], k[1], strides[0], strides[1], padding, value=-np.inf)
    acc = None
    for _, _, win in _windows(xp, k[0], k[1], strides[0], strides[1]):
        acc = win if acc is None else np.maximum(acc, win)
    return acc


def run(model_json_path, x):
    model = json.load(open(model_json_path))
    w = _weights(model, os.path.dirname(model_json_path))
    vals = {}
    x = np.asarray(x, np.float64)
    for n in model["modelTopology"]["node"]:
        op, ins = n["op"], n.get("input", [])
        if op == "Const":
            vals[n["name"]] = np.asarray(w[n["name"]], np.float64)
            continue
        if op == "Placeholder":
            vals[n["name"]] = x
            continue
        a = [vals[i] for i in ins]
        st = _ints(n, "strides")[1:3]
        if op == "_FusedConv2D":
            ops = [base64.b64decode(s).decode()
                   for s in n["attr"]["fused_ops"]["list"]["s"]]
            y = conv2d(a[0], a[1], st, _s(n, "padding"))
            assert ops[0] == "BiasAdd"
            y = y + a[2]
            if ops[1:] == ["Relu"]:
                y = np.maximum(y, 0)
            else:
                assert ops[1:] == [], ops
        elif op == "DepthwiseConv2dNative":
            y = depthwise(a[0], a[1], st, _s(n, "padding"))
        elif op == "MaxPool":
            y = maxpool(a[0], _ints(n, "ksize")[1:3], st, _s(n, "padding"))
        elif op == "AddV2":
            y = a[0] + a[1]
        elif op == "Relu":
            y = np.maximum(a[0], 0)
        elif op == "Mean":
            y = a[0].mean(axis=tuple(int(i) for i in a[1].ravel()),
                          keepdims=n.get("attr", {}).get("keep_dims", {}).get("b", False))
        elif op == "Softmax":
            e = np.exp(a[0] - a[0].max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        elif op == "Identity":
            y = a[0]
        else:
            raise ValueError(f"op {op} not supported by the reference")
        vals[n["name"]] = y
    return vals
