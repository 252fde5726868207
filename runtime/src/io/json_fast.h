/* json_fast.h — the fast reader of data files (json_fast.cpp; not
 * installed).  Used by data.c before jansson. */
#ifndef LVM_JSON_FAST_H
#define LVM_JSON_FAST_H

#include <stddef.h>

#include "lvm/data.h"

enum {
  LVM_FAST_READ = 1,     /* *vars: *n variables, each owning its memory */
  LVM_FAST_DECLINED = 0, /* not read: parse with jansson (nothing allocated) */
  LVM_FAST_NOMEM = -1
};

/* Read the JSON object in text[0, len) (followed by LVM_IO_PADDING readable
 * bytes) into variables, as data.c's conversion of jansson's tree would,
 * or decline.  LVM_DATA_READER=jansson in the environment: always decline. */
int lvm_json_fast_read(const char *text, size_t len, const char *source, lvm_data_var **vars,
                       size_t *n);

#endif
