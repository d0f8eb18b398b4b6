#!/usr/bin/python3
"""cleanlab-style reference for bench/datasets-quality.ts (needs Debian's python3-sklearn).

Confident learning (Northcutt et al. 2021, the method cleanlab's find_label_issues uses with
its default filter_by="prune_by_noise_rate") on out-of-sample probabilities from 5-fold
stratified cross-validation:
  tabular: StandardScaler + LogisticRegression (the strongest of sklearn's linear models on
           digits and breast cancer at this size);
  text:    TfidfVectorizer (unigrams and bigrams, sublinear tf) + LogisticRegression.
cleanlab itself is not packaged for Debian; this re-implements its default path in numpy.

usage: confident_learning.py CSV LABEL_COLUMN [TEXT_COLUMN]
prints one JSON line: {"rows": [...flagged 0-based rows...], "seconds": wall time}
"""
import csv
import json
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def confident_learning(p, y):
    n, k = p.shape
    labelled = np.bincount(y, minlength=k)
    thresholds = np.array([p[y == c, c].mean() if labelled[c] else 1.0 for c in range(k)])
    joint = np.zeros((k, k))
    above = p >= thresholds - 1e-12
    masked = np.where(above, p, -1.0)
    best = masked.argmax(axis=1)
    has = above.any(axis=1)
    for i in np.nonzero(has)[0]:
        joint[y[i], best[i]] += 1
    flagged = np.zeros(n, dtype=bool)
    for g in range(k):
        total = joint[g].sum()
        if total == 0:
            continue
        members = np.nonzero(y == g)[0]
        for c in range(k):
            if c == g:
                continue
            count = int(round(joint[g, c] / total * labelled[g]))
            if count <= 0:
                continue
            margin = p[members, c] - p[members, g]
            order = members[np.argsort(-margin, kind="stable")][:count]
            flagged[order] = True
    flagged[p.argmax(axis=1) == y] = False
    return np.nonzero(flagged)[0]


def main():
    path, label_col = sys.argv[1], sys.argv[2]
    text_col = sys.argv[3] if len(sys.argv) > 3 else ""
    t0 = time.time()
    with open(path, newline="", encoding="utf8") as f:
        rows = list(csv.DictReader(f))
    classes = sorted({r[label_col] for r in rows})
    y = np.array([classes.index(r[label_col]) for r in rows])
    if text_col:
        X = [r[text_col] for r in rows]
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2), LogisticRegression(C=10, max_iter=1000))
    else:
        names = [c for c in rows[0].keys() if c != label_col]
        X = np.array([[float(r[c]) for c in names] for r in rows])
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
    flagged = confident_learning(p, y)
    print(json.dumps({"rows": [int(i) for i in flagged], "seconds": time.time() - t0}))


if __name__ == "__main__":
    main()
