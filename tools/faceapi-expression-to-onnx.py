#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Converts face-api's FaceExpressionNet (npm @vladmandic/face-api 1.7.15, MIT: TF.js weights
face_expression_model.bin, uint8-quantised, described by face_expression_model-weights_manifest
.json) to ONNX for OpenCV 4.6 DNN, with Debian's python3-onnx and numpy only.

    tools/faceapi-expression-to-onnx.py models/faceapi/face_expression_model-weights_manifest.json \
        models/faceapi-expression.onnx [--rgb]

The weights come without a graph: the architecture is the package's JavaScript
(src/faceFeatureExtractor/FaceFeatureExtractor.ts, denseBlock.ts, src/common/
depthwiseSeparableConv.ts, src/faceProcessor/FaceProcessor.ts, src/faceExpressionNet/):
  x = (rgb - [122.782, 117.001, 104.298]) / 255             112 x 112, NHWC
  4 dense blocks (dense0..3: 32, 64, 128, 256 channels), each
    out1 = relu(conv0(x, stride 2))       dense0: a 3x3 conv; the others: separable conv
    out2 = sep(out1, conv1);  out3 = sep(relu(out1 + out2), conv2)
    out4 = sep(relu(out1 + out2 + out3), conv3);  y = relu(out1 + out2 + out3 + out4)
    sep = tf.separableConv2d (3x3 depthwise, then 1x1 pointwise, 'same') + bias
  avgPool 7x7 stride 2 'valid' (7x7 -> 1x1), fully connected 256 -> 7, softmax; classes
  neutral, happy, sad, angry, fearful, disgusted, surprised (FaceExpressions.ts).
Dequantisation as TF.js: value = min + scale * byte.

The ONNX model (opset 11):
  input  "input"      float32 [N, 1, 112, 112] grey in [0, 1] (pixel / 255); the grey channel
                      is given to the three colour inputs (R = G = B). With --rgb:
                      [N, 3, 112, 112], channels R, G, B (what the test compares with TF.js).
                      N (batch, the faces of a frame) is free: ONNX Runtime runs them in one
                      call, and OpenCV 4.6 DNN reads it too.
  output "scores"     float32 [N, 7] softmax, face-api's class order
  output "embedding"  float32 [N, 256] the pooled features (the fully connected layer's input)
The mean subtraction is a 1x1 convolution (weights: copy the grey channel, or identity for
--rgb; bias -mean / 255), so the zero padding of the first 3x3 convolution stays in the
normalised domain, as in TF.js. 'same' padding is explicit per layer (TF puts the extra row
and column at the end at stride 2). What OpenCV 4.6 DNN needs: the fully connected layer
as Gemm with its weights stored transposed (transB = 1).
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
LABELS = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"]
# face-api's names -> gst-emo's (FER+) names
GST_EMO_LABELS = ["neutral", "happiness", "sadness", "anger", "fear", "disgust", "surprise"]


def load_manifest_weights(manifest_path):
    """name -> float32 array from a TF.js weights manifest (uint8/uint16 quantisation or
    float32), in manifest order over the concatenated shard files."""
    base = os.path.dirname(os.path.abspath(manifest_path))
    out = {}
    for group in json.load(open(manifest_path)):
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        pos = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q:
                dt = {"uint8": np.uint8, "uint16": np.dtype("<u2")}[q["dtype"]]
                raw = np.frombuffer(blob, dt, n, pos)
                pos += n * np.dtype(dt).itemsize
                arr = (q["min"] + q["scale"] * raw.astype(np.float64)).astype(np.float32)
            else:
                if w["dtype"] != "float32":
                    raise SystemExit(f"unsupported weight {w['name']}: {w['dtype']}")
                arr = np.frombuffer(blob, "<f4", n, pos).astype(np.float32)
                pos += 4 * n
            out[w["name"]] = arr.reshape(w["shape"])
        if pos != len(blob):
            raise SystemExit(f"weight data is {len(blob)} bytes, the manifest needs {pos}")
    return out


def _tfjs_converter():
    """tools/tfjs-emotion-to-onnx.py (its file name is no module name), for same_pads()."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "tfjs_emotion_to_onnx", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "tfjs-emotion-to-onnx.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# TF 'same' padding (start, end) and output size of one spatial axis.
same_pads = _tfjs_converter().same_pads


class Graph:
    def __init__(self):
        self.nodes, self.inits = [], []

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), name))
        return name

    def node(self, op, inputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(self, x, size, w_oihw, bias, stride, name, group=1):
        k = w_oihw.shape[2]
        t, b, out = same_pads(size, k, stride)
        ins = [x, self.init(name + ".w", w_oihw)]
        if bias is not None:
            ins.append(self.init(name + ".b", bias))
        return self.node("Conv", ins, name, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[t, t, b, b], group=group), out


def convert(manifest_path, onnx_path, rgb=False):
    W = load_manifest_weights(manifest_path)
    g = Graph()
    channels = 3 if rgb else 1
    # Normalisation: (pixel/255 per colour) - mean/255, as a 1x1 convolution.
    w0 = np.eye(3, dtype=np.float32) if rgb else np.ones((3, 1), np.float32)
    x = g.node("Conv", ["input", g.init("norm.w", w0.reshape(3, channels, 1, 1)),
                        g.init("norm.b", -np.array(MEAN_RGB, np.float32) / 255)], "norm",
               kernel_shape=[1, 1])
    size = SIZE

    def sep(x, size, p, stride, name):
        dw = W[p + "/depthwise_filter"]  # [3, 3, C, 1]
        y, out = g.conv(x, size, dw.transpose(2, 3, 0, 1), None, stride, name + ".dw",
                        group=dw.shape[2])
        pw = W[p + "/pointwise_filter"]  # [1, 1, Cin, Cout]
        y = g.node("Conv", [y, g.init(name + ".pw.w", pw.transpose(3, 2, 0, 1)),
                            g.init(name + ".pw.b", W[p + "/bias"])], name + ".pw",
                   kernel_shape=[1, 1])
        return y, out

    for d in range(4):
        p = f"dense{d}"
        if d == 0:
            out1, nsize = g.conv(x, size, W[p + "/conv0/filters"].transpose(3, 2, 0, 1),
                                 W[p + "/conv0/bias"], 2, p + ".conv0")
        else:
            out1, nsize = sep(x, size, p + "/conv0", 2, p + ".conv0")
        size = nsize
        out1 = g.node("Relu", [out1], p + ".out1")
        out2, _ = sep(out1, size, p + "/conv1", 1, p + ".conv1")
        s12 = g.node("Add", [out1, out2], p + ".s12")
        out3, _ = sep(g.node("Relu", [s12], p + ".in3"), size, p + "/conv2", 1, p + ".conv2")
        s123 = g.node("Add", [s12, out3], p + ".s123")
        out4, _ = sep(g.node("Relu", [s123], p + ".in4"), size, p + "/conv3", 1, p + ".conv3")
        x = g.node("Relu", [g.node("Add", [s123, out4], p + ".s1234")], p + ".out")
    if size != 7:
        raise SystemExit(f"unexpected feature map size {size}")
    pooled = g.node("AveragePool", [x], "pool", kernel_shape=[7, 7], strides=[2, 2])
    emb = g.node("Flatten", [pooled], "embedding", axis=1)
    fc_w = W["fc/weights"]  # [256, 7]: x @ W
    logits = g.node("Gemm", [emb, g.init("fc.w", fc_w.T), g.init("fc.b", W["fc/bias"])],
                    "logits", transB=1)
    g.node("Softmax", [logits], "scores", axis=1)
    graph = helper.make_graph(
        g.nodes, "faceapi_expression",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", channels, SIZE, SIZE])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 7]),
         helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 256])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)],
                              producer_name="gst-emo tools/faceapi-expression-to-onnx.py")
    model.ir_version = 6
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)


def sidecar(onnx_path, rgb=False):
    """The gst-emo sidecar (docs/sidecar.md) of a grey or RGB model."""
    return {
        "format": "gst-emo-cnn-model", "version": 1, "model": os.path.basename(onnx_path),
        "input": {"width": SIZE, "height": SIZE, "layout": "nchw",
                  "color": "rgb" if rgb else "grey", "scale": 1 / 255, "offset": 0.0},
        "outputs": {"scores": "scores", "embedding": "embedding"},
        "crop": {"size": 2.4, "below_eyes": 0.45, "box_scale": 1.0},
        "labels": GST_EMO_LABELS,
        "source": "face-api FaceExpressionNet (justadudewhohacks/face-api.js) as shipped by "
                  "@vladmandic/face-api 1.7.15 (model/face_expression_model.bin); converted by "
                  "tools/faceapi-expression-to-onnx.py" +
                  (" --rgb (its own RGB input)" if rgb else " (grey input given to R, G and B)"),
        "license": "weights MIT (face-api.js, @vladmandic/face-api); training data "
                   "undocumented",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manifest", help="face_expression_model-weights_manifest.json")
    ap.add_argument("output", help="ONNX file to write")
    ap.add_argument("--rgb", action="store_true", help="3-channel RGB input instead of grey")
    ap.add_argument("--sidecar", action="store_true",
                    help="also write the gst-emo sidecar (same name, .json)")
    a = ap.parse_args()
    convert(a.manifest, a.output, a.rgb)
    if a.sidecar:
        with open(os.path.splitext(a.output)[0] + ".json", "w") as f:
            json.dump(sidecar(a.output, a.rgb), f, indent=2)
            f.write("\n")
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
