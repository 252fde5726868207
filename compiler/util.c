#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
  ArenaBlock *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
};

typedef struct InternTable {
  const char **slots;
  size_t cap, n;
} InternTable;

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fprintf(stderr, "lvmc: out of memory\n");
    exit(70);
  }
  return p;
}

void arena_init(Arena *a) { memset(a, 0, sizeof *a); }

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *next = b->next;
    free(b);
    b = next;
  }
  if (a->strings) {
    free(a->strings->slots);
    free(a->strings);
  }
  memset(a, 0, sizeof *a);
}

void *arena_alloc(Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->size - a->head->used < n) {
    size_t size = n > 65536 ? n : 65536;
    ArenaBlock *b = xmalloc(sizeof *b + size);
    b->next = a->head;
    b->used = 0;
    b->size = size;
    a->head = b;
  }
  void *p = a->head->data + a->head->used;
  a->head->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *arena_strdup(Arena *a, const char *s) {
  return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(Arena *a, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  char *p = arena_alloc(a, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = arena_vprintf(a, fmt, ap);
  va_end(ap);
  return p;
}

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

const char *intern(Arena *a, const char *s, size_t n) {
  InternTable *t = a->strings;
  if (!t) {
    t = a->strings = xmalloc(sizeof *t);
    t->cap = 256;
    t->n = 0;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots) exit(70);
  }
  if (2 * (t->n + 1) > t->cap) {
    size_t cap = t->cap * 2;
    const char **slots = calloc(cap, sizeof *slots);
    if (!slots) exit(70);
    for (size_t i = 0; i < t->cap; i++)
      if (t->slots[i]) {
        size_t j = hash_bytes(t->slots[i], strlen(t->slots[i])) & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
      }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
  }
  size_t j = hash_bytes(s, n) & (t->cap - 1);
  while (t->slots[j]) {
    if (strncmp(t->slots[j], s, n) == 0 && t->slots[j][n] == 0) return t->slots[j];
    j = (j + 1) & (t->cap - 1);
  }
  t->slots[j] = arena_strndup(a, s, n);
  t->n++;
  return t->slots[j];
}

void vec_push(Arena *a, PtrVec *v, void *p) {
  if (v->n == v->cap) {
    int cap = v->cap ? 2 * v->cap : 4;
    void **nv = arena_alloc(a, (size_t)cap * sizeof *nv);
    if (v->n) memcpy(nv, v->v, (size_t)v->n * sizeof *nv);
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = p;
}

static void sb_reserve(StrBuf *b, size_t extra) {
  if (b->n + extra + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) exit(70);
    b->s = s;
    b->cap = cap;
  }
}

void sb_putc(StrBuf *b, char c) {
  sb_reserve(b, 1);
  b->s[b->n++] = c;
  b->s[b->n] = 0;
}

void sb_puts(StrBuf *b, const char *s) {
  size_t n = strlen(s);
  sb_reserve(b, n);
  memcpy(b->s + b->n, s, n + 1);
  b->n += n;
}

void sb_printf(StrBuf *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  sb_reserve(b, (size_t)n);
  vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->n += (size_t)n;
}

void sb_free(StrBuf *b) {
  free(b->s);
  memset(b, 0, sizeof *b);
}

_Noreturn void lvmc_ice(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "lvmc: internal error at %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nThis is a bug in lvmc, not in your model. Please report it "
                  "with the model file.\n");
  exit(70);
}

int edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return 99;
  int d[65][65];
  for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
      /* transposition */
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < c)
        c = d[i - 2][j - 2] + 1;
      d[i][j] = c;
    }
  return d[n][m];
}
