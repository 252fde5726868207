/* Standard normal: quantile (Wichura AS241), cdf and log cdf.
 * See lvm/special.h. */
#include "lvm/special.h"

#include <math.h>

/* Wichura, M. J. (1988). Algorithm AS 241: The percentage points of the
 * normal distribution. Applied Statistics 37(3), 477-484.  PPND16: rational
 * approximations of degree 7/7 in three regions, relative accuracy about
 * 1e-16.
 *   |q| <= 0.425 (0.075 <= p <= 0.925): x = q A(r)/B(r), r = 0.180625 - q^2
 *   otherwise r = sqrt(-log(min(p, 1-p))):  r <= 5: C(r-1.6)/D(r-1.6);
 *                                           r >  5: E(r-5)/F(r-5).
 * In the tail the smaller of p, 1-p is formed exactly (p itself when p < 0.5)
 * so that Phi^{-1}(1e-300) is accurate.  Beyond r = 27 (p < 1e-316, i.e.
 * subnormal) the E/F fit is extrapolated; one Newton step on log Phi
 * (using lvm_normal_lcdf) restores full accuracy there. */
double lvm_normal_quantile(double p) {
  if (isnan(p) || p < 0.0 || p > 1.0) return NAN;
  if (p == 0.0) return -INFINITY;
  if (p == 1.0) return INFINITY;
  double q = p - 0.5;
  if (fabs(q) <= 0.425) {
    double r = 0.180625 - q * q;
    return q *
           (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                 6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r +
               1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
             1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
           (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                 3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r +
               5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
             4.2313330701600911252e+1) * r + 1.0);
  }
  double pt = q < 0 ? p : 1.0 - p; /* the tail probability, exact for p<0.5 */
  double r = sqrt(-log(pt)), x;
  if (r <= 5.0) {
    r -= 1.6;
    x = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
              2.41780725177450611770e-1) * r + 1.27045825245236838258e+0) * r +
            3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
          4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
        (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
              1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r +
            6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
          2.05319162663775882187e+0) * r + 1.0);
  } else {
    double r0 = r;
    r -= 5.0;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
              1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r +
            2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
          5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
        (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
              1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r +
            1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
          5.99832206555887937690e-1) * r + 1.0);
    if (r0 > 27.0) {
      /* Newton on f(x) = log Phi(-x) - log pt; f'(x) = -phi(x)/Phi(-x).
       * For x this large phi/Phi ~ x + 1/x, well conditioned. */
      double lp = log(pt);
      for (int it = 0; it < 2; it++) {
        double lc = lvm_normal_lcdf(-x);
        double lphi = -0.5 * x * x - 0.91893853320467274178;
        double ratio = exp(lphi - lc); /* phi(x)/Phi(-x) */
        x += (lc - lp) / ratio;
      }
    }
  }
  return q < 0 ? -x : x;
}

/* Q(t) = P(Z > t) = erfc(t/sqrt 2)/2.
 * Rounding t/sqrt(2) to z costs a relative error eps/2 in z, which erfc
 * amplifies by 2 z^2 (1e-13 at t = 30).  Form the rounding residual
 * dz = t/sqrt(2) - z exactly enough with an FMA and a double-double 1/sqrt 2,
 * and apply one first-order correction erfc(z + dz) = erfc(z) - 2/sqrt(pi)
 * exp(-z^2) dz; the neglected term is O(z dz^2), far below 1 ulp. */
static double upper_tail(double t) {
  static const double RS2_HI = 0.7071067811865476;     /* 1/sqrt 2, rounded */
  static const double RS2_LO = -4.833646656726457e-17; /* 1/sqrt 2 - RS2_HI */
  double z = t * RS2_HI;
  double dz = fma(t, RS2_HI, -z) + t * RS2_LO;
  double e = erfc(z);
  if (e == 0.0) return 0.0;
  return 0.5 * (e - 1.1283791670955126 * exp(-z * z) * dz);
}

/* Phi(x) = Q(-x): full relative accuracy in the lower tail down to the
 * underflow threshold (x ~ -38.5, subnormal results included). */
double lvm_normal_cdf(double x) {
  if (isnan(x)) return x;
  return upper_tail(-x);
}

/* log Phi(x).
 *   x > 0:  log1p(-Q(x)) keeps the upper tail (log Phi -> -Q(x)).
 *   -37 < x <= 0: log(Q(-x)), full relative accuracy, results above the
 *           subnormal range (Q(37) ~ 6e-300).
 *   x <= -37: the asymptotic (Laplace) series (A&S 26.2.12)
 *     Phi(x) = phi(x)/|x| (1 - 1/x^2 + 3/x^4 - ... + (-1)^k (2k-1)!!/x^2k),
 *     k <= 8; the first omitted term is below 1e-19 at |x| = 37. */
double lvm_normal_lcdf(double x) {
  if (isnan(x)) return x;
  if (x > 0.0) return log1p(-upper_tail(x));
  if (x > -37.0) return log(upper_tail(-x));
  if (x == -INFINITY) return -INFINITY;
  double z = 1.0 / (x * x);
  double s =
      1.0 - z * (1.0 - 3.0 * z * (1.0 - 5.0 * z * (1.0 - 7.0 * z * (1.0 - 9.0 * z *
            (1.0 - 11.0 * z * (1.0 - 13.0 * z * (1.0 - 15.0 * z)))))));
  return -0.5 * x * x - 0.91893853320467274178 - log(-x) + log(s);
}
