/* The fast reader of data files: simdjson's DOM parser (Debian's
 * libsimdjson, Apache-2.0), for the files that read without a problem.
 *
 * jansson parses a data file of 10^5 numbers in 40-90 ms on this project's
 * machines (a json_t and a strtod per number); simdjson parses the same
 * file in 4-6 ms (bench: runtime-io.md).  This reader turns the file into
 * variables exactly as data.c's conversion of jansson's tree does (the same
 * shapes, values to the bit, integer/real flags, missing elements), and
 * declines everything else: a parse error, a duplicate key, a key with a
 * NUL, an element that is not a number, null or "Inf"/"-Inf"/"NaN", an
 * integer beyond 2^53 in magnitude, a ragged array, more than
 * LVM_DATA_MAX_DIMS dimensions, a size that overflows.  data.c then parses
 * the file with jansson, which says what is wrong in the words of
 * docs/runtime-io.md; so the messages are one code's, and this file only
 * ever reads correct files (tests/unit/io/test_io_data.c reads every case
 * both ways and compares the bits).  No exceptions: simdjson's error codes.
 */
#define SIMDJSON_EXCEPTIONS 0
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern "C" {
#include "io_util.h"
#include "json_fast.h"
}

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kNoIndex = (size_t)-1;

enum Outcome { OK, DECLINE, NOMEM };

struct Conv {
  lvm_data_var *v;
  size_t pos;
};

/* the elements of an array (size() saturates at 2^24 - 1) */
size_t array_size(simdjson::dom::array a) {
  size_t n = a.size();
  if (n < 0xFFFFFF) return n;
  n = 0;
  for (element e : a) {
    (void)e;
    n++;
  }
  return n;
}

bool nonfinite(std::string_view s, double *x) {
  if (s == "Inf" || s == "+Inf" || s == "Infinity" || s == "+Infinity") {
    *x = INFINITY;
    return true;
  }
  if (s == "-Inf" || s == "-Infinity") {
    *x = -INFINITY;
    return true;
  }
  if (s == "NaN") {
    *x = NAN;
    return true;
  }
  return false;
}

/* data.c's conv_leaf for the elements it accepts */
Outcome leaf(Conv *c, element j) {
  lvm_data_var *v = c->v;
  size_t at = c->pos++;
  switch (j.type()) {
  case element_type::DOUBLE: {
    double x = 0;
    if (j.get_double().get(x)) return DECLINE;
    if (v->first_real == kNoIndex) v->first_real = at;
    v->values[at] = x;
    return OK;
  }
  case element_type::INT64: {
    int64_t k = 0;
    if (j.get_int64().get(k)) return DECLINE;
    if (k > ((int64_t)1 << 53) || k < -((int64_t)1 << 53)) return DECLINE;
    v->values[at] = (double)k;
    return OK;
  }
  case element_type::STRING: {
    std::string_view s;
    double x = 0;
    if (j.get_string().get(s) || !nonfinite(s, &x)) return DECLINE;
    if (v->first_real == kNoIndex) v->first_real = at;
    v->values[at] = x;
    return OK;
  }
  case element_type::NULL_VALUE:
    if (!v->missing) {
      v->missing = (unsigned char *)calloc(v->size ? v->size : 1, 1);
      if (!v->missing) return NOMEM;
    }
    v->missing[at] = 1;
    v->values[at] = NAN;
    return OK;
  default:
    return DECLINE;
  }
}

Outcome rec(Conv *c, element j, int depth) {
  lvm_data_var *v = c->v;
  if (depth == v->ndim) return j.type() == element_type::ARRAY ? DECLINE : leaf(c, j);
  if (j.type() != element_type::ARRAY) return DECLINE;
  simdjson::dom::array a = j.get_array().value_unsafe();
  if (array_size(a) != v->dims[depth]) return DECLINE;
  for (element e : a) {
    Outcome o = rec(c, e, depth + 1);
    if (o != OK) return o;
  }
  return OK;
}

void var_free(lvm_data_var *v) {
  free(v->name);
  free(v->source);
  free(v->values);
  free(v->missing);
  memset(v, 0, sizeof *v);
}

/* data.c's convert for the values it accepts */
Outcome convert(const char *source, std::string_view name, element j, lvm_data_var *v) {
  memset(v, 0, sizeof *v);
  v->first_real = kNoIndex;
  if (memchr(name.data(), 0, name.size())) return DECLINE;
  element cur = j;
  size_t size = 1;
  while (cur.type() == element_type::ARRAY) {
    if (v->ndim == LVM_DATA_MAX_DIMS) return DECLINE;
    simdjson::dom::array a = cur.get_array().value_unsafe();
    size_t n = array_size(a);
    v->dims[v->ndim++] = n;
    if (n && size > SIZE_MAX / sizeof(double) / n) return DECLINE;
    size *= n;
    if (n == 0) break;
    cur = *a.begin();
  }
  v->size = size;
  v->name = (char *)malloc(name.size() + 1);
  v->source = lvm_io_strdup(source);
  v->values = (double *)malloc((size ? size : 1) * sizeof(double));
  if (!v->name || !v->source || !v->values) {
    var_free(v);
    return NOMEM;
  }
  memcpy(v->name, name.data(), name.size());
  v->name[name.size()] = '\0';
  Conv c = {v, 0};
  Outcome o = rec(&c, j, 0);
  if (o != OK) {
    var_free(v);
    return o;
  }
  v->is_integer = v->first_real == kNoIndex;
  return OK;
}

bool fast_reader_off() {
  const char *e = getenv("LVM_DATA_READER");
  return e && !strcmp(e, "jansson");
}

}  // namespace

extern "C" int lvm_json_fast_read(const char *text, size_t len, const char *source,
                                  lvm_data_var **vars_out, size_t *n_out) {
  *vars_out = NULL;
  *n_out = 0;
  if (fast_reader_off()) return LVM_FAST_DECLINED;
  simdjson::dom::parser parser;
  element root;
  /* text has SIMDJSON_PADDING readable bytes after len (lvm_io_slurp) */
  simdjson::error_code err = parser.parse(text, len, false).get(root);
  if (err == simdjson::MEMALLOC) return LVM_FAST_NOMEM;
  if (err || root.type() != element_type::OBJECT) return LVM_FAST_DECLINED;
  simdjson::dom::object obj = root.get_object().value_unsafe();
  size_t nkeys = obj.size();
  if (nkeys == 0xFFFFFF) {
    nkeys = 0;
    for (auto f : obj) {
      (void)f;
      nkeys++;
    }
  }
  /* duplicate keys: jansson (JSON_REJECT_DUPLICATES) reports them */
  std::string_view *keys = (std::string_view *)malloc((nkeys ? nkeys : 1) * sizeof *keys);
  lvm_data_var *vars = (lvm_data_var *)calloc(nkeys ? nkeys : 1, sizeof *vars);
  if (!keys || !vars) {
    free(keys);
    free(vars);
    return LVM_FAST_NOMEM;
  }
  size_t n = 0;
  for (auto f : obj) new (&keys[n++]) std::string_view(f.key);
  std::sort(keys, keys + n);
  bool dup = std::adjacent_find(keys, keys + n) != keys + n;
  free(keys);
  if (dup) {
    free(vars);
    return LVM_FAST_DECLINED;
  }
  Outcome o = OK;
  n = 0;
  for (auto f : obj) {
    o = convert(source, f.key, f.value, &vars[n]);
    if (o != OK) break;
    n++;
  }
  if (o != OK) {
    for (size_t i = 0; i < n; i++) var_free(&vars[i]);
    free(vars);
    return o == NOMEM ? LVM_FAST_NOMEM : LVM_FAST_DECLINED;
  }
  *vars_out = vars;
  *n_out = n;
  return LVM_FAST_READ;
}
