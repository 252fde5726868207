/* lvm/family.h — exponential families given by their natural parameters.
 *
 * The conjugacy analysis writes the log complete conditional of a latent
 * variable x as
 *
 *     log p(x | rest) = <eta, T(x)> + const,
 *
 * with T(x) the sufficient statistics of one of the families of
 * stdlib/families.lvm, in the order that file declares them, and eta the
 * coefficients it accumulated.  These routines draw from that family
 * (Gibbs), give its expected statistics E[T(x)] = grad A(eta) and natural
 * parameters' log-partition A(eta) and entropy (CAVI / ELBO), and convert
 * eta to the usual parameters.  Function names are lvm_family_NAME_VERB with
 * NAME the `runtime NAME;` clause of the family.
 *
 * Density convention.  For every family
 *
 *     log p(x) = <eta, T(x)> - A(eta) + log h(x),    h(x) = 1,
 *
 * with respect to the domain's reference measure: Lebesgue measure on R,
 * (0, inf), (0, 1) and R^D; Lebesgue measure on the first K-1 coordinates
 * of the simplex; Lebesgue measure on the D(D+1)/2 entries X_ij, i >= j, of
 * a symmetric matrix; counting measure on {0,1}, {-1,+1} and {0..K-1}.  So
 * A(eta) includes every constant (e.g. log(2 pi)/2 for the normal), and
 * -A(eta) + <eta, T(x)> is the ordinary normalised log density.  The entropy
 * is H = A(eta) - <eta, E[T(x)]> (differential for continuous families).
 *
 * <a, b> is the sum of the elementwise products of all the blocks; for
 * matrix blocks <M, X> = sum_ij M_ij X_ij = tr(M^T X).  Only the symmetric
 * part (M + M^T)/2 of a matrix coefficient of a symmetric statistic (x x^T,
 * X) matters, so the accumulated eta need NOT be symmetric: the routines use
 * its symmetric part.  The derivative of A with respect to each of the D^2
 * entries taken separately is the corresponding entry of E[x x^T] (E[X]),
 * so mean_stats is grad A in the same flat layout as eta.
 *
 * Layout of eta (flat, doubles), E[T] (same layout) and the parameters:
 *
 *   family      stats T(x)            eta                       valid iff
 *   normal      x, x^2                (e1, e2)                  e2 < 0
 *       precision tau = -2 e2, mean m = e1 / tau.  params (mean, sd).
 *       A = -e1^2/(4 e2) - log(-2 e2)/2 + log(2 pi)/2.
 *   gamma       x, log x              (e_x, e_log)              a > 0, b > 0
 *       shape a = e_log + 1, rate b = -e_x.  params (shape, rate).
 *       E[T] = (a/b, psi(a) - log b).  A = lgamma(a) - a log b.
 *   invgamma    log x, 1/x            (e_log, e_inv)            a > 0, s > 0
 *       shape a = -e_log - 1, scale s = -e_inv (1/x ~ Gamma(a, rate s)).
 *       params (shape, scale).  E[T] = (log s - psi(a), a/s).
 *       A = lgamma(a) - a log s.
 *   beta        log x, log(1 - x)     (e1, e2)                  a > 0, b > 0
 *       a = e1 + 1, b = e2 + 1.  params (a, b).  A = log B(a, b).
 *   dirichlet   log x_k (K)           e_k, k < K                alpha_k > 0
 *       alpha_k = e_k + 1.  params alpha (K).  E[log x_k] = psi(alpha_k) -
 *       psi(sum alpha).  A = sum lgamma(alpha_k) - lgamma(sum alpha).
 *   bernoulli   x in {0, 1}           e                         e not NaN
 *       p = P(x = 1) = logistic(e).  params (p).  A = log(1 + e^e).
 *   spin        x in {-1, +1}         e                         e not NaN
 *       P(x = +1) = logistic(2 e), E[x] = tanh(e).  params (P(x = +1)).
 *       A = log(e^e + e^-e).
 *   categorical onehot(x) (K)         e_k, k < K                see below
 *       e_k are unnormalised log-weights: P(x = k) = exp(e_k - A),
 *       A = log sum_k exp(e_k).  x is a 0-BASED index 0..K-1 (the generated
 *       code adds 1).  Entries may be -inf (probability 0) but not NaN or
 *       +inf, and not all -inf.  params p (K, normalised).
 *   mvnormal    x (D), x x^T (DxD)    e1 (D), then E2 (D*D)     Lambda PD
 *       row-major.  Precision Lambda = -2 sym(E2) = -(E2 + E2^T), mean
 *       m = Lambda^{-1} e1.  params m (D) then Sigma = Lambda^{-1} (D*D).
 *       E[T] = (m, Sigma + m m^T).
 *       A = e1^T Lambda^{-1} e1 / 2 - log det Lambda / 2 + D log(2 pi) / 2.
 *   wishart     X (DxD), log det X    EX (D*D), then e_ld       see below
 *       density proportional to |X|^{(nu-D-1)/2} exp(-tr(S^{-1} X)/2), mean
 *       nu S:  EX = -S^{-1}/2, e_ld = (nu - D - 1)/2, so S^{-1} = -2 sym(EX)
 *       and nu = 2 e_ld + D + 1.  Valid iff S^{-1} is positive definite and
 *       nu > D - 1 (e_ld > -1).  params nu then S (D*D).
 *       E[T] = (nu S, sum_{i<D} psi((nu - i)/2) + D log 2 + log det S).
 *       A = nu/2 (D log 2 + log det S) + log Gamma_D(nu/2).
 *
 * Errors.  Every function returns an lvm_status.  A natural parameter
 * outside the family's natural parameter space (an improper complete
 * conditional) or a NaN/inf entry gives LVM_EDOM, reported through
 * lvm_error with a reason that names the family and the condition, e.g.
 * "normal family: eta2 >= 0, the complete conditional has non-positive
 * precision (improper)".  On LVM_EDOM the outputs are left untouched,
 * and a draw leaves its output untouched on any failure: it never returns
 * NaN with LVM_OK.  A result that overflows (a mean beyond DBL_MAX) gives
 * LVM_ERANGE; K = 0 or D = 0 gives LVM_EINVAL.
 *
 * Draws at the edge of the support.  Continuous draws are clamped into the
 * open support: a gamma draw that underflows to 0 (probability about
 * exp(-709 shape), only for tiny shapes) returns DBL_MIN, a beta draw that
 * rounds to 0 or 1 returns DBL_MIN or 1 - 2^-53, Dirichlet components below
 * DBL_MIN return DBL_MIN; so log x, log(1 - x) and 1/x of a draw are
 * finite when the next sweep accumulates them.
 *
 * Workspaces.  mvnormal and wishart take `work` of
 * LVM_FAMILY_MVNORMAL_WORK(D) / LVM_FAMILY_WISHART_WORK(D) doubles (every
 * function of the family; nothing allocates); the other families need none
 * (work may be NULL).  Draws use the Cholesky factor of the precision and
 * never form its inverse.
 *
 * No global state: the RNG is an argument; lvm_family_table is const.
 */
#ifndef LVM_FAMILY_H
#define LVM_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "lvm/rng.h"
#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Workspace sizes in doubles. */
#define LVM_FAMILY_MVNORMAL_WORK(D) ((D) * (D) + (D))
#define LVM_FAMILY_WISHART_WORK(D) (2 * (D) * (D))
/* Enough for any family of size n. */
#define LVM_FAMILY_WORK_MAX(n) (2 * (n) * (n) + (n))

/* ---- Scalar families: eta has 2 entries (normal, gamma, invgamma, beta)
 *      or 1 (bernoulli, spin); the outputs of mean_stats have as many. ---- */

/* Normal on real: T = (x, x^2). */
lvm_status lvm_family_normal_check(const double *eta);
lvm_status lvm_family_normal_draw(lvm_rng *r, const double *eta, double *x);
lvm_status lvm_family_normal_mean_stats(const double *eta, double *ET);
lvm_status lvm_family_normal_log_partition(const double *eta, double *A);
lvm_status lvm_family_normal_entropy(const double *eta, double *H);
/* par = (mean, sd) */
lvm_status lvm_family_normal_params(const double *eta, double *par);

/* Gamma on pos: T = (x, log x). */
lvm_status lvm_family_gamma_check(const double *eta);
lvm_status lvm_family_gamma_draw(lvm_rng *r, const double *eta, double *x);
lvm_status lvm_family_gamma_mean_stats(const double *eta, double *ET);
lvm_status lvm_family_gamma_log_partition(const double *eta, double *A);
lvm_status lvm_family_gamma_entropy(const double *eta, double *H);
/* par = (shape, rate) */
lvm_status lvm_family_gamma_params(const double *eta, double *par);

/* Inverse gamma on pos: T = (log x, 1/x). */
lvm_status lvm_family_invgamma_check(const double *eta);
lvm_status lvm_family_invgamma_draw(lvm_rng *r, const double *eta, double *x);
lvm_status lvm_family_invgamma_mean_stats(const double *eta, double *ET);
lvm_status lvm_family_invgamma_log_partition(const double *eta, double *A);
lvm_status lvm_family_invgamma_entropy(const double *eta, double *H);
/* par = (shape, scale) */
lvm_status lvm_family_invgamma_params(const double *eta, double *par);

/* Beta on unit: T = (log x, log(1 - x)). */
lvm_status lvm_family_beta_check(const double *eta);
lvm_status lvm_family_beta_draw(lvm_rng *r, const double *eta, double *x);
lvm_status lvm_family_beta_mean_stats(const double *eta, double *ET);
lvm_status lvm_family_beta_log_partition(const double *eta, double *A);
lvm_status lvm_family_beta_entropy(const double *eta, double *H);
/* par = (a, b) */
lvm_status lvm_family_beta_params(const double *eta, double *par);

/* Bernoulli on bin: T = x; draws 0 or 1.  eta = +-inf is the point mass
 * at 1 / 0 (A = +inf resp. 0, entropy 0). */
lvm_status lvm_family_bernoulli_check(const double *eta);
lvm_status lvm_family_bernoulli_draw(lvm_rng *r, const double *eta, int *x);
lvm_status lvm_family_bernoulli_mean_stats(const double *eta, double *ET);
lvm_status lvm_family_bernoulli_log_partition(const double *eta, double *A);
lvm_status lvm_family_bernoulli_entropy(const double *eta, double *H);
/* par = (P(x = 1)) */
lvm_status lvm_family_bernoulli_params(const double *eta, double *par);

/* Spin on {-1, +1}: T = x; draws -1 or +1.  eta = +-inf: point mass. */
lvm_status lvm_family_spin_check(const double *eta);
lvm_status lvm_family_spin_draw(lvm_rng *r, const double *eta, int *x);
lvm_status lvm_family_spin_mean_stats(const double *eta, double *ET);
lvm_status lvm_family_spin_log_partition(const double *eta, double *A);
lvm_status lvm_family_spin_entropy(const double *eta, double *H);
/* par = (P(x = +1)) */
lvm_status lvm_family_spin_params(const double *eta, double *par);

/* ---- Sized families: K (dirichlet, categorical) or D (mvnormal,
 *      wishart) comes first; eta and E[T] have
 *      K, K, D + D*D, D*D + 1 entries. ---- */

/* Dirichlet on simplex(K), K >= 1: T = log x (K). x has K entries. */
lvm_status lvm_family_dirichlet_check(size_t K, const double *eta);
lvm_status lvm_family_dirichlet_draw(lvm_rng *r, size_t K, const double *eta,
                                     double *x);
lvm_status lvm_family_dirichlet_mean_stats(size_t K, const double *eta,
                                           double *ET);
lvm_status lvm_family_dirichlet_log_partition(size_t K, const double *eta,
                                              double *A);
lvm_status lvm_family_dirichlet_entropy(size_t K, const double *eta,
                                        double *H);
/* par = alpha (K) */
lvm_status lvm_family_dirichlet_params(size_t K, const double *eta,
                                       double *par);

/* Categorical on cat(K), K >= 1: T = onehot(x) (K); x is 0-BASED. */
lvm_status lvm_family_categorical_check(size_t K, const double *eta);
lvm_status lvm_family_categorical_draw(lvm_rng *r, size_t K,
                                       const double *eta, int64_t *x);
/* ET = softmax(eta) */
lvm_status lvm_family_categorical_mean_stats(size_t K, const double *eta,
                                             double *ET);
/* The same for `rows` rows of K values (eta and ET row-major), the rows r
 * with free_rows[r] != 0 only (free_rows NULL: every row); the others'
 * ET is left as it is.  The first improper row's status is returned
 * (rows before it are done; later rows of its chunk of about 2048 values
 * may hold intermediate values).  H, when not NULL, gets the sum of the rows'
 * entropies, -sum_k p_k log p_k, computed as log sum_k exp(eta_k - m) +
 * sum_k p_k (m - eta_k) with m the row's maximum (one log per row); 0
 * when a row is improper. */
lvm_status lvm_family_categorical_mean_stats_rows(size_t K, size_t rows,
                                                  const unsigned char *free_rows,
                                                  const double *eta, double *ET,
                                                  double *H);
lvm_status lvm_family_categorical_log_partition(size_t K, const double *eta,
                                                double *A);
lvm_status lvm_family_categorical_entropy(size_t K, const double *eta,
                                          double *H);
/* par = p (K), normalised */
lvm_status lvm_family_categorical_params(size_t K, const double *eta,
                                         double *par);

/* Multivariate normal on vec(D), D >= 1: T = (x, x x^T); x has D entries.
 * work: LVM_FAMILY_MVNORMAL_WORK(D) doubles.  A non-positive-definite
 * precision gives LVM_EDOM (not LVM_ENOTPD: it is an improper conditional). */
lvm_status lvm_family_mvnormal_check(size_t D, const double *eta,
                                     double *work);
lvm_status lvm_family_mvnormal_draw(lvm_rng *r, size_t D, const double *eta,
                                    double *x, double *work);
lvm_status lvm_family_mvnormal_mean_stats(size_t D, const double *eta,
                                          double *ET, double *work);
/* The same with its own workspace (a CAVI factor update: E[x], E[x x^T]
 * into ET, D + D*D doubles); LVM_ENOMEM if it cannot be allocated. */
lvm_status lvm_family_mvnormal_vi_mean_stats(size_t D, const double *eta,
                                             double *ET);
lvm_status lvm_family_mvnormal_log_partition(size_t D, const double *eta,
                                             double *A, double *work);
lvm_status lvm_family_mvnormal_entropy(size_t D, const double *eta,
                                       double *H, double *work);
/* par = mean (D), then covariance (D*D) */
lvm_status lvm_family_mvnormal_params(size_t D, const double *eta,
                                      double *par, double *work);

/* Wishart on spd(D), D >= 1: T = (X, log det X); X is D*D (full,
 * symmetric).  work: LVM_FAMILY_WISHART_WORK(D) doubles.  The draw is
 * Bartlett's: X = (L^{-T} A)(L^{-T} A)^T with S^{-1} = L L^T, so S itself
 * is never formed. */
lvm_status lvm_family_wishart_check(size_t D, const double *eta,
                                    double *work);
lvm_status lvm_family_wishart_draw(lvm_rng *r, size_t D, const double *eta,
                                   double *X, double *work);
lvm_status lvm_family_wishart_mean_stats(size_t D, const double *eta,
                                         double *ET, double *work);
/* The same with its own workspace (a CAVI factor update: E[X], E[log det X]
 * into ET, D*D + 1 doubles); LVM_ENOMEM if it cannot be allocated. */
lvm_status lvm_family_wishart_vi_mean_stats(size_t D, const double *eta,
                                            double *ET);
lvm_status lvm_family_wishart_log_partition(size_t D, const double *eta,
                                            double *A, double *work);
lvm_status lvm_family_wishart_entropy(size_t D, const double *eta, double *H,
                                      double *work);
/* par = nu, then S (D*D) */
lvm_status lvm_family_wishart_params(size_t D, const double *eta, double *par,
                                     double *work);

/* ---- Dispatch by name ---------------------------------------------------
 * Uniform signatures: n is the size (K or D; pass 1 for scalar families,
 * where it is ignored); work has work_size(n) doubles (may be NULL when 0).
 * A value x is a flat array of value_size(n) doubles: 0/1 for bernoulli,
 * -1/+1 for spin, the 0-based index for categorical, the D*D matrix for
 * wishart. */
typedef struct lvm_family {
  const char *name;   /* the `runtime NAME;` of stdlib/families.lvm */
  const char *domain; /* real pos unit simplex bin spin cat vec spd */
  int sized;          /* 1 if n (K or D) matters */
  size_t n_stats;     /* number of statistics (blocks of eta) */
  size_t (*eta_size)(size_t n);    /* doubles in eta, T(x), E[T] */
  size_t (*value_size)(size_t n);  /* doubles in a value x */
  size_t (*params_size)(size_t n); /* doubles written by params */
  size_t (*work_size)(size_t n);   /* doubles of workspace */
  lvm_status (*check)(size_t n, const double *eta, double *work);
  lvm_status (*draw)(lvm_rng *r, size_t n, const double *eta, double *x,
                     double *work);
  lvm_status (*mean_stats)(size_t n, const double *eta, double *ET,
                           double *work);
  lvm_status (*log_partition)(size_t n, const double *eta, double *A,
                              double *work);
  lvm_status (*entropy)(size_t n, const double *eta, double *H,
                        double *work);
  lvm_status (*params)(size_t n, const double *eta, double *par,
                       double *work);
  /* T(x) of a value (LVM_EDOM if x is outside the support). */
  lvm_status (*stats)(size_t n, const double *x, double *T);
} lvm_family;

/* The families, in the order of stdlib/families.lvm. */
extern const lvm_family lvm_family_table[];
extern const size_t lvm_family_table_size;

/* The entry named `name`, or NULL. */
const lvm_family *lvm_family_find(const char *name);

/* log p(x) = <eta, T(x)> - A(eta) for the family f (work: work_size(n) +
 * eta_size(n) doubles).  -inf (and LVM_OK) when x is outside the support. */
lvm_status lvm_family_log_density(const lvm_family *f, size_t n,
                                  const double *eta, const double *x,
                                  double *lp, double *work);

#ifdef __cplusplus
}
#endif
#endif
