/* CAVI around the generated kernels: factors from points, entropies, the
 * ELBO, and the `vi` command (see lvm/vi.h, docs/inference.md). */
#include "lvm/vi.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lvm/cli.h"
#include "lvm/family.h"
#include "lvm/jsonout.h"
#include "lvm/model.h"
#include "lvm/special.h"

/* ---- Factors ------------------------------------------------------------ */

typedef struct factor_info {
  const lvm_vi_factor *f;
  const lvm_var_desc *d;
  const lvm_family *fam; /* NULL for discrete */
  size_t K;              /* values / simplex components (1 for scalar families) */
  size_t width;          /* doubles per factor in eta and stats */
  size_t vsize;          /* elements of the variable per factor (K, D, D*D; 1) */
  int vdims;             /* dimensions of one factor's value (0, 1; 2: a matrix) */
  size_t count;          /* factors (elements, simplex vectors, vectors, matrices) */
} factor_info;

static lvm_status info(const lvm_vars *st, const lvm_vi_factor *f, factor_info *fi) {
  memset(fi, 0, sizeof *fi);
  fi->f = f;
  fi->d = &st->desc->vars[f->var];
  fi->K = f->size >= 0 ? (size_t)st->n[f->size] : 1;
  size_t len = st->len[f->var];
  fi->vsize = 1;
  if (!strcmp(f->family, "discrete")) {
    fi->width = fi->K;
    fi->count = len;
  } else {
    fi->fam = lvm_family_find(f->family);
    if (!fi->fam) LVM_ERROR("CAVI: unknown family in the factor table", LVM_EINTERNAL);
    fi->width = fi->fam->eta_size(fi->K);
    if (fi->fam->sized) {
      fi->vsize = fi->fam->value_size(fi->K);
      fi->vdims = fi->vsize == fi->K ? 1 : 2;
    }
  }
  if (fi->K == 0) LVM_ERROR("CAVI: a factor with no values", LVM_EINVAL);
  if (fi->fam) fi->count = len / fi->vsize;
  return LVM_OK;
}

/* Index (0-based) of a discrete value. */
static size_t value_index(lvm_domain dom, int64_t v) {
  if (dom == LVM_DOMAIN_CAT) return (size_t)(v - 1);
  if (dom == LVM_DOMAIN_SPIN) return v > 0 ? 1 : 0;
  return (size_t)v;
}

/* The first element of factor c in the variable's own array. */
static size_t first_elem(const factor_info *fi, size_t c) { return c * fi->vsize; }

/* A buffer of n doubles: buf (of cap) when they fit, else from the heap
 * (NULL when that fails); release with buf_done. */
static double *buf_get(double *buf, size_t cap, size_t n) {
  return n <= cap ? buf : malloc(n * sizeof *buf);
}

static void buf_done(double *p, const double *buf) {
  if (p != buf) free(p);
}

/* Has factor fi a free element (the data leave some of it latent)? */
static int any_free(const lvm_vars *st, const factor_info *fi) {
  for (size_t c = 0; c < fi->count; c++)
    if (lvm_vars_free_elem(st, fi->f->var, first_elem(fi, c))) return 1;
  return 0;
}

lvm_status lvm_vi_set_point(lvm_vars *st, const lvm_vi_model *vi) {
  for (int i = 0; i < vi->n_factors; i++) {
    factor_info fi;
    lvm_status s = info(st, &vi->factors[i], &fi);
    if (s) return s;
    double *eta = lvm_vars_f(st, fi.f->eta), *T = lvm_vars_f(st, fi.f->stats);
    lvm_vars_stats_changed(st, fi.f->var);
    memset(eta, 0, fi.width * fi.count * sizeof *eta);
    if (!fi.fam) { /* one-hot at the value */
      memset(T, 0, fi.width * fi.count * sizeof *T);
      const int64_t *v = lvm_vars_i(st, fi.f->var);
      for (size_t c = 0; c < fi.count; c++) {
        size_t k = value_index(fi.d->domain, v[c]);
        if (k < fi.K) T[c * fi.width + k] = 1.0;
      }
      continue;
    }
    for (size_t c = 0; c < fi.count; c++) {
      double *t = T + c * fi.width;
      const double *x = lvm_vars_f(st, fi.f->var) + first_elem(&fi, c);
      s = fi.fam->stats(fi.K, x, t);
      if (s) LVM_ERROR("CAVI: a starting value is outside its variable's support", s);
    }
  }
  return LVM_OK;
}

/* The rows the last put_seeds set (at most K); all = 1 before the first,
 * when every free row may weigh something.  list, nlist: the factor's row
 * list for vi_refresh (the hidden __vi_rows_V, __vi_nrows_V; NULL when the
 * model has none or it would not pay), with the rows the data give
 * (obs[0 .. nobs), ascending), the only other rows that weigh something
 * during the seeding. */
typedef struct placed {
  size_t *rows, n;
  int all;
  double *list, *nlist;
  const size_t *obs;
  size_t nobs;
  /* the seeding's sample when it has one and a row list (spread_on_sample):
   * its rows, 1-based and ascending, the list vi_seed visits */
  double *sample;
  size_t nsample;
} placed;

/* vi_refresh over the rows that weigh something only, when the factor has
 * a row list: the placed rows and the rows the data give, ascending and
 * 1-based (the generated loop adds them in the order of the whole pass, so
 * the statistics are the same bits); the list is cleared again after. */
static int refresh_listed(lvm_vars *st, const lvm_vi_model *vi, placed *pl, lvm_rng *r) {
  if (!vi->refresh) return 0;
  if (!pl->list) return vi->refresh(st, r);
  size_t *p = pl->rows, np = pl->n; /* in place: put_seeds clears them in any order */
  for (size_t i = 1; i < np; i++) /* insertion sort: at most K rows */
    for (size_t j = i; j > 0 && p[j - 1] > p[j]; j--) {
      size_t t = p[j];
      p[j] = p[j - 1];
      p[j - 1] = t;
    }
  size_t a = 0, b = 0, c = 0;
  while (a < np || b < pl->nobs)
    pl->list[c++] = 1.0 + (double)(b >= pl->nobs || (a < np && p[a] < pl->obs[b]) ? p[a++] : pl->obs[b++]);
  if (c == 0) return vi->refresh(st, r); /* nothing weighs: the whole pass adds nothing either */
  *pl->nlist = (double)c;
  int s = vi->refresh(st, r);
  *pl->nlist = 0;
  return s;
}

/* The hidden variable `prefix` + name of variable k, or NULL. */
static double *hidden_of(const lvm_vars *st, const char *prefix, int k) {
  const char *name = st->desc->vars[k].name;
  size_t lp = strlen(prefix);
  for (int i = 0; i < st->desc->n_vars; i++) {
    const char *v = st->desc->vars[i].name;
    if (!strncmp(v, prefix, lp) && !strcmp(v + lp, name)) return lvm_vars_f(st, i);
  }
  return NULL;
}

/* Zero the rows of T (width doubles each) at rows[0 .. n), distinct, in
 * any order: one memset when they are all count rows. */
static void clear_rows(double *T, size_t width, const size_t *rows, size_t n, size_t count) {
  if (n == count) {
    memset(T, 0, count * width * sizeof *T);
    return;
  }
  for (size_t i = 0; i < n; i++) memset(T + rows[i] * width, 0, width * sizeof *T);
}

/* Factor fi's free rows all zero, except the seeds: free_el[j] one-hot at
 * value j, for j < n, and the candidates cand[q] (positions in free_el) at
 * values n + q, for q < nc.  Only the rows pl says the last call set are
 * cleared (all free rows the first time). */
static void put_seeds(lvm_vars *st, const factor_info *fi, const size_t *free_el, size_t nf, size_t n,
                      const size_t *cand, size_t nc, placed *pl) {
  double *T = lvm_vars_f(st, fi->f->stats);
  lvm_vars_stats_changed(st, fi->f->var);
  if (pl->all) clear_rows(T, fi->width, free_el, nf, fi->count);
  else clear_rows(T, fi->width, pl->rows, pl->n, fi->count);
  pl->all = 0;
  pl->n = 0;
  for (size_t j = 0; j < n; j++) {
    T[free_el[j] * fi->width + j] = 1.0;
    pl->rows[pl->n++] = free_el[j];
  }
  for (size_t q = 0; q < nc; q++) {
    T[free_el[cand[q]] * fi->width + n + q] = 1.0;
    pl->rows[pl->n++] = free_el[cand[q]];
  }
}

/* With the seeds free_el[0..j) and the candidates cand[0..nc) (at values
 * j..j+nc) alone, every other free row weighing nothing, one evaluation
 * (vi_seed when the model has it: the continuous factors, then the discrete
 * factors' eta only; else vi_sweep) gives every free row c its expected
 * log-weights eta_cv (the factor's natural parameters, unnormalised).
 * best[i] (i >= j) gets max_{v<j} eta_{free_el[i],v}, and, for each
 * candidate q, gain[q] the sum over rows of max(0, eta_{c,j+q} - best_c)
 * (how much better the values grown from it explain the rows).  The rows' common shifts (a
 * Dirichlet's digamma of the total) cancel, since both come from the same
 * evaluation. */
static lvm_status spread_sweep(lvm_vars *st, const lvm_vi_model *vi, const factor_info *fi,
                               const size_t *free_el, size_t nf, size_t j, const size_t *cand, size_t nc,
                               lvm_rng *r, double *best, double *gain, placed *pl) {
  put_seeds(st, fi, free_el, nf, j, cand, nc, pl);
  int s = refresh_listed(st, vi, pl, r);
  if (!s && vi->seed && pl->sample) { /* the sampled rows alone (the others are not free) */
    memcpy(pl->list, pl->sample, pl->nsample * sizeof *pl->list);
    *pl->nlist = (double)pl->nsample;
    s = vi->seed(st, r);
    *pl->nlist = 0;
  } else if (!s) {
    s = vi->seed ? vi->seed(st, r) : vi->sweep(st, r);
  }
  if (s) return (lvm_status)s; /* the kernel's message is in the state */
  const double *eta = lvm_vars_f(st, fi->f->eta);
  for (size_t q = 0; q < nc; q++) gain[q] = 0;
  for (size_t i = j; i < nf; i++) {
    const double *e = eta + free_el[i] * fi->width;
    double b = -INFINITY;
    for (size_t v = 0; v < j; v++) b = e[v] > b ? e[v] : b;
    best[i] = b;
    for (size_t q = 0; q < nc; q++) {
      double g = e[j + q] - b; /* NaN (both -inf) counts as no gain */
      if (g > 0) gain[q] += g;
    }
  }
  return LVM_OK;
}

/* keep[i] = max(best[i], eta_{free_el[i], v}) for i >= j, from the last
 * evaluation (the rows' explanation once value v's candidate is a seed). */
static void with_value(const lvm_vars *st, const factor_info *fi, const size_t *free_el, size_t nf, size_t j,
                       size_t v, const double *best, double *keep) {
  const double *eta = lvm_vars_f(st, fi->f->eta);
  for (size_t i = j; i < nf; i++) {
    double e = eta[free_el[i] * fi->width + v];
    keep[i] = e - best[i] > 0 ? e : best[i];
  }
}

/* Up to nc distinct candidates among positions j..nf of free_el, drawn
 * with probability proportional to w[i] = top - best[i] (top: the largest
 * best[i]), as k-means++ draws by squared distance to the nearest seed;
 * rows no seed explains (best -inf) first.  Returns how many. */
static size_t draw_candidates(const double *best, size_t nf, size_t j, size_t nc, lvm_rng *r, double *w,
                              size_t *cand) {
  double top = -INFINITY;
  for (size_t i = j; i < nf; i++) top = best[i] > top ? best[i] : top;
  size_t got = 0;
  for (size_t i = j; i < nf; i++) {
    double x = best[i] > -INFINITY ? top - best[i] : INFINITY;
    w[i] = x >= 0 ? x : 0;
  }
  while (got < nc && got < nf - j) {
    double total = 0;
    size_t ninf = 0;
    for (size_t i = j; i < nf; i++) {
      if (isinf(w[i])) ninf++;
      else total += w[i];
    }
    size_t pick = SIZE_MAX;
    if (ninf) {
      size_t k = (size_t)lvm_rng_uniform_int(r, ninf);
      for (size_t i = j; i < nf && pick == SIZE_MAX; i++)
        if (isinf(w[i]) && k-- == 0) pick = i;
    } else if (total > 0) {
      double u = lvm_rng_uniform(r) * total, acc = 0;
      for (size_t i = j; i < nf; i++) {
        if (!(w[i] > 0)) continue;
        acc += w[i];
        pick = i;
        if (u < acc) break;
      }
    } else { /* every remaining row explained equally well: uniform among the undrawn */
      size_t left = nf - j - got, k = (size_t)lvm_rng_uniform_int(r, left);
      for (size_t i = j; i < nf && pick == SIZE_MAX; i++)
        if (w[i] >= 0 && k-- == 0) pick = i;
    }
    if (pick == SIZE_MAX) break;
    cand[got++] = pick;
    w[pick] = -1; /* drawn: weighs nothing from now on */
  }
  return got;
}

/* Greedy k-means++ seeding of factor fi (docs/inference.md): the first
 * seed at random; each next one the best, by gain, of L candidates drawn
 * as in draw_candidates, L = 2 + floor(log K) as in scikit-learn's
 * k-means++.  The candidates are evaluated K - j at a time (values j..K-1
 * are free), so K = 5 costs 8 sweeps. */
static lvm_status spread_seeds(lvm_vars *st, const lvm_vi_model *vi, const factor_info *fi, size_t *free_el,
                               size_t nf, lvm_rng *r, placed *pl) {
  enum { MAX_TRIALS = 8 };
  size_t K = fi->K, L = 2 + (size_t)floor(log((double)K));
  if (L > MAX_TRIALS) L = MAX_TRIALS;
  double *best = malloc(nf * sizeof *best), *w = malloc(nf * sizeof *w);
  lvm_status s = LVM_OK;
  int oom = !best || !w;
  if (oom) goto done;
  size_t p = (size_t)lvm_rng_uniform_int(r, nf), c = free_el[p]; /* the first seed */
  free_el[p] = free_el[0];
  free_el[0] = c;
  double gain[MAX_TRIALS];
  s = spread_sweep(st, vi, fi, free_el, nf, 1, NULL, 0, r, best, gain, pl);
  for (size_t j = 1; j < K && !s; j++) {
    size_t cand[MAX_TRIALS], nc = draw_candidates(best, nf, j, L, r, w, cand);
    size_t top = 0;
    double topg = -1;
    double *keep = w; /* best with the best candidate so far (w is free again) */
    for (size_t q0 = 0; q0 < nc && !s; q0 += K - j) {
      size_t n = nc - q0 < K - j ? nc - q0 : K - j;
      s = spread_sweep(st, vi, fi, free_el, nf, j, cand + q0, n, r, best, gain, pl);
      size_t qb = n;
      for (size_t q = 0; q < n && !s; q++)
        if (gain[q] > topg) {
          topg = gain[q];
          top = cand[q0 + q];
          qb = q;
        }
      if (!s && qb < n) with_value(st, fi, free_el, nf, j, j + qb, best, keep);
    }
    if (s) break;
    memcpy(best + j, keep + j, (nf - j) * sizeof *best); /* nc >= 1, as nf >= K > j */
    c = free_el[top]; /* the chosen candidate becomes seed j */
    free_el[top] = free_el[j];
    free_el[j] = c;
    double b = best[top];
    best[top] = best[j];
    best[j] = b;
  }
done:
  free(best);
  free(w);
  if (oom) LVM_ERROR("CAVI: out of memory", LVM_ENOMEM);
  return s;
}

/* The seeding's evaluations look at a uniform sample of the free rows
 * (k-means++ on a subsample): at most SEED_SAMPLE rows, or
 * SEED_SAMPLE_PER_VALUE per value when K is large.  The other rows are
 * made not free while it runs, so that vi_seed computes the natural
 * parameters of the sampled rows only; every free row weighs nothing
 * during the evaluations, so the accumulated statistics are the same as on
 * the whole data. */
enum { SEED_SAMPLE = 4096, SEED_SAMPLE_PER_VALUE = 256 };

static lvm_status spread_on_sample(lvm_vars *st, const lvm_vi_model *vi, const factor_info *fi, size_t *free_el,
                                   size_t nf, lvm_rng *r, placed *pl) {
  size_t m = SEED_SAMPLE_PER_VALUE * fi->K;
  if (m < SEED_SAMPLE) m = SEED_SAMPLE;
  if (m >= nf) return spread_seeds(st, vi, fi, free_el, nf, r, pl);
  for (size_t j = 0; j < m; j++) { /* partial Fisher-Yates: free_el[0..m) the sample */
    size_t p = j + (size_t)lvm_rng_uniform_int(r, nf - j), c = free_el[p];
    free_el[p] = free_el[j];
    free_el[j] = c;
  }
  int k = fi->f->var;
  unsigned char *mask = calloc(fi->count, 1), *missing = st->missing[k], latent = st->latent[k];
  if (!mask) LVM_ERROR("CAVI: out of memory", LVM_ENOMEM);
  for (size_t j = 0; j < m; j++) mask[free_el[j]] = 1;
  if (pl->list && vi->seed) { /* the sample as vi_seed's row list: ascending, as the mask gives it */
    pl->sample = malloc(m * sizeof *pl->sample);
    if (!pl->sample) {
      free(mask);
      LVM_ERROR("CAVI: out of memory", LVM_ENOMEM);
    }
    pl->nsample = 0;
    for (size_t c = 0; c < fi->count; c++)
      if (mask[c]) pl->sample[pl->nsample++] = 1.0 + (double)c;
  }
  double *T = lvm_vars_f(st, fi->f->stats); /* every free row weighs nothing */
  lvm_vars_stats_changed(st, k);
  clear_rows(T, fi->width, free_el, nf, fi->count);
  pl->all = 0;
  pl->n = 0;
  st->missing[k] = mask;
  st->latent[k] = 0;
  lvm_status s = spread_seeds(st, vi, fi, free_el, m, r, pl);
  st->missing[k] = missing;
  st->latent[k] = latent;
  free(mask);
  free(pl->sample);
  pl->sample = NULL;
  pl->nsample = 0;
  return s;
}

/* What every restart's start finds out about a discrete factor and is the
 * same for all of them, as the data do not change: its free elements
 * (ascending) and its rows the data give, found once per command instead
 * of by passes over the variable at every restart; and the seeding's
 * working copy of the free elements, kept from one restart to the next
 * (a fresh buffer of N sizes is a fresh mapping the kernel zeroes). */
typedef struct start_rows {
  size_t nf, nobs;      /* free elements, given rows */
  size_t *free_el, *obs; /* free_el[0 .. nf), obs[0 .. nobs), ascending */
  size_t *work;         /* nf: the seeding's copy of free_el, which it permutes */
} start_rows;

typedef struct start_cache {
  int n;
  start_rows *f; /* per factor */
} start_cache;

static void start_cache_free(start_cache *c) {
  for (int i = 0; c->f && i < c->n; i++) {
    free(c->f[i].free_el);
    free(c->f[i].obs);
    free(c->f[i].work);
  }
  free(c->f);
  c->f = NULL;
  c->n = 0;
}

/* Discrete factor fi's rows into c->f[i] (once). */
static lvm_status start_rows_of(start_cache *c, int i, const lvm_vars *st, const factor_info *fi) {
  start_rows *sr = &c->f[i];
  if (sr->free_el) return LVM_OK; /* found */
  size_t nf = 0;
  for (size_t e = 0; e < fi->count; e++) nf += lvm_vars_free_elem(st, fi->f->var, e) != 0;
  size_t *free_el = malloc((nf ? nf : 1) * sizeof *free_el);
  sr->work = malloc((nf ? nf : 1) * sizeof *sr->work);
  sr->obs = malloc((fi->count - nf ? fi->count - nf : 1) * sizeof *sr->obs);
  if (!free_el || !sr->work || !sr->obs) {
    free(free_el);
    LVM_ERROR("CAVI: out of memory", LVM_ENOMEM);
  }
  for (size_t e = 0; e < fi->count; e++) {
    if (lvm_vars_free_elem(st, fi->f->var, e)) free_el[sr->nf++] = e;
    else sr->obs[sr->nobs++] = e;
  }
  sr->free_el = free_el; /* set last: the rows are found */
  return LVM_OK;
}

/* Factor i: discrete with at least as many free elements as values?  Its
 * info and the number of free elements (from the cache, found at the
 * first call). */
static lvm_status seedable(start_cache *c, int i, const lvm_vars *st, const lvm_vi_model *vi, factor_info *fi,
                           size_t *nf, int *ok) {
  lvm_status s = info(st, &vi->factors[i], fi);
  *ok = 0;
  *nf = 0;
  if (s || fi->fam) return s;
  if ((s = start_rows_of(c, i, st, fi))) return s;
  *nf = c->f[i].nf;
  *ok = *nf >= fi->K;
  return LVM_OK;
}

/* The data-driven start (docs/inference.md): every discrete factor with at
 * least as many free elements as values puts all its weight on K of them,
 * one per value (the others weigh nothing), so that the first sweep's
 * updates of the factors that follow from the discrete ones (a mixture's
 * component parameters) see one data point each, as a seeded k-means or
 * the Gibbs reference's start does.  When one discrete factor qualifies,
 * its seeds are spread out (spread_seeds: greedy k-means++, 8 evaluations
 * for K = 5); with several, they are chosen uniformly at random.  Any
 * model: an update from fewer weighted terms is still a conjugate update;
 * it ends with the accumulated statistics refreshed (vi_refresh), the first
 * sweep then recomputes every discrete factor, and the run's
 * ELBO-monotone sweeps start after it.  Without such a factor the start is
 * the prior draw with the discrete factors updated once (vi->local). */
static lvm_status seed_discrete(start_cache *sc, lvm_vars *st, const lvm_vi_model *vi, lvm_rng *r, int *seeded) {
  *seeded = 0;
  factor_info fi;
  size_t nf;
  int ok, nq = 0;
  for (int i = 0; i < vi->n_factors; i++) {
    lvm_status s = seedable(sc, i, st, vi, &fi, &nf, &ok);
    if (s) return s;
    nq += ok;
  }
  for (int i = 0; i < vi->n_factors; i++) {
    lvm_status s = seedable(sc, i, st, vi, &fi, &nf, &ok);
    if (s) return s;
    if (!ok) continue;
    const start_rows *sr = &sc->f[i];
    size_t *free_el = sr->work; /* the free elements, which the seeding permutes */
    memcpy(free_el, sr->free_el, nf * sizeof *free_el);
    placed pl = {malloc(fi.K * sizeof(size_t)), 0, 1, NULL, NULL, NULL, 0, NULL, 0};
    if (!pl.rows) LVM_ERROR("CAVI: out of memory", LVM_ENOMEM);
    /* the row list pays when few rows are given by the data */
    if (sr->nobs <= fi.count / 8 && !getenv("LVM_VI_NO_ROW_LIST")) { /* the variable turns it off, for tests */
      pl.list = hidden_of(st, "__vi_rows_", fi.f->var);
      pl.nlist = hidden_of(st, "__vi_nrows_", fi.f->var);
      if (!pl.nlist) pl.list = NULL;
    }
    if (pl.list) { /* read only */
      pl.obs = sr->obs;
      pl.nobs = sr->nobs;
    }
    if (nq == 1) {
      s = spread_on_sample(st, vi, &fi, free_el, nf, r, &pl);
    } else {
      for (size_t j = 0; j < fi.K; j++) {
        size_t p = j + (size_t)lvm_rng_uniform_int(r, nf - j), c = free_el[p]; /* partial Fisher-Yates */
        free_el[p] = free_el[j];
        free_el[j] = c;
      }
    }
    if (!s) put_seeds(st, &fi, free_el, nf, fi.K, NULL, 0, &pl);
    /* one seeded factor: only its seeds and given rows weigh, so the
     * refresh that ends the seeding visits them alone (same bits) */
    if (!s && nq == 1) s = (lvm_status)refresh_listed(st, vi, &pl, r);
    free(pl.rows);
    if (s) return s;
    *seeded = 1;
  }
  if (nq > 1 && vi->refresh) return (lvm_status)vi->refresh(st, r);
  return LVM_OK;
}

/* Entropy of factor c (a free element) of a family factor (discrete ones:
 * discrete_entropy). */
static lvm_status factor_entropy(const lvm_vars *st, const factor_info *fi, size_t c, double *H) {
  const double *eta = lvm_vars_f(st, fi->f->eta) + c * fi->width;
  double buf[64], *work = buf_get(buf, 64, fi->fam->work_size(fi->K));
  if (!work) LVM_ERROR("CAVI: out of memory (a factor's workspace)", LVM_ENOMEM);
  lvm_status s = fi->fam->entropy(fi->K, eta, H, work);
  buf_done(work, buf);
  return s;
}

/* Call fn for every free factor (element, or simplex vector) c. */
typedef lvm_status (*factor_fn)(lvm_vars *st, const factor_info *fi, size_t c, void *ctx);

static lvm_status for_free(lvm_vars *st, const lvm_vi_model *vi, factor_fn fn, void *ctx) {
  for (int i = 0; i < vi->n_factors; i++) {
    factor_info fi;
    lvm_status s = info(st, &vi->factors[i], &fi);
    if (s) return s;
    for (size_t c = 0; c < fi.count; c++) {
      if (!lvm_vars_free_elem(st, fi.f->var, first_elem(&fi, c))) continue;
      s = fn(st, &fi, c, ctx);
      if (s) return s;
    }
  }
  return LVM_OK;
}

/* Discrete factors, over the free elements: sum_j p_j (log Z - eta_j),
 * where log Z = eta_v - log p_v for the most probable value v (one log per
 * element instead of one per value; the logs of a chunk of elements at
 * once, lvm_log_n). */
static double discrete_entropy(const lvm_vars *st, const factor_info *fi) {
  enum { CHUNK = 512 };
  if (st->vi_h_ok[fi->f->var]) return st->vi_h[fi->f->var]; /* the all-rows update's */
  const double *eta = lvm_vars_f(st, fi->f->eta), *T = lvm_vars_f(st, fi->f->stats);
  double h = 0, pv[CHUNK], lpv[CHUNK];
  size_t row[CHUNK], val[CHUNK];
  for (size_t c0 = 0; c0 < fi->count; c0 += CHUNK) {
    size_t c1 = fi->count - c0 < CHUNK ? fi->count : c0 + CHUNK, n = 0;
    for (size_t c = c0; c < c1; c++) {
      if (!lvm_vars_free_elem(st, fi->f->var, c)) continue;
      const double *p = T + c * fi->width;
      size_t v = 0;
      for (size_t j = 1; j < fi->K; j++)
        if (p[j] > p[v]) v = j;
      if (!(p[v] > 0)) continue; /* a seeded start's row that weighs nothing */
      row[n] = c, val[n] = v, pv[n++] = p[v];
    }
    lvm_log_n(n, pv, lpv);
    for (size_t i = 0; i < n; i++) {
      const double *p = T + row[i] * fi->width, *e = eta + row[i] * fi->width;
      double logz = e[val[i]] - lpv[i];
      for (size_t j = 0; j < fi->K; j++)
        if (p[j] > 0) h += p[j] * (logz - e[j]);
    }
  }
  return h;
}

lvm_status lvm_vi_entropy(const lvm_vars *st, const lvm_vi_model *vi, double *H) {
  double h = 0;
  for (int i = 0; i < vi->n_factors; i++) {
    factor_info fi;
    lvm_status s = info(st, &vi->factors[i], &fi);
    if (s) return s;
    if (!fi.fam) {
      h += discrete_entropy(st, &fi);
      continue;
    }
    for (size_t c = 0; c < fi.count; c++) {
      if (!lvm_vars_free_elem(st, fi.f->var, first_elem(&fi, c))) continue;
      double hc;
      s = factor_entropy(st, &fi, c, &hc);
      if (s) return s;
      h += hc;
    }
  }
  *H = h;
  return LVM_OK;
}

lvm_status lvm_vi_elbo(lvm_vars *st, const lvm_vi_model *vi, double *elbo) {
  double H;
  lvm_status s = lvm_vi_entropy(st, vi, &H);
  if (s) return s;
  *elbo = vi->expect(st) + H;
  return LVM_OK;
}

/* ---- Finite-difference check of the optimum ------------------------------ */

/* The statistics of factor c from its eta, and the kernels' accumulated
 * statistics after a discrete factor changed. */
static lvm_status refresh_stats(lvm_vars *st, const lvm_vi_model *vi, const factor_info *fi, size_t c) {
  const double *eta = lvm_vars_f(st, fi->f->eta) + c * fi->width;
  double *T = lvm_vars_f(st, fi->f->stats) + c * fi->width;
  if (fi->fam) {
    double buf[64], *work = buf_get(buf, 64, fi->fam->work_size(fi->K));
    if (!work) LVM_ERROR("CAVI: out of memory (a factor's workspace)", LVM_ENOMEM);
    lvm_status s = fi->fam->mean_stats(fi->K, eta, T, work);
    buf_done(work, buf);
    return s;
  }
  lvm_vars_stats_changed(st, fi->f->var);
  lvm_status s = lvm_family_categorical_mean_stats(fi->K, eta, T);
  return !s && vi->refresh ? (lvm_status)vi->refresh(st, NULL) : s;
}

typedef struct grad_ctx {
  const lvm_vi_model *vi;
  double gmax;
  char *where;
  size_t wn;
} grad_ctx;

/* Central differences of the ELBO in each natural parameter of factor c,
 * step h_j = 1e-6 max(1, |eta_j|) (categorical log-weights: only their
 * differences matter, all of them vary). */
static lvm_status grad_factor(lvm_vars *st, const factor_info *fi, size_t c, void *ctx) {
  grad_ctx *g = ctx;
  double *eta = lvm_vars_f(st, fi->f->eta) + c * fi->width;
  for (size_t j = 0; j < fi->width; j++) {
    double e0 = eta[j], h = 1e-6 * (fabs(e0) > 1 ? fabs(e0) : 1), lo, hi;
    eta[j] = e0 + h;
    lvm_status s = refresh_stats(st, g->vi, fi, c);
    if (!s) s = lvm_vi_elbo(st, g->vi, &hi);
    eta[j] = e0 - h;
    if (!s) s = refresh_stats(st, g->vi, fi, c);
    if (!s) s = lvm_vi_elbo(st, g->vi, &lo);
    eta[j] = e0;
    lvm_status s2 = refresh_stats(st, g->vi, fi, c);
    if (s || s2) return s ? s : s2;
    double d = fabs(hi - lo) / (2 * h);
    if (d > g->gmax || !isfinite(d)) {
      g->gmax = d;
      snprintf(g->where, g->wn, "%s element %zu, natural parameter %zu", fi->d->name, c + 1, j + 1);
    }
  }
  return LVM_OK;
}

/* The largest |dELBO/deta_j| over every natural parameter of every free
 * factor. */
static lvm_status gradient_check(lvm_vars *st, const lvm_vi_model *vi, double *gmax, char *where,
                                 size_t wn) {
  grad_ctx g = {vi, 0, where, wn};
  lvm_status s = for_free(st, vi, grad_factor, &g);
  *gmax = g.gmax;
  return s;
}

/* ---- Output ------------------------------------------------------------- */

static const char *family_name(const factor_info *fi) {
  if (!fi->fam)
    return fi->d->domain == LVM_DOMAIN_BIN ? "Bernoulli" : fi->d->domain == LVM_DOMAIN_SPIN ? "Spin"
                                                                                             : "Categorical";
  static const char *const names[][2] = {{"normal", "Normal"}, {"gamma", "Gamma"},
                                         {"invgamma", "InvGamma"}, {"beta", "Beta"},
                                         {"dirichlet", "Dirichlet"}, {"mvnormal", "MvNormal"},
                                         {"wishart", "Wishart"}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(names[i][0], fi->f->family)) return names[i][1];
  return fi->f->family;
}

/* The usual parameters' names (as many as params_size for scalar
 * families; one block for sized ones). */
static void param_names(const factor_info *fi, const char **n1, const char **n2) {
  *n1 = *n2 = NULL;
  const char *f = fi->f->family;
  if (!fi->fam) *n1 = "probabilities";
  else if (!strcmp(f, "normal")) *n1 = "mean", *n2 = "sd";
  else if (!strcmp(f, "gamma")) *n1 = "shape", *n2 = "rate";
  else if (!strcmp(f, "invgamma")) *n1 = "shape", *n2 = "scale";
  else if (!strcmp(f, "beta")) *n1 = "a", *n2 = "b";
  else if (!strcmp(f, "dirichlet")) *n1 = "concentration";
  else if (!strcmp(f, "mvnormal")) *n1 = "covariance";
  else if (!strcmp(f, "wishart")) *n1 = "df", *n2 = "scale";
}

/* The usual parameters of factor c into par (params_size doubles); not OK
 * when the factor is improper or a workspace cannot be allocated. */
static lvm_status factor_params(const lvm_vars *st, const factor_info *fi, size_t c, double *par) {
  double buf[64], *work = buf_get(buf, 64, fi->fam->work_size(fi->K));
  if (!work) return LVM_ENOMEM;
  lvm_status s = fi->fam->params(fi->K, lvm_vars_f(st, fi->f->eta) + c * fi->width, par, work);
  buf_done(work, buf);
  return s;
}

/* Posterior mean and sd of element e (0-based, in the variable's array). */
static void moments(const lvm_vars *st, const factor_info *fi, size_t e, double *mean, double *sd) {
  size_t c = e / fi->vsize, j = e % fi->vsize;
  if (!lvm_vars_free_elem(st, fi->f->var, first_elem(fi, c))) {
    *mean = fi->d->is_int ? (double)lvm_vars_i(st, fi->f->var)[e] : lvm_vars_f(st, fi->f->var)[e];
    *sd = 0;
    return;
  }
  const double *T = lvm_vars_f(st, fi->f->stats) + c * fi->width;
  if (!fi->fam) {
    double m = 0, m2 = 0;
    for (size_t k = 0; k < fi->K; k++) {
      double v = fi->d->domain == LVM_DOMAIN_CAT ? (double)k + 1 : fi->d->domain == LVM_DOMAIN_SPIN ? 2.0 * (double)k - 1 : (double)k;
      m += T[k] * v;
      m2 += T[k] * v * v;
    }
    *mean = m;
    *sd = sqrt(fmax(m2 - m * m, 0));
    return;
  }
  double pbuf[64], *par = buf_get(pbuf, 64, fi->fam->params_size(fi->K));
  if (!par || factor_params(st, fi, c, par) != LVM_OK) {
    *mean = *sd = NAN;
    buf_done(par, pbuf);
    return;
  }
  const char *f = fi->f->family;
  double a = par[0], b = par[1];
  if (!strcmp(f, "normal")) *mean = a, *sd = b;
  else if (!strcmp(f, "gamma")) *mean = a / b, *sd = sqrt(a) / b;
  else if (!strcmp(f, "invgamma")) {
    *mean = a > 1 ? b / (a - 1) : INFINITY;
    *sd = a > 2 ? b / ((a - 1) * sqrt(a - 2)) : INFINITY;
  } else if (!strcmp(f, "beta")) {
    *mean = a / (a + b);
    *sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
  } else if (!strcmp(f, "dirichlet")) {
    double a0 = 0;
    for (size_t k = 0; k < fi->K; k++) a0 += par[k];
    *mean = par[j] / a0;
    *sd = sqrt(par[j] * (a0 - par[j]) / (a0 * a0 * (a0 + 1)));
  } else if (!strcmp(f, "mvnormal")) { /* par: mean (K), covariance (K*K) */
    *mean = par[j];
    *sd = sqrt(par[fi->K + j * fi->K + j]);
  } else if (!strcmp(f, "wishart")) { /* par: nu, S (K*K); X_ab: mean nu S_ab, var nu (S_ab^2 + S_aa S_bb) */
    size_t K = fi->K, ra = j / K, cb = j % K;
    const double *S = par + 1;
    *mean = a * S[j];
    *sd = sqrt(a * (S[j] * S[j] + S[ra * K + ra] * S[cb * K + cb]));
  } else {
    *mean = *sd = NAN;
  }
  buf_done(par, pbuf);
}

static lvm_status write_factor(lvm_jsonout *w, const lvm_vars *st, const factor_info *fi) {
  const lvm_var_desc *d = fi->d;
  size_t dims[LVM_VARS_MAX_DIMS + 1];
  for (int i = 0; i < d->ndim; i++) dims[i] = (size_t)st->n[d->dim[i]];
  size_t len = st->len[fi->f->var];
  double *mean = malloc((len ? len : 1) * sizeof *mean), *sd = malloc((len ? len : 1) * sizeof *sd);
  size_t nb = fi->width * fi->count;
  double *nat = malloc((nb ? nb : 1) * sizeof *nat), *p1 = malloc((nb ? nb : 1) * sizeof *p1),
         *p2 = malloc((nb ? nb : 1) * sizeof *p2);
  unsigned char *miss = calloc(nb ? nb : 1, 1), *emiss = calloc(len ? len : 1, 1);
  lvm_status s = LVM_OK;
  if (!mean || !sd || !nat || !p1 || !p2 || !miss || !emiss) {
    s = LVM_ENOMEM;
    goto done;
  }
  for (size_t e = 0; e < len; e++) moments(st, fi, e, &mean[e], &sd[e]);
  const double *eta = lvm_vars_f(st, fi->f->eta), *T = lvm_vars_f(st, fi->f->stats);
  /* the usual parameters: scalar families 2 per element (two arrays), sized
   * ones a block of K (probabilities from the statistics) */
  size_t pn = 0;
  for (size_t c = 0; c < fi->count; c++) {
    int free = lvm_vars_free_elem(st, fi->f->var, first_elem(fi, c));
    for (size_t j = 0; j < fi->width; j++) {
      nat[c * fi->width + j] = eta[c * fi->width + j];
      miss[c * fi->width + j] = (unsigned char)!free;
    }
    if (!fi->fam) {
      for (size_t j = 0; j < fi->K; j++) p1[c * fi->K + j] = T[c * fi->K + j];
    } else {
      size_t np = fi->fam->params_size(fi->K);
      double pbuf[64], *par = buf_get(pbuf, 64, np);
      if (!par) {
        s = LVM_ENOMEM;
        goto done;
      }
      if (free && factor_params(st, fi, c, par) != LVM_OK)
        for (size_t j = 0; j < np; j++) par[j] = NAN;
      if (!strcmp(fi->f->family, "mvnormal")) { /* the covariance block (K*K) */
        for (size_t j = 0; j < fi->K * fi->K; j++) p1[c * fi->K * fi->K + j] = free ? par[fi->K + j] : NAN;
      } else if (!strcmp(fi->f->family, "wishart")) { /* df, then the scale (K*K) */
        p1[c] = free ? par[0] : NAN;
        for (size_t j = 0; j < fi->K * fi->K; j++) p2[c * fi->K * fi->K + j] = free ? par[1 + j] : NAN;
      } else if (fi->fam->sized) {
        for (size_t j = 0; j < fi->K; j++) p1[c * fi->K + j] = free ? par[j] : NAN;
      } else {
        p1[c] = free ? par[0] : NAN;
        p2[c] = free ? par[1] : NAN;
      }
      buf_done(par, pbuf);
    }
    emiss[c] = (unsigned char)!free;
    pn++;
  }
  const char *n1, *n2;
  param_names(fi, &n1, &n2);
  int vdims = d->ndim; /* dims of the variable (a simplex's K included) */
  int sdims = d->ndim - fi->vdims; /* dims of the factors */
  size_t ndims[LVM_VARS_MAX_DIMS + 1];
  memcpy(ndims, dims, sizeof(size_t) * (size_t)sdims);
  ndims[sdims] = fi->width;
  lvm_jsonout_key(w, d->name);
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "family");
  lvm_jsonout_string(w, family_name(fi));
  lvm_jsonout_key(w, "dims");
  lvm_jsonout_begin_array(w);
  for (int i = 0; i < vdims; i++) lvm_jsonout_int(w, (long long)dims[i]);
  lvm_jsonout_end_array(w);
  lvm_jsonout_key(w, "mean");
  lvm_jsonout_array(w, vdims, dims, mean, 0, NULL);
  lvm_jsonout_key(w, "sd");
  lvm_jsonout_array(w, vdims, dims, sd, 0, NULL);
  lvm_jsonout_key(w, "natural");
  lvm_jsonout_array(w, sdims + 1, ndims, nat, 0, miss);
  if (fi->fam && !fi->fam->sized && !strcmp(n1, "mean")) {
    s = LVM_OK; /* normal: the usual parameters are the mean and sd above */
  } else if (fi->fam && !fi->fam->sized) {
    lvm_jsonout_key(w, n1);
    lvm_jsonout_array(w, sdims, dims, p1, 0, emiss);
    lvm_jsonout_key(w, n2);
    s = lvm_jsonout_array(w, sdims, dims, p2, 0, emiss);
  } else if (!strcmp(fi->f->family, "mvnormal") || !strcmp(fi->f->family, "wishart")) {
    /* mvnormal: the covariance (K x K per vector); wishart: df (one per
     * matrix), then the scale (K x K) */
    int wis = !strcmp(fi->f->family, "wishart");
    if (wis) {
      lvm_jsonout_key(w, n1);
      lvm_jsonout_array(w, sdims, dims, p1, 0, emiss);
    }
    size_t pdims[LVM_VARS_MAX_DIMS + 2];
    memcpy(pdims, dims, sizeof(size_t) * (size_t)sdims);
    pdims[sdims] = pdims[sdims + 1] = fi->K;
    unsigned char *cmiss = calloc(fi->count * fi->K * fi->K + 1, 1);
    if (!cmiss) {
      s = LVM_ENOMEM;
      goto done;
    }
    for (size_t c = 0; c < fi->count; c++)
      memset(cmiss + c * fi->K * fi->K, emiss[c], fi->K * fi->K);
    lvm_jsonout_key(w, wis ? n2 : n1);
    s = lvm_jsonout_array(w, sdims + 2, pdims, wis ? p2 : p1, 0, cmiss);
    free(cmiss);
  } else {
    size_t pdims[LVM_VARS_MAX_DIMS + 1];
    memcpy(pdims, dims, sizeof(size_t) * (size_t)sdims);
    pdims[sdims] = fi->K;
    lvm_jsonout_key(w, n1);
    s = lvm_jsonout_array(w, sdims + 1, pdims, p1, 0, fi->fam ? miss : NULL);
  }
  if (s == LVM_OK) s = lvm_jsonout_end_object(w);
done:
  free(mean), free(sd), free(nat), free(p1), free(p2), free(miss), free(emiss);
  return s;
}

/* ---- The command ---------------------------------------------------------- */

typedef struct run_result {
  double elbo;
  long iterations;
  int converged;
} run_result;

/* "elbo", "iterations", "converged" of one run. */
static void write_result(lvm_jsonout *w, const run_result *r) {
  lvm_jsonout_key(w, "elbo");
  lvm_jsonout_double(w, r->elbo);
  lvm_jsonout_key(w, "iterations");
  lvm_jsonout_int(w, r->iterations);
  lvm_jsonout_key(w, "converged");
  lvm_jsonout_bool(w, r->converged);
}

static const char *last_error(const lvm_model *m, const void *state, int status) {
  const char *e = m->last_error && state ? m->last_error(state) : NULL;
  return e && *e ? e : lvm_strerror(status);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* m->init, except for the discrete factors the seeded start overwrites
 * (seedable: seed_discrete clears all their free rows): their elements are
 * made not free while it runs, so that the prior's draws of them (N
 * categorical draws for a mixture's z) are skipped, and hold their first
 * value instead (a valid value for any draw from the prior that reads
 * them). */
static int init_state(start_cache *sc, const lvm_model *m, const lvm_vi_model *vi, lvm_vars *st, lvm_rng *r) {
  unsigned char **missing = calloc((size_t)vi->n_factors + 1, sizeof *missing);
  unsigned char *latent = calloc((size_t)vi->n_factors + 1, 1);
  int *held = calloc((size_t)vi->n_factors + 1, sizeof *held);
  if (!missing || !latent || !held) {
    free(missing);
    free(latent);
    free(held);
    return m->init(st, r);
  }
  lvm_status s = LVM_OK;
  for (int i = 0; i < vi->n_factors && !s; i++) {
    factor_info fi;
    size_t nf;
    int ok;
    s = seedable(sc, i, st, vi, &fi, &nf, &ok);
    if (s || !ok) continue;
    int k = fi.f->var;
    lvm_domain dom = fi.d->domain;
    int64_t first = dom == LVM_DOMAIN_CAT ? 1 : dom == LVM_DOMAIN_SPIN ? -1 : 0;
    int64_t *v = lvm_vars_i(st, k);
    for (size_t j = 0; j < nf; j++) v[sc->f[i].free_el[j]] = first;
    held[i] = 1;
    missing[i] = st->missing[k];
    latent[i] = st->latent[k];
    st->missing[k] = NULL;
    st->latent[k] = 0;
  }
  int rc = s ? (int)s : m->init(st, r);
  for (int i = 0; i < vi->n_factors; i++) {
    if (!held[i]) continue;
    int k = vi->factors[i].var;
    st->missing[k] = missing[i];
    st->latent[k] = latent[i];
  }
  free(missing);
  free(latent);
  free(held);
  return rc;
}

/* One restart: init from the prior, the seeded first sweep, then sweeps
 * until the ELBO's relative change is below tol.  Returns 0, or 1 after
 * printing the error. */
static int run_one(start_cache *sc, const lvm_model *m, const lvm_cli *cli, const char *who, lvm_vars *st,
                   int r, FILE *trace, run_result *res, FILE *err) {
  const lvm_vi_model *vi = m->vi;
  lvm_rng rng;
  lvm_rng_seed(&rng, cli->seed, (uint64_t)r);
  double t0 = now(); /* the restart's time: its start (seeding) and sweeps */
  int s = init_state(sc, m, vi, st, &rng);
  if (s == 0) s = lvm_vi_set_point(st, vi);
  int seeded = 0; /* a seeding ends with the statistics refreshed */
  if (s == 0) s = seed_discrete(sc, st, vi, &rng, &seeded);
  if (s == 0 && !seeded && vi->refresh) s = vi->refresh(st, &rng);
  if (s == 0) s = seeded ? vi->sweep(st, &rng) : vi->local(st, &rng);
  if (s != 0) {
    fprintf(err, "%s: error: restart %d, initialisation: %s\n", who, r + 1, last_error(m, st, s));
    return 1;
  }
  double prev = -INFINITY, elbo = -INFINITY;
  res->converged = 0;
  long it;
  for (it = 1; it <= cli->max_iter; it++) {
    s = vi->sweep(st, &rng);
    if (s == 0) s = lvm_vi_elbo(st, vi, &elbo);
    if (s != 0) {
      fprintf(err, "%s: error: restart %d, iteration %ld: %s\n", who, r + 1, it, last_error(m, st, s));
      return 1;
    }
    if (!isfinite(elbo)) {
      fprintf(err, "%s: error: restart %d, iteration %ld: the ELBO is not finite (%g)\n", who, r + 1,
              it, elbo);
      return 1;
    }
    if (trace) fprintf(trace, "%d,%ld,%.17g\n", r + 1, it, elbo);
    if (it > 1 && elbo < prev - 1e-10 * fabs(prev)) {
      fprintf(err,
              "%s: error: BUG: the ELBO decreased at restart %d, iteration %ld, from %.17g to "
              "%.17g (relative %.3g); coordinate ascent never decreases it, so this is a bug in "
              "lvmc's CAVI; please report it with the model and data\n",
              who, r + 1, it, prev, elbo, (prev - elbo) / fabs(prev));
      return 1;
    }
    if (it > 1 && fabs(elbo - prev) < cli->tol * fabs(elbo)) {
      res->converged = 1;
      break;
    }
    prev = elbo;
    if (lvm_interrupted()) break;
  }
  res->elbo = elbo;
  res->iterations = it > cli->max_iter ? cli->max_iter : it;
  if (!cli->quiet)
    fprintf(err, "%s: restart %d: %s after %ld iterations (%.3f s), ELBO = %.10g\n", who, r + 1,
            res->converged ? "converged" : lvm_interrupted() ? "interrupted" : "not converged",
            res->iterations, now() - t0, elbo);
  return 0;
}

/* The written factors of a restart (natural parameters and statistics of
 * every factor not excluded from the output), saved into *buf (back = 0;
 * allocated at the first save) or put back into st (back = 1: their
 * statistics were written other than by the all-rows update). */
static lvm_status snapshot(double **buf, lvm_vars *st, const lvm_vi_model *vi, int back) {
  if (!*buf) {
    size_t n = 1; /* one spare: never malloc(0) */
    for (int i = 0; i < vi->n_factors; i++)
      if (!st->hidden[vi->factors[i].var]) n += st->len[vi->factors[i].eta] + st->len[vi->factors[i].stats];
    if (!(*buf = malloc(n * sizeof **buf))) return LVM_ENOMEM;
  }
  double *o = *buf;
  for (int i = 0; i < vi->n_factors; i++) {
    const lvm_vi_factor *f = &vi->factors[i];
    if (st->hidden[f->var]) continue;
    if (back) lvm_vars_stats_changed(st, f->var);
    int arr[2] = {f->eta, f->stats};
    for (int j = 0; j < 2; j++) {
      size_t len = st->len[arr[j]];
      double *a = lvm_vars_f(st, arr[j]);
      memcpy(back ? a : o, back ? o : a, len * sizeof *a);
      o += len;
    }
  }
  return LVM_OK;
}

int lvm_vi_command(const lvm_model *m, const lvm_cli *cli, const char *who, void *base, FILE *err) {
  const lvm_vi_model *vi = m->vi;
  if (!vi) {
    fprintf(err, "%s: error: this model was built without CAVI kernels\n", who);
    return 1;
  }
  if (vi->unsupported || !vi->local || !vi->sweep || !vi->expect) {
    fprintf(err, "%s: error: %s\n", who, vi->unsupported ? vi->unsupported : "CAVI is not available");
    return 1;
  }
  int rc = 1;
  char *default_out = NULL, *trace_tmp = NULL;
  const char *out = cli->out;
  if (!out) {
    size_t n = strlen(m->name) + 16;
    default_out = malloc(n);
    if (default_out) snprintf(default_out, n, "%s_vi.json", m->name);
    out = default_out;
  }
  FILE *trace = NULL;
  lvm_vars *st = NULL, *best = NULL;
  double *snap = NULL; /* the best restart's written factors (snapshot) */
  run_result *res = calloc((size_t)cli->restarts, sizeof *res);
  start_cache sc = {vi->n_factors, calloc((size_t)vi->n_factors + 1, sizeof(start_rows))};
  lvm_jsonout *w = NULL;
  if (!out || !res || !sc.f) {
    fprintf(err, "%s: error: out of memory\n", who);
    goto done;
  }
  if (cli->trace_file) { /* written to a temporary, renamed at the end */
    size_t n = strlen(cli->trace_file) + 16;
    trace_tmp = malloc(n);
    if (!trace_tmp) goto done;
    snprintf(trace_tmp, n, "%s.tmp.%ld", cli->trace_file, (long)getpid());
    trace = fopen(trace_tmp, "w");
    if (!trace) {
      fprintf(err, "%s: error: cannot create '%s': %s\n", who, cli->trace_file, strerror(errno));
      goto done;
    }
    fprintf(trace, "restart,iteration,elbo\n");
  }
  /* --exclude NAME: the factor is left out of the JSON (clones keep the flag) */
  for (size_t i = 0; i < cli->n_excludes; i++) {
    if (!m->exclude || m->exclude(base, cli->excludes[i]) != 0) {
      fprintf(err, "%s: error: --exclude %s: the model has no output variable of that name\n", who,
              cli->excludes[i]);
      goto done;
    }
  }
  int best_r = -1, last_r = -1;
  /* Every restart starts afresh (init_state), so all of them run in the
   * caller's state, and the best one's factors that are written (natural
   * parameters and statistics of the factors not excluded) are kept in
   * `snap`: with z excluded, a few numbers instead of a second copy of the
   * state and its N x K arrays.  --check-grad needs the best restart's
   * whole state (its accumulated statistics): two states are swapped. */
  int whole = cli->check_grad;
  st = base;
  for (int r = 0; r < cli->restarts; r++) {
    if (!st) {
      st = calloc(1, m->state_size);
      if (!st || m->clone(st, base) != 0) {
        fprintf(err, "%s: error: cannot copy the model state\n", who);
        goto done;
      }
    }
    if (run_one(&sc, m, cli, who, st, r, trace, &res[r], err)) goto done;
    last_r = r;
    if (best_r < 0 || res[r].elbo > res[best_r].elbo) {
      best_r = r;
      if (whole) {
        lvm_vars *t = best;
        best = st;
        st = t;
      } else if (r + 1 < cli->restarts && snapshot(&snap, st, vi, 0) != LVM_OK) {
        fprintf(err, "%s: error: out of memory\n", who);
        goto done;
      }
    }
    if (lvm_interrupted()) break;
  }
  if (!whole) { /* the best restart's factors back, unless it ran last */
    best = base;
    if (best_r != last_r) snapshot(&snap, base, vi, 1);
  }
  double gmax = NAN;
  char gwhere[256] = "";
  if (cli->check_grad && gradient_check(best, vi, &gmax, gwhere, sizeof gwhere) != LVM_OK) {
    fprintf(err, "%s: error: the gradient check failed: %s\n", who, last_error(m, best, LVM_EDOM));
    goto done;
  }
  if (trace) {
    int bad = fclose(trace) != 0;
    trace = NULL;
    if (bad || rename(trace_tmp, cli->trace_file) != 0) {
      fprintf(err, "%s: error: cannot write '%s': %s\n", who, cli->trace_file, strerror(errno));
      goto done;
    }
  }
  w = lvm_jsonout_open(out);
  if (!w) {
    fprintf(err, "%s: error: cannot create '%s'\n", who, out);
    goto done;
  }
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "model");
  lvm_jsonout_string(w, m->name);
  lvm_jsonout_key(w, "method");
  lvm_jsonout_string(w, "vi");
  lvm_jsonout_key(w, "algorithm");
  lvm_jsonout_string(w, "cavi");
  lvm_jsonout_key(w, "seed");
  lvm_jsonout_int(w, (long long)cli->seed);
  lvm_jsonout_key(w, "tol");
  lvm_jsonout_double(w, cli->tol);
  lvm_jsonout_key(w, "max_iter");
  lvm_jsonout_int(w, cli->max_iter);
  write_result(w, &res[best_r]);
  lvm_jsonout_key(w, "restart");
  lvm_jsonout_int(w, best_r + 1);
  lvm_jsonout_key(w, "restarts");
  lvm_jsonout_begin_array(w);
  for (int r = 0; r < cli->restarts; r++) {
    lvm_jsonout_begin_object(w);
    write_result(w, &res[r]);
    lvm_jsonout_end_object(w);
  }
  lvm_jsonout_end_array(w);
  if (cli->check_grad) {
    lvm_jsonout_key(w, "gradient_max_abs");
    lvm_jsonout_double(w, gmax);
    lvm_jsonout_key(w, "gradient_max_at");
    lvm_jsonout_string(w, gwhere);
  }
  lvm_jsonout_key(w, "variables");
  lvm_jsonout_begin_object(w);
  for (int i = 0; i < vi->n_factors; i++) {
    factor_info fi;
    if (best->hidden[vi->factors[i].var]) continue;
    lvm_status is = info(best, &vi->factors[i], &fi);
    if (is == LVM_OK && !any_free(best, &fi)) continue; /* observed: not a latent variable */
    if (is != LVM_OK || write_factor(w, best, &fi) != LVM_OK) {
      fprintf(err, "%s: error: cannot write '%s'\n", who, out);
      lvm_jsonout_abort(w);
      w = NULL;
      goto done;
    }
  }
  lvm_jsonout_end_object(w);
  lvm_jsonout_end_object(w);
  lvm_status cs = lvm_jsonout_close(w);
  w = NULL;
  if (cs != LVM_OK) {
    fprintf(err, "%s: error: cannot write '%s'\n", who, out);
    goto done;
  }
  if (!cli->quiet)
    fprintf(err, "%s: wrote %s (ELBO %.10g, restart %d of %d)\n", who, out, res[best_r].elbo,
            best_r + 1, cli->restarts);
  rc = lvm_interrupted() ? 130 : 0;
done:
  if (w) lvm_jsonout_abort(w);
  if (trace) {
    fclose(trace);
    remove(trace_tmp);
  }
  if (st && st != base) {
    m->teardown(st);
    free(st);
  }
  if (best && best != base) {
    m->teardown(best);
    free(best);
  }
  free(snap);
  free(res);
  start_cache_free(&sc);
  free(trace_tmp);
  free(default_out);
  return rc;
}
