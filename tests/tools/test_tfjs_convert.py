#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks tools/tfjs-emotion-to-onnx.py against the numpy reference of the TF.js graph
(tfjs_reference.py): OpenCV DNN (cv2.dnn) runs the converted ONNX model on real face crops
(the astronaut portrait, framed tighter and looser, mirrored, tilted, darker, brighter, with
less contrast, blurred, and with her smile mirrored into a frown; and the first faces of
scikit-image's LFW subset, 25x25 crops of other people) and must match the
reference to 1e-4 on the scores and the embedding. A small synthetic graph checks TF's
asymmetric 'SAME' padding at stride 2 (16 -> 8 and 8 -> 4 put the extra row/column at the
end), and that the comparison would catch symmetric padding. The committed
models/emotion-cnn.onnx must equal a fresh conversion.

Environment (CTest): EMO_SOURCE_DIR. Self-contained: no research data.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfjs_reference  # noqa: E402

SRC = os.environ.get("EMO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CONVERTER = os.path.join(SRC, "tools", "tfjs-emotion-to-onnx.py")
TFJS = os.path.join(SRC, "models", "human", "emotion.json")
ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
TOL = 1e-4


def convert(json_path, out):
    subprocess.run([sys.executable, CONVERTER, json_path, out], check=True,
                   stdout=subprocess.DEVNULL)


def dnn(onnx_path, x_nhwc):
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)).astype(np.float32))
    return net.forward(["scores", "embedding"])


def face_crops():
    """Real face crops, 64x64 grey in [-1, 1], NHWC: the astronaut in 16 variants, then the
    first 12 faces of skimage's lfw_subset.npy (100 LFW faces, then 100 non-faces)."""
    img = cv2.imread(ASTRONAUT, cv2.IMREAD_GRAYSCALE)
    cascade = cv2.CascadeClassifier("/usr/share/opencv4/haarcascades/"
                                    "haarcascade_frontalface_default.xml")
    (x, y, w, h), = cascade.detectMultiScale(img, 1.1, 5, minSize=(60, 60))[:1]
    frown = img.copy()
    frown[133:158, 196:250] = img[133:158, 196:250][::-1]
    crops = []
    for src in (img, frown):
        for grow in (0.0, 0.15, -0.08):  # the detector's framing, looser, tighter
            d = int(grow * w)
            crops.append(src[y - d:y + h + d, x - d:x + w + d])
    face = img[y:y + h, x:x + w]
    crops.append(face[:, ::-1])
    for angle in (-15, 10):
        m = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), angle, 1.0)
        crops.append(cv2.warpAffine(img, m, img.shape[::-1])[y:y + h, x:x + w])
    for alpha, beta in ((0.5, 0), (1.0, 60), (0.4, 80), (1.3, -40)):
        crops.append(cv2.convertScaleAbs(face, alpha=alpha, beta=beta))
    crops.append(cv2.GaussianBlur(face, (0, 0), 2))
    crops.append(cv2.resize(cv2.resize(face, (24, 24)), face.shape[::-1]))  # a small face
    crops.append(cv2.equalizeHist(face))
    lfw = np.load(os.path.join(os.path.dirname(ASTRONAUT), "lfw_subset.npy"))[:12]
    crops += [np.round(f * 255).astype(np.uint8) for f in lfw]
    assert len(crops) >= 15, f"only {len(crops)} face crops"
    x = np.stack([cv2.resize(c, (64, 64), interpolation=cv2.INTER_AREA if c.shape[0] > 64
                             else cv2.INTER_LINEAR) for c in crops])
    return (x.astype(np.float32) / 127.5 - 1.0)[..., None]


def b64(s):
    return base64.b64encode(s.encode()).decode()


def synthetic_model(directory):
    """A TF.js graph with every op kind at stride 2 'SAME' on even sizes (asymmetric pads)."""
    rng = np.random.default_rng(7)
    ws = {"w1": rng.normal(size=(3, 3, 1, 4)), "b1": rng.normal(size=4),
          "w2": rng.normal(size=(1, 1, 1, 4)), "b2": rng.normal(size=4),
          "dw": rng.normal(size=(3, 3, 4, 1)),
          "w3": rng.normal(size=(3, 3, 4, 3)), "b3": rng.normal(size=3),
          "axes": np.array([1, 2], np.int32)}
    blob, manifest = b"", []
    for k, v in ws.items():
        v = v.astype(np.int32 if k == "axes" else np.float32)
        manifest.append({"name": k, "shape": list(v.shape), "dtype": str(v.dtype)})
        blob += v.astype(v.dtype.newbyteorder("<")).tobytes()
    open(os.path.join(directory, "m.bin"), "wb").write(blob)

    def conv(name, x, w, b, s, pad, relu):
        return {"name": name, "op": "_FusedConv2D", "input": [x, w, b], "attr": {
            "strides": {"list": {"i": ["1", str(s), str(s), "1"]}}, "padding": {"s": b64(pad)},
            "data_format": {"s": b64("NHWC")},
            "fused_ops": {"list": {"s": [b64("BiasAdd")] + ([b64("Relu")] if relu else [])}}}}

    nodes = [{"name": k, "op": "Const"} for k in ws] + [
        {"name": "in", "op": "Placeholder",
         "attr": {"shape": {"shape": {"dim": [{"size": "-1"}, {"size": "16"}, {"size": "16"},
                                              {"size": "1"}]}}}},
        conv("a", "in", "w1", "b1", 2, "SAME", True),
        conv("p", "in", "w2", "b2", 1, "VALID", False),
        {"name": "d", "op": "DepthwiseConv2dNative", "input": ["p", "dw"], "attr": {
            "strides": {"list": {"i": ["1", "2", "2", "1"]}}, "padding": {"s": b64("SAME")}}},
        {"name": "add", "op": "AddV2", "input": ["a", "d"]},
        {"name": "mp", "op": "MaxPool", "input": ["add"], "attr": {
            "strides": {"list": {"i": ["1", "2", "2", "1"]}}, "padding": {"s": b64("SAME")},
            "ksize": {"list": {"i": ["1", "3", "3", "1"]}}}},
        conv("c", "mp", "w3", "b3", 1, "SAME", False),
        {"name": "mean", "op": "Mean", "input": ["c", "axes"]},
        {"name": "sm", "op": "Softmax", "input": ["mean"]},
        {"name": "Identity", "op": "Identity", "input": ["sm"]}]
    path = os.path.join(directory, "m.json")
    json.dump({"format": "graph-model", "modelTopology": {"node": nodes},
               "weightsManifest": [{"paths": ["m.bin"], "weights": manifest}]}, open(path, "w"))
    return path


def check_synthetic(tmp):
    path = synthetic_model(tmp)
    out = os.path.join(tmp, "m.onnx")
    convert(path, out)
    model = onnx.load(out)
    pads = {n.name: list(a.ints) for n in model.graph.node for a in n.attribute if a.name == "pads"}
    assert pads["a"] == [0, 0, 1, 1] and pads["d"] == [0, 0, 1, 1] and pads["mp"] == [0, 0, 1, 1], pads
    x = np.random.default_rng(3).uniform(-1, 1, size=(4, 16, 16, 1)).astype(np.float32)
    ref = tfjs_reference.run(path, x)
    scores, emb = dnn(out, x)
    d = max(np.abs(scores - ref["Identity"]).max(), np.abs(emb - ref["add"].mean(axis=(1, 2))).max())
    assert d <= TOL, f"synthetic graph: max |diff| {d:.3g} > {TOL}"
    # The same graph with symmetric padding (what ONNX's SAME_UPPER/LOWER confusion or a naive
    # pad of 1 gives) must be caught by the comparison.
    for n in model.graph.node:
        for a in n.attribute:
            if a.name == "pads" and n.name in ("a", "mp"):
                a.ints[:] = [1, 1, 1, 1]
    bad = os.path.join(tmp, "bad.onnx")
    onnx.save(model, bad)
    bad_scores, _ = dnn(bad, x)
    assert np.abs(bad_scores - ref["Identity"]).max() > 10 * TOL, "symmetric padding not caught"
    print(f"synthetic graph (asymmetric SAME padding): max |diff| {d:.2e}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_synthetic(tmp)

        out = os.path.join(tmp, "emotion-cnn.onnx")
        convert(TFJS, out)
        x = face_crops()
        ref = tfjs_reference.run(TFJS, x)
        ref_scores = ref["Identity"]
        ref_emb = ref["StatefulPartitionedCall/model_1/add_2/add"].mean(axis=(1, 2))
        scores, emb = dnn(out, x)
        d_s = np.abs(scores - ref_scores).max()
        d_e = np.abs(emb - ref_emb).max()
        print(f"{len(x)} face crops: max |diff| scores {d_s:.2e}, embedding {d_e:.2e}")
        assert d_s <= TOL and d_e <= TOL, f"max |diff| scores {d_s}, embedding {d_e} > {TOL}"
        # The astronaut smiles: "happy" (index 3 of angry, disgust, fear, happy, ...).
        assert int(np.argmax(ref_scores[0])) == 3, ref_scores[0]
        print("classes:", sorted(set(np.argmax(ref_scores, axis=1))))
        assert len(set(np.argmax(ref_scores, axis=1))) >= 3, "every crop in the same class?"

        committed = os.path.join(SRC, "models", "emotion-cnn.onnx")
        c_scores, c_emb = dnn(committed, x)
        d_c = max(np.abs(c_scores - scores).max(), np.abs(c_emb - emb).max())
        assert d_c == 0.0, f"models/emotion-cnn.onnx differs from a fresh conversion ({d_c})"
        print("models/emotion-cnn.onnx equals a fresh conversion")
    return 0


if __name__ == "__main__":
    sys.exit(main())
