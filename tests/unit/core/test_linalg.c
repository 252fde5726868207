/* Linear algebra helpers against naive triple loops and known answers.
 * Tolerance 1e-12 relative to the matrix scale: all inputs are O(1) and
 * well conditioned (cond < 1e3), so backward-stable LAPACK/BLAS results
 * agree with the naive loops to ~1e-14. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "lvm/linalg.h"
#include "lvm/special.h"
#include "lvm/status.h"

#define TOL 1e-12

static void naive_gemm(size_t m, size_t n, size_t k, const double *A, int ta,
                       const double *B, int tb, double *C) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double s = 0;
      for (size_t l = 0; l < k; l++) {
        double a = ta ? A[l * m + i] : A[i * k + l];
        double b = tb ? B[j * k + l] : B[l * n + j];
        s += a * b;
      }
      C[i * n + j] = s;
    }
}

static void assert_mat_close(const double *X, const double *Y, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!(fabs(X[i] - Y[i]) <= TOL * fmax(1.0, fabs(Y[i]))))
      fail_msg("entry %zu: %.17g vs %.17g", i, X[i], Y[i]);
}

/* a well-conditioned SPD test matrix: B B^T + n I */
static void spd(double *A, size_t n) {
  double B[64];
  for (size_t i = 0; i < n * n; i++) B[i] = sin(1.3 * i + 0.2);
  naive_gemm(n, n, n, B, 0, B, 1, A);
  for (size_t i = 0; i < n; i++) A[i * n + i] += n;
}

static void cholesky(void **state) {
  (void)state;
  /* known factor: A = [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]] */
  double A[4] = {4, 2, 2, 5}, L[4] = {2, 0, 1, 2};
  assert_int_equal(lvm_linalg_cholesky(A, 2), LVM_OK);
  assert_mat_close(A, L, 4);
  assert_true(fabs(lvm_linalg_cholesky_logdet(A, 2) - log(16.0)) < 1e-15);
  /* reconstruction for n = 7 */
  size_t n = 7;
  double S[49], F[49], R[49];
  spd(S, n);
  memcpy(F, S, sizeof S);
  assert_int_equal(lvm_linalg_cholesky(F, n), LVM_OK);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) assert_true(F[i * n + j] == 0.0);
  naive_gemm(n, n, n, F, 0, F, 1, R);
  assert_mat_close(R, S, n * n);
  /* failures are reported with LVM_ENOTPD */
  lvm_error_handler old = lvm_set_error_handler(lvm_error_handler_silent);
  double bad[4] = {1, 2, 2, 1};
  assert_int_equal(lvm_linalg_cholesky(bad, 2), LVM_ENOTPD);
  double nan_m[4] = {NAN, 0, 0, 1};
  assert_int_equal(lvm_linalg_cholesky(nan_m, 2), LVM_ENOTPD);
  double bad2[4] = {1, 2, 2, 1};
  assert_int_equal(lvm_linalg_spd_inverse(bad2, 2), LVM_ENOTPD);
  lvm_set_error_handler(old);
}

static void solves_and_inverse(void **state) {
  (void)state;
  size_t n = 6;
  double S[36], F[36], b[6], x[6], Sx[6];
  spd(S, n);
  memcpy(F, S, sizeof S);
  lvm_linalg_cholesky(F, n);
  for (size_t i = 0; i < n; i++) b[i] = cos(i + 0.5);
  memcpy(x, b, sizeof b);
  lvm_linalg_cholesky_solve(F, n, x);
  naive_gemm(n, 1, n, S, 0, x, 0, Sx);
  assert_mat_close(Sx, b, n);
  /* matrix right-hand side */
  double B[18], X[18], SX[18];
  for (size_t i = 0; i < 18; i++) B[i] = sin(0.7 * i);
  memcpy(X, B, sizeof B);
  lvm_linalg_cholesky_solve_mat(F, n, X, 3);
  naive_gemm(n, 3, n, S, 0, X, 0, SX);
  assert_mat_close(SX, B, 18);
  /* triangular solves and products are inverse to each other */
  double y[6];
  memcpy(y, b, sizeof b);
  lvm_linalg_trmv_lower(LVM_NOTRANS, F, n, y);
  lvm_linalg_trsv_lower(LVM_NOTRANS, F, n, y);
  assert_mat_close(y, b, n);
  memcpy(y, b, sizeof b);
  lvm_linalg_trmv_lower(LVM_TRANS, F, n, y);
  lvm_linalg_trsv_lower(LVM_TRANS, F, n, y);
  assert_mat_close(y, b, n);
  /* SPD inverse, and inverse from a factor */
  double Inv[36], I[36], Id[36] = {0};
  for (size_t i = 0; i < n; i++) Id[i * n + i] = 1;
  memcpy(Inv, S, sizeof S);
  assert_int_equal(lvm_linalg_spd_inverse(Inv, n), LVM_OK);
  naive_gemm(n, n, n, S, 0, Inv, 0, I);
  assert_mat_close(I, Id, n * n);
  double G[36];
  memcpy(G, F, sizeof F);
  assert_int_equal(lvm_linalg_cholesky_invert(G, n), LVM_OK);
  assert_mat_close(G, Inv, n * n);
  /* logdet from the factor equals log det via the product of pivots */
  double ld = lvm_linalg_cholesky_logdet(F, n), p = 1;
  for (size_t i = 0; i < n; i++) p *= F[i * n + i] * F[i * n + i];
  assert_true(fabs(ld - log(p)) < 1e-13 * fabs(log(p)));
}

static void products(void **state) {
  (void)state;
  double A[12], B[12], C[16], R[16], x[4], y[4], yr[4];
  for (int i = 0; i < 12; i++) A[i] = sin(i + 1.0), B[i] = cos(2.0 * i);
  /* C (3x4) = A (3x4 stored) ... use op combos: m = 3, n = 3, k = 4 */
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      /* with k = 4, m = n = 3: op(A) 3x4 and op(B) 4x3 */
      for (int i = 0; i < 16; i++) C[i] = 1.0;
      lvm_linalg_gemm(ta ? LVM_TRANS : LVM_NOTRANS, tb ? LVM_TRANS : LVM_NOTRANS, 3,
                      3, 4, 2.0, A, B, 0.5, C);
      naive_gemm(3, 3, 4, A, ta, B, tb, R);
      for (int i = 0; i < 9; i++) R[i] = 2.0 * R[i] + 0.5;
      assert_mat_close(C, R, 9);
    }
  /* gemv: A is 3 x 4 */
  for (int i = 0; i < 4; i++) x[i] = 0.5 * i - 1;
  for (int i = 0; i < 3; i++) y[i] = 1.0;
  lvm_linalg_gemv(LVM_NOTRANS, 3, 4, 1.5, A, x, -1.0, y);
  naive_gemm(3, 1, 4, A, 0, x, 0, yr);
  for (int i = 0; i < 3; i++) yr[i] = 1.5 * yr[i] - 1.0;
  assert_mat_close(y, yr, 3);
  double z[3] = {1, -2, 0.5}, w[4] = {0};
  lvm_linalg_gemv(LVM_TRANS, 3, 4, 1.0, A, z, 0.0, w);
  naive_gemm(4, 1, 3, A, 1, z, 0, yr);
  assert_mat_close(w, yr, 4);
  /* syrk both ways, full symmetric output */
  lvm_linalg_syrk(LVM_NOTRANS, 3, 4, 1.0, A, 0.0, C); /* A A^T, 3x3 */
  naive_gemm(3, 3, 4, A, 0, A, 1, R);
  assert_mat_close(C, R, 9);
  lvm_linalg_syrk(LVM_TRANS, 4, 3, 1.0, A, 0.0, C); /* A^T A, 4x4 */
  naive_gemm(4, 4, 3, A, 1, A, 0, R);
  assert_mat_close(C, R, 16);
  /* outer product accumulation */
  double M[9] = {0}, v[3] = {1, 2, 3};
  lvm_linalg_outer_acc(3, 2.0, v, M);
  lvm_linalg_outer_acc(3, 1.0, v, M);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) assert_true(M[i * 3 + j] == 3.0 * v[i] * v[j]);
  assert_true(lvm_linalg_dot(3, v, v) == 14.0);
  /* zero sizes are no-ops */
  lvm_linalg_gemv(LVM_NOTRANS, 0, 4, 1.0, A, x, 0.0, y);
  assert_int_equal(lvm_linalg_cholesky(NULL, 0), LVM_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(cholesky),
    cmocka_unit_test(solves_and_inverse),
    cmocka_unit_test(products),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
