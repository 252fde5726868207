/* lvm/rng.h — reproducible, independent random streams.
 *
 * Generator: xoshiro256++ (Blackman & Vigna 2019), period 2^256 - 1.
 * lvm_rng_seed(r, seed, stream) fills the state from `seed` with SplitMix64
 * and then applies the 2^128-step jump function `stream` times, so streams
 * 0, 1, 2, ... of one seed are non-overlapping subsequences of length 2^128.
 * Chain c of a run uses stream c (and stream c * 2^16 + t for a helper thread
 * t), so draws do not depend on how many threads run the chains.
 *
 * The state is a plain value: no global state, no locks.  Pass a pointer to
 * every function that draws.
 */
#ifndef LVM_RNG_H
#define LVM_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lvm_rng {
  uint64_t s[4];
} lvm_rng;

/* Seed stream `stream` of seed `seed`. Costs O(stream) jumps; streams are
 * numbered from 0. */
void lvm_rng_seed(lvm_rng *r, uint64_t seed, uint64_t stream);

/* Advance by 2^128 draws (the jump function). */
void lvm_rng_jump(lvm_rng *r);

static inline uint64_t lvm_rng__rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits. */
static inline uint64_t lvm_rng_next(lvm_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = lvm_rng__rotl(s[0] + s[3], 23) + s[0];
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = lvm_rng__rotl(s[3], 45);
  return result;
}

/* Uniform on the open interval (0, 1): (k + 0.5) / 2^53, k uniform on
 * 0 .. 2^53 - 1.  Never returns 0 or 1, so log(u) and log1p(-u) are finite. */
static inline double lvm_rng_uniform(lvm_rng *r) {
  return ((double)(lvm_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Uniform integer on 0 .. n-1 (n >= 1), without modulo bias (Lemire). */
uint64_t lvm_rng_uniform_int(lvm_rng *r, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
