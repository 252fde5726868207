// Mixture of K Gaussians with the indicators marginalised (Stan has no
// discrete parameters): the equivalent of examples/gmm.lvm for the
// compile-latency comparison (bench/compile_latency.py --stan).
data {
  int<lower=1> N;
  int<lower=1> K;
  real<lower=0> alpha;
  vector[N] x;
}
parameters {
  simplex[K] pi;
  vector[K] mu;
  vector<lower=0>[K] tau;
}
model {
  pi ~ dirichlet(rep_vector(alpha, K));
  mu ~ normal(0, 10);
  tau ~ gamma(1, 1);
  for (n in 1:N) {
    vector[K] lp;
    for (k in 1:K) lp[k] = log(pi[k]) + normal_lpdf(x[n] | mu[k], 1 / sqrt(tau[k]));
    target += log_sum_exp(lp);
  }
}
