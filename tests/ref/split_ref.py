"""Reference for tests/sh/split.sh: what scikit-learn's train_test_split does.

Usage: split_ref.py CASES
Each line of CASES: NAME DATA DIR TEST_SIZE TRAIN_SIZE SEED SHUFFLE STRATIFY
(- for None; sizes containing '.' are floats).  ft-split has already run with
the same options, writing DIR/train.csv and DIR/test.csv, or DIR/err on
failure.  For each case this prints "ok NAME" when ft-split chose exactly the
rows sklearn chooses, in the same order (ids in column "id"), or failed with
sklearn's error message; else "FAIL NAME" and what differs.  Stratified cases
also check the per-class counts separately (NAME_counts).
Run with Debian's /usr/bin/python3 (numpy, pandas, sklearn)."""
import os
import sys

import pandas as pd
from sklearn.model_selection import train_test_split


def size(s):
    if s == "-":
        return None
    return float(s) if "." in s else int(s)


def main():
    frames = {}
    for line in open(sys.argv[1]):
        if not line.strip():
            continue
        name, data, d, test, train, seed, shuffle, strat = line.split()
        if data not in frames:
            frames[data] = pd.read_csv(data)
        df = frames[data]
        kw = dict(test_size=size(test), train_size=size(train),
                  random_state=None if seed == "-" else int(seed), shuffle=shuffle == "1")
        if strat != "-":
            kw["stratify"] = df[strat]
        try:
            tr, te = train_test_split(df, **kw)
        except ValueError as e:
            err = open(os.path.join(d, "err")).read() if os.path.exists(os.path.join(d, "err")) else ""
            if str(e) in err:
                print("ok", name)
            else:
                print("FAIL", name, "\n  sklearn:", e, "\n  ft-split:", err.strip())
            continue
        if os.path.exists(os.path.join(d, "err")):
            print("FAIL", name, "\n  ft-split failed:", open(os.path.join(d, "err")).read().strip())
            continue
        ftr, fte = pd.read_csv(os.path.join(d, "train.csv")), pd.read_csv(os.path.join(d, "test.csv"))
        same = list(ftr.id) == list(tr.id) and list(fte.id) == list(te.id)
        same = same and ftr.equals(tr.reset_index(drop=True)) and fte.equals(te.reset_index(drop=True))
        if same:
            print("ok", name)
        else:
            print("FAIL", name, "\n  sklearn train", list(tr.id)[:8], "test", list(te.id)[:8],
                  "\n  ft-split train", list(ftr.id)[:8], "test", list(fte.id)[:8])
        if strat != "-":
            want = (tr[strat].value_counts().sort_index().to_dict(), te[strat].value_counts().sort_index().to_dict())
            got = (ftr[strat].value_counts().sort_index().to_dict(), fte[strat].value_counts().sort_index().to_dict())
            print("ok" if want == got else "FAIL", name + "_counts", "" if want == got else f"\n  {want}\n  {got}")


main()
