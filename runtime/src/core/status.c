/* Status codes and the error hook (see lvm/status.h). */
#include "lvm/status.h"

#include <stdio.h>

static const char *const messages[] = {
  [LVM_OK] = "success",
  [LVM_EINVAL] = "invalid argument",
  [LVM_EDOM] = "value outside the domain",
  [LVM_ERANGE] = "result out of range",
  [LVM_ENOMEM] = "out of memory",
  [LVM_ENOTPD] = "matrix is not positive definite",
  [LVM_EIO] = "input/output error",
  [LVM_EDATA] = "bad data",
  [LVM_EUSAGE] = "bad usage",
  [LVM_EINTR] = "interrupted",
  [LVM_ENUMERIC] = "numerical failure",
  [LVM_EINTERNAL] = "internal error (a bug in lvmc)",
};

const char *lvm_strerror(int status) {
  if (status < 0 || status >= (int)(sizeof messages / sizeof messages[0]))
    return "unknown status";
  return messages[status];
}

static void default_handler(const char *reason, const char *file, int line,
                            int status) {
  fprintf(stderr, "lvm: %s:%d: %s (%s)\n", file, line, reason,
          lvm_strerror(status));
}

void lvm_error_handler_silent(const char *reason, const char *file, int line,
                              int status) {
  (void)reason, (void)file, (void)line, (void)status;
}

static lvm_error_handler current = default_handler;

lvm_error_handler lvm_set_error_handler(lvm_error_handler handler) {
  lvm_error_handler old = current;
  current = handler ? handler : default_handler;
  return old;
}

void lvm_error(const char *reason, const char *file, int line, int status) {
  current(reason, file, line, status);
}
