#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The experiments behind models/README.md's "What was tried" table, on a dump of emo-train
(`emo-train ... --dump-crops DIR`: aligned crops, samples.csv with the geometry features,
folds.csv with emo-train's identity-grouped folds):

    tools/emo-heads-cv.py DIR zs lr mlp rf

zs: the CNN zero-shot; lr: logistic regression heads (torch) on the embedding (+ scores,
+ geometry); mlp: a 64-unit MLP head; rf: the fused forest re-run with cv2.ml.RTrees (per-class
recall on wild faces). Prints macro recall over all, wild (detected) and posed samples.
"""
import csv, sys, os, time
import numpy as np, cv2, torch, torch.nn.functional as F
D = sys.argv[1]
MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "emotion-cnn.onnx")
labels = "anger,disgust,happiness,neutral,sadness,surprise".split(",")
rows = {int(r[0]): r for r in csv.reader(open(D + "/samples.csv"))}
idx, y, fold, whole, geo = [], [], [], [], []
for r in csv.reader(open(D + "/folds.csv")):
    i, f = int(r[0]), int(r[1]); s = rows[i]
    idx.append(i); y.append(labels.index(s[1])); fold.append(f); whole.append(s[3] == "1")
    geo.append([float(v) for v in s[6:]])
y, fold, whole, geo = np.array(y), np.array(fold), np.array(whole), np.array(geo, np.float32)
crops = np.stack([cv2.imread(f"{D}/{i}.png", 0) for i in idx]).astype(np.float32)[:, None] / 127.5 - 1
net = cv2.dnn.readNetFromONNX(MODEL)
S, E = [], []
for b in range(0, len(crops), 256):
    net.setInput(crops[b:b+256]); s, e = net.forward(["scores", "embedding"]); S.append(s); E.append(e)
z = dict(y=y, fold=fold, whole=whole, geo=geo, S=np.concatenate(S), E=np.concatenate(E))
torch.set_num_threads(2)

labels = "anger,disgust,happiness,neutral,sadness,surprise".split(",")
def report(name, pred):
    def rec(m): return [float((pred[m & (y == c)] == c).mean()) if (m & (y == c)).any() else np.nan for c in range(6)]
    w = rec(~whole); p = rec(whole); a = rec(np.ones_like(whole))
    print(f"{name:38s} all {np.nanmean(a):.3f} | wild {np.nanmean(w):.3f} " + " ".join(f"{labels[c][:4]} {w[c]:.2f}" for c in range(6)) + f" | posed {np.nanmean(p):.3f}", flush=True)
def lr(X, hidden=0, epochs=300, wd=1e-3, seed=0, lr_=0.01):
    pred = np.zeros_like(y)
    for f in range(5):
        tr, te = fold != f, fold == f
        mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-6
        Xt = torch.tensor((X[tr] - mu) / sd, dtype=torch.float32); Xe = torch.tensor((X[te] - mu) / sd, dtype=torch.float32)
        yt = torch.tensor(y[tr]); cnt = np.bincount(y[tr], minlength=6)
        wt = torch.tensor(len(y[tr]) / (6 * cnt), dtype=torch.float32)
        torch.manual_seed(seed)
        m = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(hidden, 6)) if hidden else torch.nn.Linear(X.shape[1], 6)
        opt = torch.optim.Adam(m.parameters(), lr=lr_, weight_decay=wd)
        for e in range(epochs):
            m.train(); loss = F.cross_entropy(m(Xt), yt, weight=wt); opt.zero_grad(); loss.backward(); opt.step()
        m.eval()
        with torch.no_grad(): pred[te] = m(Xe).argmax(1).numpy()
    return pred
def rf(X, trees=100, minn=50):
    pred = np.zeros_like(y)
    for f in range(5):
        tr, te = fold != f, fold == f
        r = cv2.ml.RTrees_create(); r.setMaxDepth(20); r.setMinSampleCount(minn); r.setActiveVarCount(0)
        r.setTermCriteria((cv2.TERM_CRITERIA_MAX_ITER, trees, 0))
        cnt = np.bincount(y[tr], minlength=6); pr = (1 / cnt) / (1 / cnt).sum(); r.setPriors(pr.reshape(1, -1).astype(np.float32))
        vt = np.zeros(X.shape[1] + 1, np.uint8); vt[-1] = 1
        td = cv2.ml.TrainData_create(X[tr].astype(np.float32), cv2.ml.ROW_SAMPLE, y[tr].astype(np.int32).reshape(-1, 1), varType=vt)
        r.train(td); pred[te] = r.predict(X[te].astype(np.float32))[1].ravel().astype(int)
    return pred
G, E, S = z["geo"], z["E"], z["S"]
which = sys.argv[2:]
if "zs" in which:
    cols = [0, 1, 3, 6, 4, 5]; report("zero-shot CNN", S[:, cols].argmax(1))
if "lr" in which:
    report("b: logreg on embedding", lr(E))
    report("b: logreg on embedding+scores", lr(np.hstack([E, np.log(S + 1e-6)])))
    report("logreg geometry+embedding+logscores", lr(np.hstack([G, E, np.log(S + 1e-6)])))
if "mlp" in which:
    report("b: mlp64 on embedding", lr(E, hidden=64, epochs=200))
    report("mlp64 geometry+embedding+logscores", lr(np.hstack([G, E, np.log(S + 1e-6)]), hidden=64, epochs=200))
if "rf" in which:
    report("a: rtrees200 geo+emb+scores (python)", rf(np.hstack([G, E, S]), trees=200))
