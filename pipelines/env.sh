# Sourced by every pipeline: where things are.  here = pipelines/, root = the
# checkout (its bin/ goes first on PATH), shared = the data and tokenizer
# files beside it (FT_SHARED overrides).
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${FT_SHARED:-$(dirname "$root")/shared}
export PATH="$root/bin:$PATH"
