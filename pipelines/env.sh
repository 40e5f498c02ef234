# Sourced by every pipeline: where things are.  here = pipelines/, root = the
# checkout (its bin/ goes first on PATH), shared = the data and tokenizer
# files beside it (FT_SHARED overrides); and how long OpenMP threads spin.
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${FT_SHARED:-$(dirname "$root")/shared}
export PATH="$root/bin:$PATH"
# OpenMP threads that wait spin 300,000 rounds before sleeping (libgomp's
# default), which wastes the cores when another job runs beside this one: a
# small masked-LM run sharing 2 cores with another went from 2.8k to 7.3k
# tokens/s each at 10,000, and a quiet run kept its speed (18.1k vs 18.3k).
# libgomp reads this when a tool starts, so it is set here, not in the tools.
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"
