/* lvm/status.h — status codes and the error hook of the lvmc runtime.
 *
 * Every runtime function that can fail returns an lvm_status (0 = success).
 * Before returning a failure it calls lvm_error(), which forwards to the
 * installed handler (default: print "lvm: <file>:<line>: <reason>" to stderr
 * and return; it never aborts).  Like gsl_set_error_handler, the handler is
 * the only process-wide setting of the runtime; install it before starting
 * threads.
 */
#ifndef LVM_STATUS_H
#define LVM_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lvm_status {
  LVM_OK = 0,
  LVM_EINVAL,   /* invalid argument (a parameter outside its domain) */
  LVM_EDOM,     /* value outside the support / domain error */
  LVM_ERANGE,   /* result not representable */
  LVM_ENOMEM,   /* allocation failed */
  LVM_ENOTPD,   /* matrix not positive definite (Cholesky failed) */
  LVM_EIO,      /* file could not be read or written */
  LVM_EDATA,    /* data file malformed or not matching the model */
  LVM_EUSAGE,   /* bad command-line usage */
  LVM_EINTR,    /* interrupted (SIGINT) */
  LVM_ENUMERIC, /* non-finite log density or failed numerical routine */
  LVM_EINTERNAL /* a bug in lvmc */
} lvm_status;

/* A short English description of a status code ("invalid argument"). */
const char *lvm_strerror(int status);

typedef void (*lvm_error_handler)(const char *reason, const char *file,
                                  int line, int status);

/* Install a handler; returns the previous one. NULL restores the default. */
lvm_error_handler lvm_set_error_handler(lvm_error_handler handler);

/* A handler that does nothing (silences the runtime; callers still get the
 * status codes). */
void lvm_error_handler_silent(const char *reason, const char *file, int line,
                              int status);

/* Report an error through the installed handler. */
void lvm_error(const char *reason, const char *file, int line, int status);

/* Report and return: LVM_ERROR("sd must be positive", LVM_EINVAL); */
#define LVM_ERROR(reason, status)                                             \
  do {                                                                        \
    lvm_error((reason), __FILE__, __LINE__, (status));                        \
    return (status);                                                          \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
