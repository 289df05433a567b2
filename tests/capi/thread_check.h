/* thread_check.h: what the multi-thread C API tests share (C11 + POSIX).
 *
 * CHECK (check.h) is single-threaded, so each thread records its failures in
 * its own `tlog` (TCHECK, TCHECK_OK, TCHECK_ST2); the main thread passes each
 * joined thread's log to check_log. */
#ifndef TANDEM_TESTS_CAPI_THREAD_CHECK_H_
#define TANDEM_TESTS_CAPI_THREAD_CHECK_H_

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* ---- per-thread failure log */

typedef struct tlog {
  int failures;
  int checks;
  char first[320];
} tlog;

static inline void tlog_fail(tlog* log, const char* file, int line, const char* fmt, ...) {
  if (log->failures++ == 0) {
    int n = snprintf(log->first, sizeof log->first, "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof log->first)
      vsnprintf(log->first + n, sizeof log->first - (size_t)n, fmt, ap);
    va_end(ap);
  }
}

#define TCHECK(log, cond)                                           \
  do {                                                              \
    (log)->checks++;                                                \
    if (!(cond)) tlog_fail((log), __FILE__, __LINE__, "%s", #cond); \
  } while (0)

/* Expects `call` (its last argument TERR) to return one of two statuses. */
#define TERR (&terr_)
#define TCHECK_ST2(log, call, ok1, ok2)                                                  \
  do {                                                                                   \
    tandem_error terr_ = {0, NULL};                                                      \
    tandem_status tst_ = (call);                                                         \
    (log)->checks++;                                                                     \
    if (tst_ != (ok1) && tst_ != (ok2))                                                  \
      tlog_fail((log), __FILE__, __LINE__, "%s: %s: %s", #call, tandem_status_str(tst_), \
                terr_.message ? terr_.message : "(no message)");                         \
    tandem_error_clear(&terr_);                                                          \
  } while (0)
#define TCHECK_OK(log, call) TCHECK_ST2(log, call, TANDEM_OK, TANDEM_OK)

/* The main thread's verdict on a joined thread's log. */
static inline void check_log(const char* who, const tlog* log) {
  CHECK(log->failures == 0);
  CHECK(log->checks > 0);
  if (log->failures)
    fprintf(stderr, "  %s: %d failures, first: %s\n", who, log->failures, log->first);
}

/* The number after "\"key\":" in a JSON text, or -1. */
static inline long json_number(const char* json, const char* key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char* p = json ? strstr(json, pat) : NULL;
  return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* Removes an SQLite store file and its companions. */
static inline void remove_store_files(const char* path) {
  const char* suffixes[] = {"", "-wal", "-shm", "-lock", "-journal"};
  for (int i = 0; i < 5; ++i) {
    char p[400];
    snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
    unlink(p);
  }
}

#endif /* TANDEM_TESTS_CAPI_THREAD_CHECK_H_ */
