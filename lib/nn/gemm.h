/* gemm: the one matrix-multiply entry point of every op and model (linear
 * layers, attention, LM heads, LoRA), in the precision the run asks for.
 *
 *   fp32 (default): OpenBLAS sgemm, bit for bit as before.
 *   bf16 (--bf16, torch.autocast("cpu", torch.bfloat16)): both inputs are
 *     rounded to bf16 (round to nearest even, as torch's cast), the products
 *     are summed in fp32 by a oneDNN matmul and the output is fp32.
 *
 * Operands stay fp32 arrays in the interface; the casts happen inside.  An
 * operand lying in a registered weight buffer (every ft_params buffer is
 * registered when allocated) is cast once and its bf16 copy kept until
 * ft_gemm_weights_changed() says those weights moved (the optimiser does,
 * once per step); every other operand (activations, gradients) is cast per
 * call into a per-thread scratch buffer.  oneDNN primitives are cached per
 * thread by shape, so a steady state allocates nothing.
 *
 * A CPU without AVX512-BF16 runs an emulation: both inputs rounded to bf16
 * (the same rule), the products summed in fp32 by sgemm: the same numbers up
 * to summation order, at fp32 speed; ft_set_precision says so once on stderr.
 * FT_BF16_CPU=emulate takes the emulation quietly on any CPU (tests), and
 * FT_BF16_CPU=absent pretends the instruction set is missing (the notice
 * and the emulation, as on such a CPU). */
#ifndef FT_GEMM_H
#define FT_GEMM_H
#include <stddef.h>
#include <stdint.h>

enum ft_precision { FT_PREC_FP32, FT_PREC_BF16 };
/* Choose the precision of every later GEMM (bf16 without AVX512-BF16: the
   emulation, with one notice; see above). */
void ft_set_precision(enum ft_precision p);

/* C[M,N] = alpha·op(A)·op(B) + beta·C, row-major, op(X) = X^T when transX.
   Counts its FLOPs (2·M·N·K) for the benchmarks. */
void ft_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, size_t lda,
              const float *B, size_t ldb, float beta, float *C, size_t ldc);

/* The weight buffers whose bf16 copies are kept across calls: register
   [p, p+n) once allocated, forget it before freeing, and say when weights
   in [p, p+n) changed (their copies are made again at their next use). */
void ft_gemm_weights(const float *p, size_t n);
void ft_gemm_weights_forget(const float *p, size_t n);
void ft_gemm_weights_changed(const float *p, size_t n);

#endif
