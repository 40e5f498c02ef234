# Sourced by the examples: PATH and $shared (../pipelines/env.sh), small_bert
# (../pipelines/small-bert.sh), and the defaults they share: DATA (the
# medical questions), THREADS (all CPUs), OUT (out/examples/NAME, created).
set -eu
. "$(dirname "$0")/../pipelines/env.sh"
. "$(dirname "$0")/../pipelines/small-bert.sh"
DATA=${DATA:-$shared/data/medical/medical_texts.csv}
THREADS=${THREADS:-$(nproc)}
OUT=${OUT:-out/examples/$(basename "$0" .sh)}
mkdir -p "$OUT"
