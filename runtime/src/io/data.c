/* Data files in: CmdStan JSON via jansson, --set, and the checker
 * (see lvm/data.h). */
#include "lvm/data.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_util.h"
#include "json_fast.h"
#include "lvm/jsonout.h"
#include "lvm/mem.h"

#define NO_INDEX ((size_t)-1)

/* ---- Messages ---------------------------------------------------------- */

lvm_msgs *lvm_msgs_alloc(void) {
  lvm_msgs *m = calloc(1, sizeof *m);
  if (!m) {
    lvm_error("cannot allocate a message list", __FILE__, __LINE__, LVM_ENOMEM);
    return NULL;
  }
  return m;
}

void lvm_msgs_clear(lvm_msgs *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) free(m->text[i]);
  m->n = 0;
  m->n_errors = m->n_warnings = 0;
}

void lvm_msgs_free(lvm_msgs *m) {
  if (!m) return;
  lvm_msgs_clear(m);
  free(m->text);
  free(m->level);
  free(m);
}

static const char *level_name(lvm_msg_level l) {
  switch (l) {
  case LVM_MSG_ERROR: return "error";
  case LVM_MSG_WARNING: return "warning";
  default: return "note";
  }
}

static lvm_status msgs_vadd(lvm_msgs *m, lvm_msg_level level,
                            const char *source, const char *fmt, va_list ap) {
  lvm_buf b;
  lvm_buf_init(&b);
  if (source) lvm_buf_printf(&b, "%s: ", source);
  lvm_buf_printf(&b, "%s: ", level_name(level));
  lvm_buf_vprintf(&b, fmt, ap);
  if (b.failed) {
    lvm_buf_free(&b);
    LVM_ERROR("cannot allocate a message", LVM_ENOMEM);
  }
  if (!m) {
    fprintf(stderr, "%s\n", b.s);
    lvm_buf_free(&b);
    return LVM_OK;
  }
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 16;
    char **t = realloc(m->text, cap * sizeof *t);
    if (t) m->text = t;
    lvm_msg_level *l = realloc(m->level, cap * sizeof *l);
    if (l) m->level = l;
    if (!t || !l) {
      lvm_buf_free(&b);
      LVM_ERROR("cannot allocate a message", LVM_ENOMEM);
    }
    m->cap = cap;
  }
  if (m->echo) fprintf(m->echo, "%s\n", b.s);
  m->text[m->n] = lvm_buf_take(&b);
  m->level[m->n] = level;
  m->n++;
  if (level == LVM_MSG_ERROR) m->n_errors++;
  if (level == LVM_MSG_WARNING) m->n_warnings++;
  return LVM_OK;
}

lvm_status lvm_msgs_add(lvm_msgs *m, lvm_msg_level level, const char *source,
                        const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lvm_status s = msgs_vadd(m, level, source, fmt, ap);
  va_end(ap);
  return s;
}

void lvm_msgs_print(const lvm_msgs *m, FILE *f) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) fprintf(f, "%s\n", m->text[i]);
}

/* ---- Domains ----------------------------------------------------------- */

const char *lvm_domain_name(lvm_domain d) {
  static const char *const names[] = {"real", "pos", "unit", "int",
                                      "nat", "bin", "spin", "cat",
                                      "simplex", "vec", "spd"};
  if ((unsigned)d >= sizeof names / sizeof names[0]) return "?";
  return names[d];
}

int lvm_domain_is_discrete(lvm_domain d) {
  return d == LVM_DOMAIN_INT || d == LVM_DOMAIN_NAT || d == LVM_DOMAIN_BIN ||
         d == LVM_DOMAIN_SPIN || d == LVM_DOMAIN_CAT;
}

int lvm_domain_ndim(lvm_domain d) {
  switch (d) {
  case LVM_DOMAIN_SIMPLEX:
  case LVM_DOMAIN_VEC: return 1;
  case LVM_DOMAIN_SPD: return 2;
  default: return 0;
  }
}

/* "nat (a non-negative integer)", "cat(3) (an integer from 1 to 3)" */
static void domain_describe(lvm_buf *b, lvm_domain d, size_t arg) {
  char a[32];
  if (arg == LVM_DIM_ANY || arg == 0) snprintf(a, sizeof a, "K");
  else snprintf(a, sizeof a, "%zu", arg);
  switch (d) {
  case LVM_DOMAIN_REAL: lvm_buf_puts(b, "real (a real number, not NaN)"); break;
  case LVM_DOMAIN_POS: lvm_buf_puts(b, "pos (a finite number > 0)"); break;
  case LVM_DOMAIN_UNIT: lvm_buf_puts(b, "unit (a number strictly between 0 and 1)"); break;
  case LVM_DOMAIN_INT: lvm_buf_puts(b, "int (an integer)"); break;
  case LVM_DOMAIN_NAT: lvm_buf_puts(b, "nat (a non-negative integer)"); break;
  case LVM_DOMAIN_BIN: lvm_buf_puts(b, "bin (0 or 1)"); break;
  case LVM_DOMAIN_SPIN: lvm_buf_puts(b, "spin (-1 or +1)"); break;
  case LVM_DOMAIN_CAT: lvm_buf_printf(b, "cat(%s) (an integer from 1 to %s)", a, a); break;
  case LVM_DOMAIN_SIMPLEX:
    lvm_buf_printf(b, "simplex(%s) (%s non-negative numbers summing to 1)", a, a);
    break;
  case LVM_DOMAIN_VEC: lvm_buf_printf(b, "vec(%s) (a vector of %s finite numbers)", a, a); break;
  case LVM_DOMAIN_SPD:
    lvm_buf_printf(b, "spd(%s) (a symmetric positive definite %sx%s matrix)", a, a, a);
    break;
  }
}

/* ---- Data -------------------------------------------------------------- */

lvm_data *lvm_data_alloc(void) {
  lvm_data *d = calloc(1, sizeof *d);
  if (!d) lvm_error("cannot allocate a data set", __FILE__, __LINE__, LVM_ENOMEM);
  return d;
}

static void var_free(lvm_data_var *v) {
  free(v->name);
  free(v->source);
  free(v->values);
  free(v->missing);
  memset(v, 0, sizeof *v);
}

void lvm_data_free(lvm_data *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n_vars; i++) var_free(&d->vars[i]);
  free(d->vars);
  free(d->path);
  free(d);
}

const lvm_data_var *lvm_data_find(const lvm_data *d, const char *name) {
  if (!d || !name) return NULL;
  for (size_t i = 0; i < d->n_vars; i++)
    if (strcmp(d->vars[i].name, name) == 0) return &d->vars[i];
  return NULL;
}

/* Move *v into d (replacing a variable of the same name). */
static lvm_status data_put(lvm_data *d, lvm_data_var *v) {
  for (size_t i = 0; i < d->n_vars; i++) {
    if (strcmp(d->vars[i].name, v->name) == 0) {
      var_free(&d->vars[i]);
      d->vars[i] = *v;
      memset(v, 0, sizeof *v);
      return LVM_OK;
    }
  }
  if (d->n_vars == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 16;
    lvm_data_var *t = realloc(d->vars, cap * sizeof *t);
    if (!t) {
      var_free(v);
      LVM_ERROR("cannot allocate a data variable", LVM_ENOMEM);
    }
    d->vars = t;
    d->cap = cap;
  }
  d->vars[d->n_vars++] = *v;
  memset(v, 0, sizeof *v);
  return LVM_OK;
}

/* ---- JSON value -> variable -------------------------------------------- */

typedef struct conv {
  const char *source;
  const char *name;
  lvm_msgs *msgs;
  lvm_data_var *v;
  size_t idx[LVM_DATA_MAX_DIMS];
  size_t pos;      /* next flat index */
  size_t n_errors; /* element errors in this variable */
  int fatal;       /* a ragged array: stop */
  lvm_status status;
} conv;

/* "x[2,3]" from the first `depth` indices of c->idx; "x" for depth 0. */
static void prefix_name(lvm_buf *b, const conv *c, int depth, int ones) {
  lvm_buf_puts(b, c->name);
  if (depth == 0) return;
  lvm_buf_putc(b, '[');
  for (int k = 0; k < depth; k++)
    lvm_buf_printf(b, k ? ",%zu" : "%zu", ones ? (size_t)1 : c->idx[k] + 1);
  lvm_buf_putc(b, ']');
}

static void conv_error(conv *c, const char *fmt, ...) LVM_PRINTF(2, 3);
static void conv_error(conv *c, const char *fmt, ...) {
  c->n_errors++;
  if (c->n_errors > LVM_DATA_MAX_ELEMENT_ERRORS) return;
  lvm_buf b;
  lvm_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  lvm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  lvm_status s = b.failed ? LVM_ENOMEM
                          : lvm_msgs_add(c->msgs, LVM_MSG_ERROR, c->source, "%s", b.s);
  if (s != LVM_OK) c->status = s;
  lvm_buf_free(&b);
}

static const char *json_kind(const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER:
  case JSON_REAL: return "a number";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  case JSON_NULL: return "null";
  }
  return "?";
}

static int nonfinite_string(const char *s, double *x) {
  if (!strcmp(s, "Inf") || !strcmp(s, "+Inf") || !strcmp(s, "Infinity") ||
      !strcmp(s, "+Infinity")) {
    *x = INFINITY;
    return 1;
  }
  if (!strcmp(s, "-Inf") || !strcmp(s, "-Infinity")) {
    *x = -INFINITY;
    return 1;
  }
  if (!strcmp(s, "NaN")) {
    *x = NAN;
    return 1;
  }
  return 0;
}

/* A leaf element at flat position c->pos, indices c->idx[0..ndim-1]. */
static void conv_leaf(conv *c, const json_t *j) {
  lvm_data_var *v = c->v;
  size_t at = c->pos++;
  double x = NAN;
  int is_real = 0;
  /* Fast path: a number. */
  if (json_is_real(j)) {
    x = json_real_value(j);
    if (v->first_real == NO_INDEX) v->first_real = at;
    v->values[at] = x;
    return;
  }
  if (json_is_integer(j)) {
    json_int_t k = json_integer_value(j);
    if (k <= ((json_int_t)1 << 53) && k >= -((json_int_t)1 << 53)) {
      v->values[at] = (double)k;
      return;
    }
  }
  lvm_buf who;
  lvm_buf_init(&who);
  if (v->ndim == 0) lvm_buf_printf(&who, "'%s' is", c->name);
  else {
    lvm_buf_printf(&who, "'%s': element ", c->name);
    prefix_name(&who, c, v->ndim, 0);
    lvm_buf_puts(&who, " is");
  }
  switch (json_typeof(j)) {
  case JSON_INTEGER: {
    json_int_t k = json_integer_value(j);
    if (k > ((json_int_t)1 << 53) || k < -((json_int_t)1 << 53)) {
      conv_error(c, "%s %" JSON_INTEGER_FORMAT ", an integer too large to be stored "
                 "exactly (the limit is 2^53 in magnitude)", who.s, k);
    }
    x = (double)k;
    break;
  }
  case JSON_REAL:
    x = json_real_value(j);
    is_real = 1;
    break;
  case JSON_STRING:
    if (nonfinite_string(json_string_value(j), &x)) {
      is_real = 1;
    } else {
      conv_error(c, "%s the string \"%s\" but a number was expected (the only "
                 "strings allowed are \"Inf\", \"-Inf\" and \"NaN\")",
                 who.s, json_string_value(j));
    }
    break;
  case JSON_NULL:
    if (!v->missing) {
      v->missing = calloc(v->size ? v->size : 1, 1);
      if (!v->missing) c->status = LVM_ENOMEM;
    }
    if (v->missing) v->missing[at] = 1;
    break;
  default:
    conv_error(c, "%s %s but a number was expected", who.s, json_kind(j));
    break;
  }
  if (is_real && v->first_real == NO_INDEX) v->first_real = at;
  v->values[at] = x;
  lvm_buf_free(&who);
}

static void conv_ragged(conv *c, int depth, const char *fmt, ...) LVM_PRINTF(3, 4);
static void conv_ragged(conv *c, int depth, const char *fmt, ...) {
  lvm_buf b;
  lvm_buf_init(&b);
  lvm_buf_printf(&b, "'%s': ragged array: ", c->name);
  prefix_name(&b, c, depth, 0);
  lvm_buf_putc(&b, ' ');
  va_list ap;
  va_start(ap, fmt);
  lvm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  lvm_buf_puts(&b, " but ");
  prefix_name(&b, c, depth, 1);
  if (depth < c->v->ndim)
    lvm_buf_printf(&b, " has %zu element%s", c->v->dims[depth],
                   c->v->dims[depth] == 1 ? "" : "s");
  else
    lvm_buf_puts(&b, " is a number");
  lvm_status s = b.failed ? LVM_ENOMEM
                          : lvm_msgs_add(c->msgs, LVM_MSG_ERROR, c->source, "%s", b.s);
  if (s != LVM_OK) c->status = s;
  lvm_buf_free(&b);
  c->fatal = 1;
}

static void conv_rec(conv *c, const json_t *j, int depth) {
  lvm_data_var *v = c->v;
  if (c->fatal) return;
  if (depth == v->ndim) {
    if (json_is_array(j)) {
      conv_ragged(c, depth, "is an array of %zu element%s", json_array_size(j),
                  json_array_size(j) == 1 ? "" : "s");
      return;
    }
    conv_leaf(c, j);
    return;
  }
  if (!json_is_array(j)) {
    conv_ragged(c, depth, "is %s", json_kind(j));
    return;
  }
  size_t n = json_array_size(j);
  if (n != v->dims[depth]) {
    conv_ragged(c, depth, "has %zu element%s", n, n == 1 ? "" : "s");
    return;
  }
  for (size_t i = 0; i < n && !c->fatal; i++) {
    c->idx[depth] = i;
    conv_rec(c, json_array_get(j, i), depth + 1);
  }
}

/* Convert one named JSON value.  Returns LVM_OK (and fills *v), LVM_EDATA or
 * LVM_ENOMEM. */
static lvm_status convert(const char *source, const char *name, const json_t *j,
                          lvm_data_var *v, lvm_msgs *msgs) {
  memset(v, 0, sizeof *v);
  v->first_real = NO_INDEX;
  const json_t *cur = j;
  size_t size = 1;
  while (json_is_array(cur)) {
    if (v->ndim == LVM_DATA_MAX_DIMS) {
      lvm_msgs_add(msgs, LVM_MSG_ERROR, source,
                   "'%s' has more than %d dimensions", name, LVM_DATA_MAX_DIMS);
      return LVM_EDATA;
    }
    size_t n = json_array_size(cur);
    v->dims[v->ndim++] = n;
    if (n && size > SIZE_MAX / sizeof(double) / n) {
      lvm_msgs_add(msgs, LVM_MSG_ERROR, source, "'%s' is too large", name);
      return LVM_EDATA;
    }
    size *= n;
    if (n == 0) break;
    cur = json_array_get(cur, 0);
  }
  v->size = size;
  v->name = lvm_io_strdup(name);
  v->source = lvm_io_strdup(source);
  v->values = malloc((size ? size : 1) * sizeof(double));
  if (!v->name || !v->source || !v->values) {
    var_free(v);
    LVM_ERROR("cannot allocate a data variable", LVM_ENOMEM);
  }
  conv c = {.source = source, .name = name, .msgs = msgs, .v = v};
  conv_rec(&c, j, 0);
  if (c.n_errors > LVM_DATA_MAX_ELEMENT_ERRORS)
    lvm_msgs_add(msgs, LVM_MSG_ERROR, source,
                 "'%s': %zu more elements with problems (only the first %d are listed)",
                 name, c.n_errors - LVM_DATA_MAX_ELEMENT_ERRORS,
                 LVM_DATA_MAX_ELEMENT_ERRORS);
  if (c.status == LVM_ENOMEM) {
    var_free(v);
    LVM_ERROR("cannot allocate a data variable", LVM_ENOMEM);
  }
  if (c.fatal || c.n_errors || c.status != LVM_OK) {
    var_free(v);
    return LVM_EDATA;
  }
  v->is_integer = v->first_real == NO_INDEX;
  return LVM_OK;
}

/* ---- A bump allocator for jansson's parse --------------------------------
 *
 * jansson allocates one json_t per number (and a growing table per array),
 * each with malloc, and frees them one by one: for a data file of 10^5
 * numbers that was most of reading it, much of it in page faults.  While
 * read_json parses and converts, jansson's allocation functions (global to
 * the process: json_set_alloc_funcs) take memory from large chunks (on
 * huge pages, lvm_alloc_large) and free nothing; the chunks are freed
 * after json_decref.  The arena is the calling
 * thread's: another thread that uses jansson meanwhile gets malloc and
 * free.  The previous functions are restored afterwards. */

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used; /* bytes, this header included */
} arena_chunk;

static _Thread_local arena_chunk *parse_arena;

/* Chunks of at most 16 MiB come from malloc's heap (lvm_mem_setup: below
 * its mmap threshold), which keeps them when they are freed, so the
 * state's arrays allocated after the parse reuse pages already mapped
 * instead of new ones (each new page costs a fault and the kernel's
 * zeroing). */
enum { ARENA_CHUNK_MAX = 16 << 20 };

static arena_chunk *chunk_map(size_t size, arena_chunk *next) {
  arena_chunk *c = lvm_alloc_large(size);
  if (!c) return NULL;
  c->next = next;
  c->size = size;
  c->used = (sizeof *c + 15) & ~(size_t)15;
  return c;
}

static void *arena_malloc(size_t n) {
  arena_chunk *c = parse_arena;
  if (!c) return malloc(n);
  n = (n + 15) & ~(size_t)15;
  if (n > c->size - c->used) {
    size_t size = 2 * c->size;
    if (size > ARENA_CHUNK_MAX) size = ARENA_CHUNK_MAX;
    if (size < n + 64) size = n + 64;
    arena_chunk *d = chunk_map(size, c);
    if (!d) return NULL;
    parse_arena = c = d;
  }
  void *p = (char *)c + c->used;
  c->used += n;
  return p;
}

static void arena_free(void *p) {
  if (!parse_arena) free(p); /* arena memory goes with its chunk */
}

/* Parse `text` with the arena: *saved_m, *saved_f get the previous
 * functions; the arena holds about 8 bytes of objects per byte of text. */
static json_t *arena_parse(const char *text, size_t len, json_error_t *e, json_malloc_t *saved_m,
                           json_free_t *saved_f) {
  json_get_alloc_funcs(saved_m, saved_f);
  size_t first = 8 * len + (1u << 16);
  parse_arena = chunk_map(first < ARENA_CHUNK_MAX ? first : ARENA_CHUNK_MAX, NULL);
  if (parse_arena) json_set_alloc_funcs(arena_malloc, arena_free);
  return json_loadb(text, len, JSON_REJECT_DUPLICATES, e);
}

/* json_decref(root), then the arena unmapped and jansson's functions
 * restored. */
static void arena_release(json_t *root, json_malloc_t saved_m, json_free_t saved_f) {
  if (root) json_decref(root);
  if (!parse_arena) return;
  json_set_alloc_funcs(saved_m, saved_f);
  for (arena_chunk *c = parse_arena, *n; c; c = n) {
    n = c->next;
    free(c);
  }
  parse_arena = NULL;
}

/* The fast reader's variables put into d (all of them; the array freed). */
static lvm_status put_fast(lvm_data *d, lvm_data_var *vars, size_t n) {
  lvm_status status = LVM_OK;
  for (size_t i = 0; i < n; i++) {
    if (status == LVM_OK) status = data_put(d, &vars[i]);
    else var_free(&vars[i]);
  }
  free(vars);
  return status;
}

/* padded: text has LVM_IO_PADDING readable bytes after len, and the fast
 * reader (json_fast.cpp) gets the first go */
static lvm_status read_json(lvm_data *d, const char *text, size_t len, int padded,
                            const char *source, lvm_msgs *msgs) {
  if (padded) {
    lvm_data_var *vars;
    size_t n;
    int r = lvm_json_fast_read(text, len, source, &vars, &n);
    if (r == LVM_FAST_NOMEM) LVM_ERROR("cannot allocate the data file's parse", LVM_ENOMEM);
    if (r == LVM_FAST_READ) return put_fast(d, vars, n);
  }
  json_error_t e;
  json_malloc_t saved_m;
  json_free_t saved_f;
  json_t *root = arena_parse(text, len, &e, &saved_m, &saved_f);
  if (!root) {
    arena_release(NULL, saved_m, saved_f);
    char where[64];
    snprintf(where, sizeof where, ":%d:%d", e.line, e.column);
    lvm_buf b;
    lvm_buf_init(&b);
    lvm_buf_printf(&b, "%s%s", source, e.line > 0 ? where : "");
    lvm_msgs_add(msgs, LVM_MSG_ERROR, b.s ? b.s : source,
                 "the file is not valid JSON: %s", e.text);
    lvm_buf_free(&b);
    return LVM_EDATA;
  }
  if (!json_is_object(root)) {
    lvm_msgs_add(msgs, LVM_MSG_ERROR, source,
                 "the data file must hold one JSON object, like "
                 "{\"N\": 3, \"x\": [1, 2, 3]}, but it holds %s",
                 json_kind(root));
    arena_release(root, saved_m, saved_f);
    return LVM_EDATA;
  }
  lvm_status status = LVM_OK;
  const char *key;
  json_t *value;
  json_object_foreach(root, key, value) {
    lvm_data_var v;
    lvm_status s = convert(source, key, value, &v, msgs);
    if (s == LVM_OK) s = data_put(d, &v);
    if (s == LVM_ENOMEM) {
      status = s;
      break;
    }
    if (s != LVM_OK) status = s;
  }
  arena_release(root, saved_m, saved_f);
  return status;
}

lvm_status lvm_data_read_string(lvm_data *d, const char *json,
                                const char *source, lvm_msgs *msgs) {
  if (!d || !json) LVM_ERROR("lvm_data_read_string: NULL argument", LVM_EINVAL);
  return read_json(d, json, strlen(json), 0, source ? source : "data", msgs);
}

lvm_status lvm_data_read_file(lvm_data *d, const char *path, lvm_msgs *msgs) {
  if (!d || !path) LVM_ERROR("lvm_data_read_file: NULL argument", LVM_EINVAL);
  size_t len = 0;
  int err = 0;
  /* the text, the parse's buffers and the state's arrays made from them: a
   * few times the file's size, on huge pages (lvm_mem_reserve) */
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
    lvm_mem_reserve((unsigned long long)sb.st_size < SIZE_MAX / 24 ? 24 * (size_t)sb.st_size : SIZE_MAX);
  char *text = lvm_io_slurp(path, &len, &err);
  if (!text) {
    if (err == ENOMEM) LVM_ERROR("cannot allocate the data file's text", LVM_ENOMEM);
    lvm_msgs_add(msgs, LVM_MSG_ERROR, path, "cannot read the data file: %s",
                 strerror(err));
    return LVM_EIO;
  }
  char *p = lvm_io_strdup(path);
  if (!p) {
    free(text);
    LVM_ERROR("cannot allocate", LVM_ENOMEM);
  }
  free(d->path);
  d->path = p;
  lvm_status s = read_json(d, text, len, 1, path, msgs);
  free(text);
  return s;
}

static int is_identifier(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    int digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return 0;
  }
  return 1;
}

lvm_status lvm_data_set(lvm_data *d, const char *assignment, lvm_msgs *msgs) {
  if (!d || !assignment) LVM_ERROR("lvm_data_set: NULL argument", LVM_EINVAL);
  const char *src = "--set";
  const char *eq = strchr(assignment, '=');
  if (!eq) {
    lvm_msgs_add(msgs, LVM_MSG_ERROR, src, "'%s': expected NAME=VALUE", assignment);
    return LVM_EDATA;
  }
  size_t nlen = (size_t)(eq - assignment);
  while (nlen && assignment[nlen - 1] == ' ') nlen--;
  const char *name0 = assignment;
  while (*name0 == ' ' && nlen) name0++, nlen--;
  if (!is_identifier(name0, nlen)) {
    lvm_msgs_add(msgs, LVM_MSG_ERROR, src,
                 "'%s': expected NAME=VALUE where NAME is a variable name", assignment);
    return LVM_EDATA;
  }
  char *name = malloc(nlen + 1);
  if (!name) LVM_ERROR("cannot allocate", LVM_ENOMEM);
  memcpy(name, name0, nlen);
  name[nlen] = '\0';
  const char *val = eq + 1;
  while (*val == ' ') val++;
  lvm_status s;
  if (!*val) {
    lvm_msgs_add(msgs, LVM_MSG_ERROR, src, "'%s': no value after '='", assignment);
    free(name);
    return LVM_EDATA;
  }
  double nf;
  json_t *j;
  json_error_t e;
  if (nonfinite_string(val, &nf)) j = json_string(val);
  else j = json_loads(val, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
  if (!j) {
    lvm_msgs_add(msgs, LVM_MSG_ERROR, src,
                 "'%s': the value is not a number or a JSON array (column %d: %s)",
                 assignment, e.column, e.text);
    free(name);
    return LVM_EDATA;
  }
  lvm_data_var v;
  s = convert(src, name, j, &v, msgs);
  if (s == LVM_OK) s = data_put(d, &v);
  json_decref(j);
  free(name);
  return s;
}

lvm_status lvm_data_add(lvm_data *d, const char *name, int ndim,
                        const size_t *dims, const double *values,
                        int is_integer, const unsigned char *missing) {
  if (!d || !name || ndim < 0 || ndim > LVM_DATA_MAX_DIMS || (ndim && !dims) ||
      !values)
    LVM_ERROR("lvm_data_add: invalid argument", LVM_EINVAL);
  lvm_data_var v;
  memset(&v, 0, sizeof v);
  v.ndim = ndim;
  v.size = 1;
  for (int k = 0; k < ndim; k++) {
    v.dims[k] = dims[k];
    v.size *= dims[k];
  }
  v.is_integer = is_integer != 0;
  v.first_real = NO_INDEX;
  v.name = lvm_io_strdup(name);
  v.source = lvm_io_strdup("(program)");
  v.values = malloc((v.size ? v.size : 1) * sizeof(double));
  int any_missing = 0;
  if (missing)
    for (size_t i = 0; i < v.size; i++) any_missing |= missing[i] != 0;
  if (any_missing) v.missing = malloc(v.size);
  if (!v.name || !v.source || !v.values || (any_missing && !v.missing)) {
    var_free(&v);
    LVM_ERROR("cannot allocate a data variable", LVM_ENOMEM);
  }
  memcpy(v.values, values, v.size * sizeof(double));
  for (size_t i = 0; i < v.size; i++) {
    if (v.missing) v.missing[i] = missing[i] != 0;
    if (v.missing && v.missing[i]) v.values[i] = NAN;
  }
  if (!v.is_integer) v.first_real = 0;
  return data_put(d, &v);
}

lvm_status lvm_data_write(const lvm_data *d, const char *path) {
  if (!d || !path) LVM_ERROR("lvm_data_write: NULL argument", LVM_EINVAL);
  lvm_jsonout *w = lvm_jsonout_open(path);
  if (!w) return LVM_EIO;
  lvm_jsonout_begin_object(w);
  for (size_t i = 0; i < d->n_vars; i++) {
    const lvm_data_var *v = &d->vars[i];
    lvm_jsonout_key(w, v->name);
    lvm_jsonout_array(w, v->ndim, v->dims, v->values, v->is_integer, v->missing);
  }
  lvm_jsonout_end_object(w);
  return lvm_jsonout_close(w);
}

/* ---- Checker ----------------------------------------------------------- */

typedef struct check {
  const lvm_data_var *v;
  const lvm_data_spec *spec;
  lvm_msgs *msgs;
  size_t n_errors; /* element-level problems in this variable */
  int full_ndim;
  size_t full_dims[LVM_DATA_MAX_DIMS + 2];
} check;

static void check_error(check *c, const char *fmt, ...) LVM_PRINTF(2, 3);
static void check_error(check *c, const char *fmt, ...) {
  c->n_errors++;
  if (c->n_errors > LVM_DATA_MAX_ELEMENT_ERRORS) return;
  lvm_buf b;
  lvm_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  lvm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  lvm_msgs_add(c->msgs, LVM_MSG_ERROR, c->v->source, "%s", b.s ? b.s : "?");
  lvm_buf_free(&b);
}

/* "'x': element x[3,2] is" or "'x' is" for a scalar. */
static void subject(lvm_buf *b, const check *c, size_t flat) {
  const lvm_data_var *v = c->v;
  if (v->ndim == 0) {
    lvm_buf_printf(b, "'%s' is", v->name);
    return;
  }
  lvm_buf_printf(b, "'%s': element ", v->name);
  lvm_io_element_name(b, v->name, v->ndim, v->dims, flat);
  lvm_buf_puts(b, " is");
}

static void fmt_value(char *buf, const lvm_data_var *v, double x) {
  if (isnan(x)) snprintf(buf, LVM_DBL_BUFSZ, "NaN");
  else if (isinf(x)) snprintf(buf, LVM_DBL_BUFSZ, x > 0 ? "Inf" : "-Inf");
  else if (v->is_integer) lvm_io_fmt_int(buf, x);
  else lvm_io_fmt_double(buf, x);
}

static void element_outside(check *c, size_t flat, double x) {
  lvm_buf b;
  lvm_buf_init(&b);
  char val[LVM_DBL_BUFSZ];
  fmt_value(val, c->v, x);
  subject(&b, c, flat);
  lvm_buf_printf(&b, " %s but %s is declared ", val, c->v->name);
  domain_describe(&b, c->spec->domain, c->spec->domain_arg);
  if (isnan(x)) lvm_buf_puts(&b, "; write null for a missing value");
  check_error(c, "%s", b.s ? b.s : "?");
  lvm_buf_free(&b);
}

static int value_ok(lvm_domain dom, size_t arg, double x) {
  int integral = isfinite(x) && x == floor(x);
  switch (dom) {
  case LVM_DOMAIN_REAL: return !isnan(x);
  case LVM_DOMAIN_POS: return isfinite(x) && x > 0;
  case LVM_DOMAIN_UNIT: return x > 0 && x < 1;
  case LVM_DOMAIN_INT: return integral;
  case LVM_DOMAIN_NAT: return integral && x >= 0;
  case LVM_DOMAIN_BIN: return x == 0 || x == 1;
  case LVM_DOMAIN_SPIN: return x == -1 || x == 1;
  case LVM_DOMAIN_CAT:
    return integral && x >= 1 && (arg == LVM_DIM_ANY || arg == 0 || x <= (double)arg);
  case LVM_DOMAIN_SIMPLEX: return isfinite(x) && x >= 0;
  case LVM_DOMAIN_VEC:
  case LVM_DOMAIN_SPD: return isfinite(x);
  }
  return 0;
}

static void shape_text(lvm_buf *b, int ndim, const size_t *dims) {
  lvm_buf_putc(b, '[');
  for (int k = 0; k < ndim; k++) {
    if (k) lvm_buf_puts(b, ", ");
    if (dims[k] == LVM_DIM_ANY) lvm_buf_putc(b, '*');
    else lvm_buf_printf(b, "%zu", dims[k]);
  }
  lvm_buf_putc(b, ']');
}

/* 1 if the shapes agree (LVM_DIM_ANY matches anything; an empty `[]` matches
 * any expected shape of size 0). */
static int shape_ok(const check *c) {
  const lvm_data_var *v = c->v;
  if (v->ndim == c->full_ndim) {
    int ok = 1;
    for (int k = 0; k < v->ndim; k++)
      if (c->full_dims[k] != LVM_DIM_ANY && c->full_dims[k] != v->dims[k]) ok = 0;
    if (ok) return 1;
  }
  if (v->ndim == 1 && v->dims[0] == 0 && c->full_ndim > 0) {
    for (int k = 0; k < c->full_ndim; k++)
      if (c->full_dims[k] == 0) return 1;
  }
  return 0;
}

/* Cholesky of a D x D matrix (row-major); returns 0 if positive definite,
 * else the 1-based column where it fails. */
static size_t cholesky_fails(const double *a, size_t D, double *L) {
  for (size_t j = 0; j < D; j++) {
    double s = a[j * D + j];
    for (size_t k = 0; k < j; k++) s -= L[j * D + k] * L[j * D + k];
    if (!(s > 0) || !isfinite(s)) return j + 1;
    double ljj = sqrt(s);
    L[j * D + j] = ljj;
    for (size_t i = j + 1; i < D; i++) {
      double t = a[i * D + j];
      for (size_t k = 0; k < j; k++) t -= L[i * D + k] * L[j * D + k];
      L[i * D + j] = t / ljj;
    }
  }
  return 0;
}

/* "S[2]" (the block index prefix) or "S" for a single block. */
static void block_name(lvm_buf *b, const check *c, size_t block, int outer_ndim) {
  lvm_io_element_name(b, c->v->name, outer_ndim, c->v->dims, block);
}

static void check_blocks(check *c, int outer_ndim, size_t inner) {
  const lvm_data_var *v = c->v;
  const lvm_data_spec *sp = c->spec;
  size_t n_blocks = inner ? v->size / inner : 0;
  double *L = NULL;
  if (sp->domain == LVM_DOMAIN_SPD && inner) {
    L = malloc(inner * sizeof *L);
    if (!L) {
      lvm_msgs_add(c->msgs, LVM_MSG_ERROR, v->source,
                   "'%s': out of memory checking the matrices", v->name);
      c->n_errors++;
      return;
    }
  }
  for (size_t b = 0; b < n_blocks; b++) {
    const double *x = v->values + b * inner;
    int skip = 0;
    for (size_t i = 0; i < inner; i++) {
      if (v->missing && v->missing[b * inner + i]) skip = 1;
      if (!value_ok(sp->domain, sp->domain_arg, x[i])) skip = 1; /* reported */
    }
    if (skip) continue;
    lvm_buf who;
    lvm_buf_init(&who);
    if (outer_ndim == 0) lvm_buf_printf(&who, "'%s'", v->name);
    else {
      lvm_buf_printf(&who, "'%s': ", v->name);
      block_name(&who, c, b, outer_ndim);
    }
    if (sp->domain == LVM_DOMAIN_SIMPLEX) {
      double sum = 0;
      for (size_t i = 0; i < inner; i++) sum += x[i];
      if (!(fabs(sum - 1) <= 1e-8)) {
        char val[LVM_DBL_BUFSZ];
        lvm_io_fmt_double(val, sum);
        check_error(c, "%s sums to %s but %s is declared simplex(%zu): %s must sum to 1 "
                    "(within 1e-8)", who.s, val, v->name, inner,
                    outer_ndim ? "each row" : "its elements");
      }
    } else if (sp->domain == LVM_DOMAIN_SPD) {
      size_t D = v->dims[v->ndim - 1];
      int sym = 1;
      for (size_t i = 0; i < D && sym; i++)
        for (size_t j = i + 1; j < D && sym; j++) {
          double a = x[i * D + j], t = x[j * D + i];
          double scale = fmax(1.0, fmax(fabs(a), fabs(t)));
          if (!(fabs(a - t) <= 1e-8 * scale)) {
            sym = 0;
            char va[LVM_DBL_BUFSZ], vt[LVM_DBL_BUFSZ];
            fmt_value(va, v, a);
            fmt_value(vt, v, t);
            lvm_buf e1, e2;
            lvm_buf_init(&e1);
            lvm_buf_init(&e2);
            lvm_io_element_name(&e1, v->name, v->ndim, v->dims, b * inner + i * D + j);
            lvm_io_element_name(&e2, v->name, v->ndim, v->dims, b * inner + j * D + i);
            check_error(c, "%s is not symmetric positive definite: it is not "
                        "symmetric (%s is %s but %s is %s)",
                        who.s, e1.s, va, e2.s, vt);
            lvm_buf_free(&e1);
            lvm_buf_free(&e2);
          }
        }
      size_t col;
      if (sym && (col = cholesky_fails(x, D, L)) != 0)
        check_error(c, "%s is not symmetric positive definite: its Cholesky "
                    "factorisation fails at column %zu", who.s, col);
    }
    lvm_buf_free(&who);
  }
  free(L);
}

static void check_var(check *c) {
  const lvm_data_var *v = c->v;
  const lvm_data_spec *sp = c->spec;
  lvm_buf b;
  lvm_buf_init(&b);
  /* Shape. */
  if (!shape_ok(c)) {
    if (c->full_ndim == 0) lvm_buf_puts(&b, "a single value");
    else {
      lvm_buf_puts(&b, "shape ");
      shape_text(&b, c->full_ndim, c->full_dims);
    }
    lvm_buf_puts(&b, " but the file has ");
    if (v->ndim == 0) lvm_buf_puts(&b, "a single value");
    else shape_text(&b, v->ndim, v->dims);
    if (lvm_domain_ndim(sp->domain) > 0 && sp->domain_arg && sp->domain_arg != LVM_DIM_ANY)
      lvm_buf_printf(&b, " (%s(%zu) adds the last %s)", lvm_domain_name(sp->domain),
                     sp->domain_arg,
                     lvm_domain_ndim(sp->domain) == 1 ? "dimension" : "two dimensions");
    lvm_msgs_add(c->msgs, LVM_MSG_ERROR, v->source, "'%s': expected %s", v->name,
                 b.s ? b.s : "?");
    lvm_buf_free(&b);
    c->n_errors++;
    return;
  }
  lvm_buf_free(&b);
  /* Integers written as reals (when the values are integral: non-integral
   * values get an element message below). */
  if (lvm_domain_is_discrete(sp->domain) && v->first_real != NO_INDEX) {
    double x = v->values[v->first_real];
    if (isfinite(x) && x == floor(x)) {
      char val[LVM_DBL_BUFSZ];
      lvm_io_fmt_double(val, x);
      if (v->ndim == 0) {
        check_error(c, "'%s' must be an integer, but the file writes it as a real "
                    "number (%s); write integers without a decimal point or exponent",
                    v->name, val);
      } else {
        lvm_buf e;
        lvm_buf_init(&e);
        lvm_io_element_name(&e, v->name, v->ndim, v->dims, v->first_real);
        check_error(c, "'%s' must hold integers, but the file writes %s as a real "
                    "number (%s); write integers without a decimal point or exponent",
                    v->name, e.s ? e.s : "?", val);
        lvm_buf_free(&e);
      }
    }
  }
  /* Elements. */
  for (size_t i = 0; i < v->size; i++) {
    if (v->missing && v->missing[i]) {
      if (!(sp->flags & LVM_SPEC_MISSING_OK)) {
        lvm_buf_init(&b);
        subject(&b, c, i);
        check_error(c, "%s null (missing) but %s must be given in full", b.s ? b.s : "?",
                    v->name);
        lvm_buf_free(&b);
      }
      continue;
    }
    if (!value_ok(sp->domain, sp->domain_arg, v->values[i])) element_outside(c, i, v->values[i]);
  }
  /* Rows of a simplex, matrices of spd. */
  int dn = lvm_domain_ndim(sp->domain);
  if (sp->domain == LVM_DOMAIN_SIMPLEX || sp->domain == LVM_DOMAIN_SPD) {
    size_t inner = 1;
    for (int k = v->ndim - dn; k < v->ndim; k++) inner *= v->dims[k];
    if (v->ndim >= dn) check_blocks(c, v->ndim - dn, inner);
  }
  if (c->n_errors > LVM_DATA_MAX_ELEMENT_ERRORS)
    lvm_msgs_add(c->msgs, LVM_MSG_ERROR, v->source,
                 "'%s': %zu more problems (only the first %d are listed)", v->name,
                 c->n_errors - LVM_DATA_MAX_ELEMENT_ERRORS, LVM_DATA_MAX_ELEMENT_ERRORS);
}

lvm_status lvm_data_check(const lvm_data *d, const lvm_data_spec *specs,
                          size_t n_specs, lvm_msgs *msgs) {
  if (!d || (n_specs && !specs)) LVM_ERROR("lvm_data_check: NULL argument", LVM_EINVAL);
  size_t errors = 0;
  for (size_t s = 0; s < n_specs; s++) {
    const lvm_data_spec *sp = &specs[s];
    if (!sp->name || sp->ndim < 0 || sp->ndim > LVM_DATA_MAX_DIMS)
      LVM_ERROR("lvm_data_check: invalid spec", LVM_EINVAL);
    const lvm_data_var *v = lvm_data_find(d, sp->name);
    if (!v) {
      if (sp->flags & LVM_SPEC_REQUIRED) {
        errors++;
        if (d->path)
          lvm_msgs_add(msgs, LVM_MSG_ERROR, d->path, "'%s' is missing from the data file",
                       sp->name);
        else
          lvm_msgs_add(msgs, LVM_MSG_ERROR, NULL,
                       "'%s' is not given: pass a data file (--data FILE) or --set %s=VALUE",
                       sp->name, sp->name);
      }
      continue;
    }
    check c = {.v = v, .spec = sp, .msgs = msgs};
    c.full_ndim = sp->ndim;
    for (int k = 0; k < sp->ndim; k++) c.full_dims[k] = sp->dims[k];
    for (int k = 0; k < lvm_domain_ndim(sp->domain); k++)
      c.full_dims[c.full_ndim++] = sp->domain_arg ? sp->domain_arg : LVM_DIM_ANY;
    check_var(&c);
    errors += c.n_errors;
  }
  for (size_t i = 0; i < d->n_vars; i++) {
    int known = 0;
    for (size_t s = 0; s < n_specs && !known; s++)
      known = strcmp(specs[s].name, d->vars[i].name) == 0;
    if (!known)
      lvm_msgs_add(msgs, LVM_MSG_WARNING, d->vars[i].source,
                   "'%s' is not a variable of the model; it is ignored", d->vars[i].name);
  }
  return errors ? LVM_EDATA : LVM_OK;
}
