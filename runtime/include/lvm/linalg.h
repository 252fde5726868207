/* lvm/linalg.h — the small dense linear algebra the runtime needs.
 *
 * Matrices are row-major `double *` with explicit dimensions: element (i, j)
 * of an m x n matrix A is A[i * n + j] (the leading dimension is always the
 * number of columns).  Symmetric matrices are stored in full.  Cholesky
 * factors are lower triangular, A = L L^T, with the strict upper triangle set
 * to zero, so a factor can be passed to gemv/gemm as an ordinary matrix.
 *
 * Everything goes through CBLAS (OpenBLAS) and LAPACKE, which the runtime
 * loads the first time one of these is called (runtime/src/core/blas.h: a
 * model that never needs them does not pay for loading them), with one
 * BLAS thread and OpenBLAS's idle pool stopped unless OPENBLAS_NUM_THREADS
 * is set (chains run on threads and the matrices here are small).
 * Functions that can fail return an lvm_status and report through
 * lvm_error; the others assume valid arguments (dimensions below INT_MAX,
 * non-overlapping arrays unless stated).  Nothing allocates.
 */
#ifndef LVM_LINALG_H
#define LVM_LINALG_H

#include <stddef.h>

#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lvm_transpose { LVM_NOTRANS = 0, LVM_TRANS = 1 } lvm_transpose;

/* ---- Cholesky ---------------------------------------------------------- */

/* Replace the n x n symmetric positive definite A (only its lower triangle is
 * read) by its lower Cholesky factor L; the strict upper triangle is zeroed.
 * LVM_ENOTPD if A is not positive definite (A is then partly overwritten),
 * LVM_EINVAL for n > INT_MAX. LAPACK dpotrf. */
lvm_status lvm_linalg_cholesky(double *A, size_t n);

/* log det A = 2 sum_i log L_ii, from A's Cholesky factor. */
double lvm_linalg_cholesky_logdet(const double *L, size_t n);

/* Solve A x = b in place (b <- A^{-1} b) given A = L L^T: two triangular
 * solves. */
void lvm_linalg_cholesky_solve(const double *L, size_t n, double *b);

/* Solve A X = B in place for an n x nrhs row-major B. */
void lvm_linalg_cholesky_solve_mat(const double *L, size_t n, double *B,
                                   size_t nrhs);

/* Overwrite the factor L of A with A^{-1} (full symmetric). LAPACK dpotri;
 * LVM_ENOTPD if L has a zero on its diagonal. */
lvm_status lvm_linalg_cholesky_invert(double *L, size_t n);

/* A <- A^{-1} for symmetric positive definite A (dpotrf + dpotri, then
 * symmetrised). LVM_ENOTPD if A is not positive definite. */
lvm_status lvm_linalg_spd_inverse(double *A, size_t n);

/* ---- Triangular -------------------------------------------------------- */

/* Solve op(L) x = b in place for lower triangular L (op = identity or
 * transpose): forward or back substitution (BLAS dtrsv). */
void lvm_linalg_trsv_lower(lvm_transpose t, const double *L, size_t n,
                           double *b);

/* x <- op(L) x in place for lower triangular L (BLAS dtrmv). */
void lvm_linalg_trmv_lower(lvm_transpose t, const double *L, size_t n,
                           double *x);

/* ---- Products ---------------------------------------------------------- */

/* y <- alpha op(A) x + beta y, A is m x n (so op(A) x has m rows for
 * LVM_NOTRANS and n rows for LVM_TRANS). y must not alias x. */
void lvm_linalg_gemv(lvm_transpose tA, size_t m, size_t n, double alpha,
                     const double *A, const double *x, double beta, double *y);

/* C <- alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n, C m x n
 * (A is stored m x k, or k x m when transposed; likewise B). */
void lvm_linalg_gemm(lvm_transpose tA, lvm_transpose tB, size_t m, size_t n,
                     size_t k, double alpha, const double *A, const double *B,
                     double beta, double *C);

/* C <- alpha A A^T + beta C (tA = LVM_NOTRANS, A n x k) or
 * C <- alpha A^T A + beta C (tA = LVM_TRANS, A k x n); C is n x n and is
 * returned in full (both triangles). BLAS dsyrk. */
void lvm_linalg_syrk(lvm_transpose tA, size_t n, size_t k, double alpha,
                     const double *A, double beta, double *C);

/* A <- A + alpha x x^T (n x n, full): accumulation of outer products for
 * sufficient statistics. BLAS dger. */
void lvm_linalg_outer_acc(size_t n, double alpha, const double *x, double *A);

/* x . y */
double lvm_linalg_dot(size_t n, const double *x, const double *y);

/* Copy the lower triangle of the n x n A onto its upper triangle. */
void lvm_linalg_symmetrize_lower(double *A, size_t n);

#ifdef __cplusplus
}
#endif
#endif
