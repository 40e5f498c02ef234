#!/bin/sh
# PyTorch parity for BERT (see bert_parity.py); needs /usr/bin/python3 with torch.
. tests/lib.sh
drv=${FT_BUILD:-build}/ref/bert_ref_drv
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    fail "bert_parity (python3-torch missing: make deps)"; exit 0
fi
[ -x "$drv" ] || { fail "bert_parity ($drv not built)"; exit 0; }
for problem in single regression multitask mlm; do
    OMP_NUM_THREADS=2 /usr/bin/python3 tests/ref/bert_parity.py "$TMP/$problem" "$drv" "$problem" \
        || echo "FAIL bert_parity_$problem (exit $?)"
done
