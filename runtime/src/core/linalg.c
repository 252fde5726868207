/* Dense linear algebra through CBLAS / LAPACKE (see lvm/linalg.h), loaded
 * on first use (blas.h).  Every call uses CblasRowMajor / LAPACK_ROW_MAJOR
 * with the leading dimension equal to the number of columns. */
#include "lvm/linalg.h"

#include "blas.h"

#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* The libraries' names as the dynamic loader knows them (Debian's
 * libopenblas0 and liblapacke); the build may say otherwise. */
#ifndef LVM_OPENBLAS_SONAME
#define LVM_OPENBLAS_SONAME "libopenblas.so.0"
#endif
#ifndef LVM_LAPACKE_SONAME
#define LVM_LAPACKE_SONAME "liblapacke.so.3"
#endif

static lvm_blas_fns blas_fns;
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void *open_lib(const char *name) {
  void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    fprintf(stderr, "error: cannot load %s, which dense linear algebra needs: %s\n", name,
            why ? why : "unknown reason");
    exit(1);
  }
  return h;
}

static void *sym(void *h, const char *lib, const char *name) {
  void *p = dlsym(h, name);
  if (!p) {
    fprintf(stderr, "error: %s has no '%s', which dense linear algebra needs\n", lib, name);
    exit(1);
  }
  return p;
}

/* OpenBLAS's pthread build starts its thread pool when the library loads,
 * and the idle threads spin (sched_yield) for about 2^28 cycles before they
 * sleep: one BLAS thread, the pool stopped, unless OPENBLAS_NUM_THREADS is
 * set (chains run on threads and the matrices here are small). */
static void single_thread(void *h) {
  const char *e = getenv("OPENBLAS_NUM_THREADS");
  if (e && *e) return;
  void (*set)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
  int (*stop)(void) = (int (*)(void))dlsym(h, "blas_thread_shutdown_");
  if (set) set(1);
  if (stop) stop();
}

static void load_blas(void) {
  void *b = open_lib(LVM_OPENBLAS_SONAME), *l = open_lib(LVM_LAPACKE_SONAME);
  single_thread(b);
  /* POSIX: a data pointer from dlsym converts to a function pointer */
#define B(f) blas_fns.f = (__typeof__(blas_fns.f))sym(b, LVM_OPENBLAS_SONAME, "cblas_" #f)
  B(dtrsv);
  B(dtrmv);
  B(dtrsm);
  B(dtrmm);
  B(dgemv);
  B(dgemm);
  B(dsyrk);
  B(dger);
  B(ddot);
#undef B
  blas_fns.dpotrf = (__typeof__(blas_fns.dpotrf))sym(l, LVM_LAPACKE_SONAME, "LAPACKE_dpotrf");
  blas_fns.dpotri = (__typeof__(blas_fns.dpotri))sym(l, LVM_LAPACKE_SONAME, "LAPACKE_dpotri");
}

const lvm_blas_fns *lvm_blas(void) {
  pthread_once(&blas_once, load_blas);
  return &blas_fns;
}

static CBLAS_TRANSPOSE cbt(lvm_transpose t) {
  return t == LVM_TRANS ? CblasTrans : CblasNoTrans;
}

static void zero_strict_upper(double *A, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) A[i * n + j] = 0.0;
}

lvm_status lvm_linalg_cholesky(double *A, size_t n) {
  if (n > INT_MAX) LVM_ERROR("matrix dimension exceeds INT_MAX", LVM_EINVAL);
  if (n == 0) return LVM_OK;
  lapack_int info =
      lvm_blas()->dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n);
  if (info > 0) LVM_ERROR("matrix is not positive definite", LVM_ENOTPD);
  /* LAPACKE checks its input for NaN and reports it as argument 4 (a) */
  if (info == -4) LVM_ERROR("matrix contains NaN", LVM_ENOTPD);
  if (info < 0) LVM_ERROR("dpotrf: invalid argument", LVM_EINTERNAL);
  /* potrf also fails on NaN only if a pivot goes non-positive; a NaN pivot
   * compares false, so check the diagonal explicitly. */
  for (size_t i = 0; i < n; i++)
    if (!(A[i * n + i] > 0.0) || isinf(A[i * n + i]))
      LVM_ERROR("matrix is not positive definite (non-finite pivot)",
                LVM_ENOTPD);
  zero_strict_upper(A, n);
  return LVM_OK;
}

double lvm_linalg_cholesky_logdet(const double *L, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += log(L[i * n + i]);
  return 2.0 * s;
}

void lvm_linalg_trsv_lower(lvm_transpose t, const double *L, size_t n,
                           double *b) {
  if (n == 0) return;
  lvm_blas()->dtrsv(CblasRowMajor, CblasLower, cbt(t), CblasNonUnit, (int)n, L,
              (int)n, b, 1);
}

void lvm_linalg_trmv_lower(lvm_transpose t, const double *L, size_t n,
                           double *x) {
  if (n == 0) return;
  lvm_blas()->dtrmv(CblasRowMajor, CblasLower, cbt(t), CblasNonUnit, (int)n, L,
              (int)n, x, 1);
}

void lvm_linalg_cholesky_solve(const double *L, size_t n, double *b) {
  lvm_linalg_trsv_lower(LVM_NOTRANS, L, n, b); /* L y = b */
  lvm_linalg_trsv_lower(LVM_TRANS, L, n, b);   /* L^T x = y */
}

void lvm_linalg_cholesky_solve_mat(const double *L, size_t n, double *B,
                                   size_t nrhs) {
  if (n == 0 || nrhs == 0) return;
  lvm_blas()->dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
              (int)n, (int)nrhs, 1.0, L, (int)n, B, (int)nrhs);
  lvm_blas()->dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit,
              (int)n, (int)nrhs, 1.0, L, (int)n, B, (int)nrhs);
}

void lvm_linalg_symmetrize_lower(double *A, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) A[i * n + j] = A[j * n + i];
}

lvm_status lvm_linalg_cholesky_invert(double *L, size_t n) {
  if (n > INT_MAX) LVM_ERROR("matrix dimension exceeds INT_MAX", LVM_EINVAL);
  if (n == 0) return LVM_OK;
  lapack_int info =
      lvm_blas()->dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, L, (lapack_int)n);
  if (info > 0) LVM_ERROR("singular Cholesky factor", LVM_ENOTPD);
  if (info == -4) LVM_ERROR("Cholesky factor contains NaN", LVM_ENOTPD);
  if (info < 0) LVM_ERROR("dpotri: invalid argument", LVM_EINTERNAL);
  lvm_linalg_symmetrize_lower(L, n);
  return LVM_OK;
}

lvm_status lvm_linalg_spd_inverse(double *A, size_t n) {
  lvm_status s = lvm_linalg_cholesky(A, n);
  if (s) return s; /* already reported */
  return lvm_linalg_cholesky_invert(A, n);
}

void lvm_linalg_gemv(lvm_transpose tA, size_t m, size_t n, double alpha,
                     const double *A, const double *x, double beta, double *y) {
  if (m == 0 || n == 0) {
    /* BLAS would return without scaling y; keep y <- beta y semantics */
    size_t len = tA == LVM_TRANS ? n : m;
    for (size_t i = 0; i < len; i++) y[i] = beta == 0.0 ? 0.0 : beta * y[i];
    return;
  }
  lvm_blas()->dgemv(CblasRowMajor, cbt(tA), (int)m, (int)n, alpha, A, (int)n, x, 1,
              beta, y, 1);
}

void lvm_linalg_gemm(lvm_transpose tA, lvm_transpose tB, size_t m, size_t n,
                     size_t k, double alpha, const double *A, const double *B,
                     double beta, double *C) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (size_t i = 0; i < m * n; i++) C[i] = beta == 0.0 ? 0.0 : beta * C[i];
    return;
  }
  int lda = (int)(tA == LVM_TRANS ? m : k);
  int ldb = (int)(tB == LVM_TRANS ? k : n);
  lvm_blas()->dgemm(CblasRowMajor, cbt(tA), cbt(tB), (int)m, (int)n, (int)k, alpha,
              A, lda, B, ldb, beta, C, (int)n);
}

void lvm_linalg_syrk(lvm_transpose tA, size_t n, size_t k, double alpha,
                     const double *A, double beta, double *C) {
  if (n == 0) return;
  if (k == 0) {
    for (size_t i = 0; i < n * n; i++) C[i] = beta == 0.0 ? 0.0 : beta * C[i];
    return;
  }
  int lda = (int)(tA == LVM_TRANS ? n : k);
  lvm_blas()->dsyrk(CblasRowMajor, CblasLower, cbt(tA), (int)n, (int)k, alpha, A,
              lda, beta, C, (int)n);
  lvm_linalg_symmetrize_lower(C, n);
}

void lvm_linalg_outer_acc(size_t n, double alpha, const double *x, double *A) {
  if (n == 0) return;
  lvm_blas()->dger(CblasRowMajor, (int)n, (int)n, alpha, x, 1, x, 1, A, (int)n);
}

double lvm_linalg_dot(size_t n, const double *x, const double *y) {
  if (n == 0) return 0.0;
  return lvm_blas()->ddot((int)n, x, 1, y, 1);
}
