# The portable build (x86-64-v3, the default) runs on a CPU without AVX-512:
# no object or executable holds an AVX-512 instruction outside the run-time
# dispatched variants (scripts/check-isa), those variants really are AVX-512,
# and the checker catches what it must (zmm, EVEX on ymm, mask registers).
. "$FT_ROOT/tests/lib.sh"
build=$FT_ROOT/${FT_BUILD:-build}
bin=$FT_ROOT/${FT_BUILD:+$FT_BUILD/}bin
check=$FT_ROOT/scripts/check-isa

# the checker on a known object: two offenders, one allowed variant, one plain function
cat > "$TMP/neg.c" <<'C'
#include <immintrin.h>
__attribute__((target("avx512f,avx512vl"))) __m256i ternlog(__m256i a, __m256i b, __m256i c)
{ return _mm256_ternarylogic_epi32(a, b, c, 0x96); }
__attribute__((target("avx512f,avx512vl"))) __m256i ternlog_avx512(__m256i a, __m256i b, __m256i c)
{ return _mm256_ternarylogic_epi32(a, b, c, 0x96); }
__attribute__((target("avx512f"))) __mmask16 cmpz(const float *a)
{ return _mm512_cmp_ps_mask(_mm512_loadu_ps(a), _mm512_setzero_ps(), _CMP_LT_OQ); }
int plain(int x) { return x + 0x62; }
C
cc -O2 -c "$TMP/neg.c" -o "$TMP/neg.o"
"$check" "$TMP/neg.o" > "$TMP/neg.out"
rc=$?
check isa_checker_flags_avx512 sh -c "[ $rc -eq 1 ] && grep -q ': ternlog: ' '$TMP/neg.out' &&
    grep -q ': cmpz: ' '$TMP/neg.out' && ! grep -q 'ternlog_avx512\|plain' '$TMP/neg.out'"
grep -q -- '-march=native' "$build/flags" 2>/dev/null && {
    skip "isa_portable_build (a NATIVE=1 build: AVX-512 anywhere is expected)"; exit 0; }

# the variants are AVX-512 (else the dispatch would pick nothing faster)
"$check" -v "$build/lib/nn/kern.o" > "$TMP/kern.out"
check isa_variants_are_avx512 awk '/AVX-512 variant functions/ { n = $3 } END { exit !(n >= 17) }' "$TMP/kern.out"

# every object of lib/ and every executable (tools, tests, parity drivers, benches)
ls "$build"/lib/*/*.o "$build"/gen/*.o "$bin"/ft-* "$build"/tests/test_* "$build"/ref/* "$build"/bench/* 2>/dev/null |
    xargs -n 16 -P 2 "$check" > "$TMP/all.out"
st=$?
n=$(ls "$build"/lib/*/*.o "$bin"/ft-* "$build"/tests/test_* 2>/dev/null | wc -l)
echo "# $n+ files checked"
check isa_no_avx512_outside_variants sh -c "[ $st -eq 0 ] && [ ! -s '$TMP/all.out' ] && [ $n -gt 20 ]"
[ -s "$TMP/all.out" ] && head -20 "$TMP/all.out"
exit 0
