# Cost per face of the emotion networks with OpenCV 4.6 DNN, one thread, interleaved in one
# process (100 rounds, random order): median, minimum and the ratio to the default. Run from the
# repository root after tools/fetch-models.sh: /usr/bin/python3 bench/emotion_cost.py
import cv2, numpy as np, time, random
cv2.setNumThreads(1)
ms = ['models/emotion-cnn.onnx', 'models/emotion-finetuned.onnx', 'models/faceapi/faceapi-expression.onnx', 'models/emotion-faceapi-ferplus.onnx']
nets = {p: cv2.dnn.readNetFromONNX(p) for p in ms}
xs = {p: np.random.rand(1, 1, 112 if 'faceapi' in p else 64, 112 if 'faceapi' in p else 64).astype(np.float32) for p in ms}
t = {p: [] for p in ms}
for p in ms:
    for _ in range(5): nets[p].setInput(xs[p]); nets[p].forward('scores')
for r in range(100):
    order = ms[:]; random.shuffle(order)
    for p in order:
        t0 = time.perf_counter(); nets[p].setInput(xs[p]); nets[p].forward('scores'); t[p].append(time.perf_counter() - t0)
base = np.median(t[ms[1]])
for p in ms: print(f"{p:45s} median {1000*np.median(t[p]):6.2f} ms  min {1000*min(t[p]):6.2f} ms  ratio to emotion-finetuned {np.median(t[p])/base:.2f}")
