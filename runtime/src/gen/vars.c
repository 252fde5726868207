/* The generic state of a compiled model (see lvm/vars.h). */
#include "lvm/vars.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/mem.h"

static size_t var_len(const lvm_vars *st, int k) {
  const lvm_var_desc *d = &st->desc->vars[k];
  size_t n = 1;
  for (int i = 0; i < d->ndim; i++) {
    long long s = st->n[d->dim[i]];
    n *= s > 0 ? (size_t)s : 0;
  }
  return n;
}

void lvm_vars_free(lvm_vars *st) {
  if (!st || !st->desc) return;
  for (int k = 0; k < st->desc->n_vars; k++) {
    if (st->v) free(st->v[k]);
    if (st->missing) free(st->missing[k]);
  }
  for (int i = 0; i < st->n_scratch; i++) free(st->scratch[i]);
  free(st->scratch);
  free(st->scratch_len);
  free(st->v);
  free(st->len);
  free(st->missing);
  free(st->latent);
  free(st->hidden);
  free(st->vi_h);
  free(st->vi_h_ok);
  free(st->n);
  memset(st, 0, sizeof *st);
}

static lvm_status alloc_tables(lvm_vars *st, const lvm_vars_desc *desc) {
  memset(st, 0, sizeof *st);
  st->desc = desc;
  int nv = desc->n_vars > 0 ? desc->n_vars : 1;
  int ns = desc->n_sizes > 0 ? desc->n_sizes : 1;
  st->v = calloc((size_t)nv, sizeof *st->v);
  st->len = calloc((size_t)nv, sizeof *st->len);
  st->missing = calloc((size_t)nv, sizeof *st->missing);
  st->latent = calloc((size_t)nv, 1);
  st->hidden = calloc((size_t)nv, 1);
  st->vi_h = calloc((size_t)nv, sizeof *st->vi_h);
  st->vi_h_ok = calloc((size_t)nv, 1);
  st->n = calloc((size_t)ns, sizeof *st->n);
  if (!st->v || !st->len || !st->missing || !st->latent || !st->hidden || !st->vi_h || !st->vi_h_ok ||
      !st->n) {
    lvm_vars_free(st);
    LVM_ERROR("out of memory for the model state", LVM_ENOMEM);
  }
  return LVM_OK;
}

/* The value of scalar integer variable `var` (data or default). */
static int scalar_int(const lvm_vars_desc *desc, const lvm_data *data, int var, long long *out) {
  const lvm_var_desc *d = &desc->vars[var];
  const lvm_data_var *dv = data ? lvm_data_find(data, d->name) : NULL;
  if (dv && dv->ndim == 0 && !(dv->missing && dv->missing[0])) {
    double x = dv->values[0];
    if (x != floor(x) || !isfinite(x)) return 0;
    *out = (long long)x;
    return 1;
  }
  if (!dv && d->has_default) {
    *out = (long long)d->default_value;
    return 1;
  }
  return 0;
}

lvm_status lvm_vars_setup(lvm_vars *st, const lvm_vars_desc *desc, const lvm_data *data,
                          lvm_msgs *msgs) {
  lvm_status s = alloc_tables(st, desc);
  if (s) return s;
  int bad = 0;
  /* sizes */
  for (int j = 0; j < desc->n_sizes; j++) {
    const lvm_size_desc *z = &desc->sizes[j];
    long long v = z->value;
    if (z->var >= 0) {
      if (!scalar_int(desc, data, z->var, &v)) {
        lvm_msgs_add(msgs, LVM_MSG_ERROR, data && data->path ? data->path : "data",
                     "the size '%s' needs '%s', an integer the data file must give",
                     z->text, desc->vars[z->var].name);
        bad = 1;
        continue;
      }
      v += z->add;
    }
    if (v < 0) {
      lvm_msgs_add(msgs, LVM_MSG_ERROR, data && data->path ? data->path : "data",
                   "the size '%s' is %lld; sizes must be at least 0", z->text, v);
      bad = 1;
      v = 0;
    }
    st->n[j] = v;
  }
  if (bad) {
    lvm_vars_free(st);
    return LVM_EDATA;
  }
  /* check the data against the declarations */
  lvm_data_spec *specs = calloc((size_t)(desc->n_vars ? desc->n_vars : 1), sizeof *specs);
  if (!specs) {
    lvm_vars_free(st);
    LVM_ERROR("out of memory", LVM_ENOMEM);
  }
  size_t nspec = 0;
  for (int k = 0; k < desc->n_vars; k++) {
    const lvm_var_desc *d = &desc->vars[k];
    const lvm_data_var *dv = data ? lvm_data_find(data, d->name) : NULL;
    if (d->kind == LVM_VK_DETERMINISTIC && dv) {
      lvm_msgs_add(msgs, LVM_MSG_ERROR, data->path ? data->path : "data",
                   "'%s' is computed by '=' in the model and cannot be given in the data file",
                   d->name);
      bad = 1;
      continue;
    }
    if (d->kind == LVM_VK_DETERMINISTIC || (d->kind == LVM_VK_RANDOM && !dv)) continue;
    lvm_data_spec *sp = &specs[nspec++];
    sp->name = d->name;
    sp->domain = d->domain;
    sp->domain_arg = d->domain_arg >= 0 ? (size_t)st->n[d->domain_arg] : 0;
    int own = lvm_domain_ndim(d->domain);
    sp->ndim = d->ndim - own;
    for (int i = 0; i < sp->ndim; i++) sp->dims[i] = (size_t)st->n[d->dim[i]];
    sp->flags = d->kind == LVM_VK_RANDOM ? LVM_SPEC_MISSING_OK
                : (d->kind == LVM_VK_DATA && !d->has_default) ? LVM_SPEC_REQUIRED : 0;
  }
  if (data && lvm_data_check(data, specs, nspec, msgs) != LVM_OK) bad = 1;
  free(specs);
  if (bad) {
    lvm_vars_free(st);
    return LVM_EDATA;
  }
  /* allocate and copy */
  for (int k = 0; k < desc->n_vars; k++) {
    const lvm_var_desc *d = &desc->vars[k];
    size_t n = var_len(st, k);
    st->len[k] = n;
    st->v[k] = lvm_calloc_large(n ? n : 1, d->is_int ? sizeof(int64_t) : sizeof(double));
    if (!st->v[k]) {
      lvm_vars_free(st);
      LVM_ERROR("out of memory for the model's arrays", LVM_ENOMEM);
    }
    const lvm_data_var *dv = data ? lvm_data_find(data, d->name) : NULL;
    if (d->kind == LVM_VK_DETERMINISTIC) {
      st->latent[k] = 1;
      continue;
    }
    if (!dv) {
      if (d->kind == LVM_VK_RANDOM) st->latent[k] = 1;
      else if (d->has_default) {
        if (d->is_int) lvm_vars_i(st, k)[0] = (int64_t)d->default_value;
        else lvm_vars_f(st, k)[0] = d->default_value;
      }
      continue;
    }
    size_t nmiss = 0;
    for (size_t e = 0; e < n && e < dv->size; e++) {
      int miss = dv->missing && dv->missing[e];
      nmiss += (size_t)miss;
      if (miss) continue;
      if (d->is_int) lvm_vars_i(st, k)[e] = (int64_t)dv->values[e];
      else lvm_vars_f(st, k)[e] = dv->values[e];
    }
    if (d->kind == LVM_VK_RANDOM && nmiss == n) st->latent[k] = 1;
    else if (nmiss > 0) {
      st->missing[k] = malloc(n);
      if (!st->missing[k]) {
        lvm_vars_free(st);
        LVM_ERROR("out of memory", LVM_ENOMEM);
      }
      memcpy(st->missing[k], dv->missing, n);
    }
  }
  return LVM_OK;
}

lvm_status lvm_vars_clone(lvm_vars *dst, const lvm_vars *src) {
  lvm_status s = alloc_tables(dst, src->desc);
  if (s) return s;
  const lvm_vars_desc *desc = src->desc;
  memcpy(dst->n, src->n, sizeof *src->n * (size_t)(desc->n_sizes ? desc->n_sizes : 1));
  memcpy(dst->latent, src->latent, (size_t)(desc->n_vars ? desc->n_vars : 1));
  memcpy(dst->hidden, src->hidden, (size_t)(desc->n_vars ? desc->n_vars : 1));
  memcpy(dst->vi_h, src->vi_h, sizeof *src->vi_h * (size_t)(desc->n_vars ? desc->n_vars : 1));
  memcpy(dst->vi_h_ok, src->vi_h_ok, (size_t)(desc->n_vars ? desc->n_vars : 1));
  for (int k = 0; k < desc->n_vars; k++) {
    size_t bytes = (src->len[k] ? src->len[k] : 1) *
                   (desc->vars[k].is_int ? sizeof(int64_t) : sizeof(double));
    dst->len[k] = src->len[k];
    dst->v[k] = lvm_alloc_large(bytes);
    if (!dst->v[k]) {
      lvm_vars_free(dst);
      LVM_ERROR("out of memory", LVM_ENOMEM);
    }
    memcpy(dst->v[k], src->v[k], bytes);
    if (src->missing[k]) {
      dst->missing[k] = malloc(src->len[k]);
      if (!dst->missing[k]) {
        lvm_vars_free(dst);
        LVM_ERROR("out of memory", LVM_ENOMEM);
      }
      memcpy(dst->missing[k], src->missing[k], src->len[k]);
    }
  }
  return LVM_OK;
}

static int is_output(const lvm_var_desc *d) {
  return d->kind == LVM_VK_RANDOM || d->kind == LVM_VK_DETERMINISTIC;
}

/* Output only what is not fully given by the data. */
static int outputs(const lvm_vars *st, int k) {
  return is_output(&st->desc->vars[k]) && (st->latent[k] || st->missing[k]) && !st->hidden[k];
}

lvm_status lvm_vars_exclude(lvm_vars *st, const char *name) {
  for (int k = 0; k < st->desc->n_vars; k++)
    if (is_output(&st->desc->vars[k]) && !strcmp(st->desc->vars[k].name, name)) {
      st->hidden[k] = 1;
      return LVM_OK;
    }
  return LVM_EINVAL;
}

lvm_status lvm_vars_columns(const lvm_vars *st, lvm_csv_names *names) {
  for (int k = 0; k < st->desc->n_vars; k++) {
    if (!outputs(st, k)) continue;
    const lvm_var_desc *d = &st->desc->vars[k];
    size_t dims[LVM_VARS_MAX_DIMS];
    for (int i = 0; i < d->ndim; i++) dims[i] = (size_t)st->n[d->dim[i]];
    lvm_status s = lvm_csv_names_add(names, d->name, d->ndim, dims, d->is_int);
    if (s) return s;
  }
  return LVM_OK;
}

size_t lvm_vars_row_length(const lvm_vars *st) {
  size_t n = 0;
  for (int k = 0; k < st->desc->n_vars; k++)
    if (outputs(st, k)) n += st->len[k];
  return n;
}

void lvm_vars_write_row(const lvm_vars *st, double *row) {
  size_t j = 0;
  for (int k = 0; k < st->desc->n_vars; k++) {
    if (!outputs(st, k)) continue;
    if (st->desc->vars[k].is_int)
      for (size_t e = 0; e < st->len[k]; e++) row[j++] = (double)lvm_vars_i(st, k)[e];
    else
      for (size_t e = 0; e < st->len[k]; e++) row[j++] = lvm_vars_f(st, k)[e];
  }
}

lvm_status lvm_vars_set_from(lvm_vars *st, const lvm_data *init, lvm_msgs *msgs) {
  int bad = 0;
  for (int k = 0; k < st->desc->n_vars; k++) {
    const lvm_var_desc *d = &st->desc->vars[k];
    if (d->kind != LVM_VK_RANDOM) continue;
    const lvm_data_var *dv = lvm_data_find(init, d->name);
    if (!dv) continue;
    if (dv->size != st->len[k]) {
      lvm_msgs_add(msgs, LVM_MSG_ERROR, init->path ? init->path : "init",
                   "'%s' has %zu elements in the init file but the model has %zu", d->name,
                   dv->size, st->len[k]);
      bad = 1;
      continue;
    }
    for (size_t e = 0; e < st->len[k]; e++) {
      if ((dv->missing && dv->missing[e]) || !lvm_vars_free_elem(st, k, e)) continue;
      if (d->is_int) lvm_vars_i(st, k)[e] = (int64_t)dv->values[e];
      else lvm_vars_f(st, k)[e] = dv->values[e];
    }
  }
  return bad ? LVM_EDATA : LVM_OK;
}

lvm_status lvm_vars_to_data(const lvm_vars *st, lvm_data *out) {
  for (int k = 0; k < st->desc->n_vars; k++) {
    const lvm_var_desc *d = &st->desc->vars[k];
    size_t dims[LVM_VARS_MAX_DIMS];
    for (int i = 0; i < d->ndim; i++) dims[i] = (size_t)st->n[d->dim[i]];
    double *vals = malloc((st->len[k] ? st->len[k] : 1) * sizeof(double));
    if (!vals) LVM_ERROR("out of memory", LVM_ENOMEM);
    for (size_t e = 0; e < st->len[k]; e++)
      vals[e] = d->is_int ? (double)lvm_vars_i(st, k)[e] : lvm_vars_f(st, k)[e];
    lvm_status s = lvm_data_add(out, d->name, d->ndim, dims, vals, d->is_int, NULL);
    free(vals);
    if (s) return s;
  }
  return LVM_OK;
}
