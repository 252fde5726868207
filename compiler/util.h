/* util.h — arena allocation, string interning, growable arrays, and the
 * internal-error exit.  Every compiler pass allocates from one Arena that
 * lives as long as the compilation; nothing is freed piecemeal, so error
 * recovery in the parser cannot leak. */
#ifndef LVMC_UTIL_H
#define LVMC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  ArenaBlock *head;
  struct InternTable *strings;
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t n); /* zeroed, 16-byte aligned */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);
/* Interned strings compare equal as pointers. */
const char *intern(Arena *a, const char *s, size_t n);

/* Growable array of pointers, allocated in an arena. */
typedef struct PtrVec {
  void **v;
  int n, cap;
} PtrVec;
void vec_push(Arena *a, PtrVec *v, void *p);

/* A growable string buffer on the heap (for rendering). */
typedef struct StrBuf {
  char *s;
  size_t n, cap;
} StrBuf;
void sb_putc(StrBuf *b, char c);
void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_free(StrBuf *b);

/* Internal compiler error: a bug in lvmc, never the user's fault. */
_Noreturn void lvmc_ice(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define ICE(...) lvmc_ice(__FILE__, __LINE__, __VA_ARGS__)

/* Edit distance, for "did you mean" suggestions. */
int edit_distance(const char *a, const char *b);

#endif
