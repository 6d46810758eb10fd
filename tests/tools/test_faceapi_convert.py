#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks tools/faceapi-expression-to-onnx.py against a reference forward pass of face-api's
FaceExpressionNet written here in numpy from the TF.js weights (NHWC, TensorFlow's 'same'
padding, tf.separableConv2d, avgPool, matMul), independently of the converter: OpenCV DNN
(cv2.dnn) runs the converted ONNX model (RGB and grey input) on face crops of the astronaut
portrait (scikit-image) and must match the reference to 1e-4 on scores and embedding.
Needs only the npm weights that tools/fetch-models.sh puts in models/faceapi/ (no shared data).

Environment (CTest): EMO_SOURCE_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

SRC = os.environ.get("EMO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CONVERTER = os.path.join(SRC, "tools", "faceapi-expression-to-onnx.py")
MANIFEST = os.path.join(SRC, "models", "faceapi", "face_expression_model-weights_manifest.json")
ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
TOL = 1e-4


def weights():
    base = os.path.dirname(MANIFEST)
    out = {}
    for group in json.load(open(MANIFEST)):
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        pos = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"]))
            q = w.get("quantization")
            if q:
                assert q["dtype"] == "uint8", q
                v = np.frombuffer(blob, np.uint8, n, pos) * q["scale"] + q["min"]
                pos += n
            else:
                v = np.frombuffer(blob, "<f4", n, pos).astype(np.float64)
                pos += 4 * n
            out[w["name"]] = v.reshape(w["shape"])
        assert pos == len(blob)
    return out


def pad_same(x, k, s):
    """TF 'SAME': total = max((ceil(n / s) - 1) * s + k - n, 0), the extra at the end."""
    n = x.shape[1]
    total = max((-(-n // s) - 1) * s + k - n, 0)
    a = total // 2
    return np.pad(x, ((0, 0), (a, total - a), (a, total - a), (0, 0)))


def patches(x, k, s):
    """[N, Ho, Wo, k, k, C] windows of an already padded NHWC x."""
    n, h, w, c = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, ho, wo, k, k, c))
    for i in range(k):
        for j in range(k):
            out[:, :, :, i, j, :] = x[:, i:i + s * ho:s, j:j + s * wo:s, :]
    return out


def conv2d(x, f, s):  # f [k, k, Cin, Cout]
    return np.einsum("nhwijc,ijco->nhwo", patches(pad_same(x, f.shape[0], s), f.shape[0], s), f)


def separable(x, dw, pw, s):  # tf.separableConv2d(x, dw [k,k,C,1], pw [1,1,C,O], s, 'same')
    d = np.einsum("nhwijc,ijc->nhwc", patches(pad_same(x, dw.shape[0], s), dw.shape[0], s),
                  dw[:, :, :, 0])
    return np.einsum("nhwc,co->nhwo", d, pw[0, 0])


def reference(W, rgb):
    """rgb: [N, 112, 112, 3] pixels 0-255 -> (softmax scores, pooled features)."""
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    x = (rgb - np.array([122.782, 117.001, 104.298])) / 255
    for d in range(4):
        p = f"dense{d}/"
        sep = lambda v, c, s=1: separable(v, W[p + c + "/depthwise_filter"],  # noqa: E731
                                          W[p + c + "/pointwise_filter"], s) + W[p + c + "/bias"]
        o1 = relu(conv2d(x, W[p + "conv0/filters"], 2) + W[p + "conv0/bias"] if d == 0
                  else sep(x, "conv0", 2))
        o2 = sep(o1, "conv1")
        o3 = sep(relu(o1 + o2), "conv2")
        o4 = sep(relu(o1 + o2 + o3), "conv3")
        x = relu(o1 + o2 + o3 + o4)
    feats = x.mean(axis=(1, 2))  # avgPool 7x7 stride 2 'valid' on 7x7
    logits = feats @ W["fc/weights"] + W["fc/bias"]
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True), feats


def crops():
    """112x112 RGB crops of the astronaut's face at several framings, and a flipped one."""
    img = cv2.cvtColor(cv2.imread(ASTRONAUT), cv2.COLOR_BGR2RGB)
    out = []
    for (x, y, s) in [(170, 40, 130), (160, 30, 150), (180, 60, 110), (140, 10, 200),
                      (200, 80, 90)]:
        out.append(cv2.resize(img[y:y + s, x:x + s], (112, 112), interpolation=cv2.INTER_AREA))
    out.append(out[0][:, ::-1])
    return np.stack(out).astype(np.float64)


def dnn(path, x_nchw):
    net = cv2.dnn.readNetFromONNX(path)
    res = []
    for i in range(len(x_nchw)):  # batch 1
        net.setInput(np.ascontiguousarray(x_nchw[i:i + 1], np.float32))
        s, e = net.forward(["scores", "embedding"])
        res.append((s[0], e[0]))
    return np.stack([r[0] for r in res]), np.stack([r[1] for r in res])


def main():
    if not os.path.exists(MANIFEST):
        print(f"FAIL: {MANIFEST} missing: run tools/fetch-models.sh", file=sys.stderr)
        return 1
    W = weights()
    rgb = crops()
    grey = np.stack([cv2.cvtColor(c.astype(np.uint8), cv2.COLOR_RGB2GRAY) for c in rgb])
    grey = grey.astype(np.float64)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode, x_ref, x_in in [
                ("rgb", rgb, rgb.transpose(0, 3, 1, 2) / 255),
                ("grey", np.repeat(grey[..., None], 3, axis=3), grey[:, None] / 255)]:
            path = os.path.join(tmp, f"{mode}.onnx")
            subprocess.run([sys.executable, CONVERTER, MANIFEST, path] +
                           (["--rgb"] if mode == "rgb" else []), check=True,
                           stdout=subprocess.DEVNULL)
            ref_s, ref_e = reference(W, x_ref)
            got_s, got_e = dnn(path, x_in)
            ds, de = np.abs(got_s - ref_s).max(), np.abs(got_e - ref_e).max()
            print(f"{mode}: max |scores - reference| {ds:.2e}, |embedding - reference| "
                  f"{de:.2e}; reference top classes {ref_s.argmax(1).tolist()}")
            if not (ds < TOL and de < TOL):
                print(f"FAIL: {mode} conversion differs from the reference", file=sys.stderr)
                failures += 1
            # The batch is free: all the crops in one run give each its own outputs.
            net = cv2.dnn.readNetFromONNX(path)
            net.setInput(np.ascontiguousarray(x_in, np.float32))
            batch_s, batch_e = net.forward(["scores", "embedding"])
            db = max(np.abs(batch_s - got_s).max(), np.abs(batch_e - got_e).max())
            print(f"{mode}: {len(x_in)} crops in one run, max |diff| against one by one {db:.2e}")
            if batch_s.shape != got_s.shape or not db < TOL:
                print(f"FAIL: {mode}: a batch of {len(x_in)} differs", file=sys.stderr)
                failures += 1
            # The comparison must be able to fail: the extra 'same' padding row and column at
            # the start instead of the end (a classic conversion error) must be caught.
            if mode == "rgb":
                global pad_same
                keep = pad_same

                def pad_start(x, k, s):
                    n = x.shape[1]
                    total = max((-(-n // s) - 1) * s + k - n, 0)
                    return np.pad(x, ((0, 0), (total - total // 2, total // 2),
                                      (total - total // 2, total // 2), (0, 0)))
                pad_same = pad_start
                _, bad_e = reference(W, x_ref[:1])
                pad_same = keep
                if not np.abs(bad_e - got_e[:1]).max() > 100 * TOL:
                    print("FAIL: the comparison would not catch padding at the start",
                          file=sys.stderr)
                    failures += 1
            # Smiling astronaut: face-api calls her happy.
            if ref_s[0].argmax() != 1:
                print(f"FAIL: {mode}: the astronaut is not 'happy' ({ref_s[0]})", file=sys.stderr)
                failures += 1
    print("OK" if not failures else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
