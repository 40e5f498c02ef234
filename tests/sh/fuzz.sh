# The libFuzzer harnesses (fuzz/, built by `make test` as by `make fuzz-build`):
# every seed corpus replays with no crash, leak or sanitizer report, and each
# harness fuzzes FT_FUZZ_CI_RUNS inputs (default 2000) from a fixed seed and
# its seed corpus alone, so that a regression in a parser fails CI and the
# same tree always gives the same verdict (campaigns are `make fuzz`).  Bugs found by fuzzing are corpus files (fuzz/corpus/*/regress-*)
# and are also fed to the tools here.
. "$FT_ROOT/tests/lib.sh"
cd "$FT_ROOT" || exit 1
export FT_SHARED=$SHARED
runs=${FT_FUZZ_CI_RUNS:-2000}
for dir in fuzz/corpus/*/; do
    name=$(basename "$dir")
    case $name in encode_*)
        [ -d "$SHARED/models" ] || { skip "fuzz_$name (no $SHARED/models)"; continue; } ;;
    esac
    if [ ! -x "build-fuzz/fuzz_$name" ]; then
        echo "  build-fuzz/fuzz_$name missing: clang and libFuzzer (scripts/deps fuzz) needed"
        fail "fuzz_$name"
        continue
    fi
    check "fuzz_${name}_corpus_replays" fuzz/run -r "$name"
    check "fuzz_${name}_${runs}_runs" fuzz/run -n "$runs" "$name"
done

# issue 17: a tensor whose shape × 4 bytes wraps to the 128 bytes it carries
wrap=fuzz/corpus/stream/regress-shape-wrap.ft
expect_fail shape_wrap_ft_cat 'record 1: field "input_ids": tensor shape too large' ft-cat "$wrap"
expect_fail shape_wrap_ft_batch 'tensor shape too large' ft-batch "$wrap"
