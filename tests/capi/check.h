/* check.h: a tiny assertion framework for the C API tests (C11).
 *
 * CHECK(cond) records a failure and continues; CHECK_OK(call) expects
 * TANDEM_OK (printing the error message otherwise); CHECK_STATUS(call, code)
 * expects one status. RUN(test) runs a `static void test(void)`; main returns
 * check_report(). Every test calls through tandem.h only. */
#ifndef TANDEM_TESTS_CAPI_CHECK_H_
#define TANDEM_TESTS_CAPI_CHECK_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/tandem.h"

static int check_failures = 0;
static int check_count = 0;
static int check_tests = 0;

#define CHECK(cond)                                                         \
  do {                                                                      \
    ++check_count;                                                          \
    if (!(cond)) {                                                          \
      ++check_failures;                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

#define CHECK_STATUS(call, expected)                                               \
  do {                                                                             \
    tandem_error check_err_ = {0, NULL};                                           \
    tandem_status check_st_ = (call);                                              \
    (void)check_err_;                                                              \
    ++check_count;                                                                 \
    if (check_st_ != (expected)) {                                                 \
      ++check_failures;                                                            \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)\n", __FILE__, \
              __LINE__, #call, (int)check_st_, tandem_status_str(check_st_),       \
              (int)(expected), tandem_status_str(expected));                       \
    }                                                                              \
  } while (0)

/* Calls `call` (whose last argument must be the name `ERR`) and expects OK,
 * printing the library's message on failure. */
#define ERR (&check_err_)
#define CHECK_OK(call)                                                              \
  do {                                                                              \
    tandem_error check_err_ = {0, NULL};                                            \
    tandem_status check_st_ = (call);                                               \
    ++check_count;                                                                  \
    if (check_st_ != TANDEM_OK) {                                                   \
      ++check_failures;                                                             \
      fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #call,      \
              tandem_status_str(check_st_),                                         \
              check_err_.message ? check_err_.message : "(no message)");            \
    }                                                                               \
    tandem_error_clear(&check_err_);                                                \
  } while (0)

/* Expects `expected` and a non-empty message in the error out-param. */
#define CHECK_FAILS(call, expected)                                                  \
  do {                                                                               \
    tandem_error check_err_ = {0, NULL};                                             \
    tandem_status check_st_ = (call);                                                \
    check_count += 3;                                                                \
    if (check_st_ != (expected)) {                                                   \
      ++check_failures;                                                              \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)%s%s\n", __FILE__, \
              __LINE__, #call, (int)check_st_, tandem_status_str(check_st_),         \
              (int)(expected), tandem_status_str(expected),                          \
              check_err_.message ? ": " : "",                                        \
              check_err_.message ? check_err_.message : "");                         \
    } else if (check_err_.code != (expected) || !check_err_.message ||              \
               !check_err_.message[0]) {                                             \
      ++check_failures;                                                              \
      fprintf(stderr, "%s:%d: %s: error out-param not filled\n", __FILE__, __LINE__, \
              #call);                                                                \
    }                                                                                \
    tandem_error_clear(&check_err_);                                                 \
  } while (0)

#define RUN(test)                         \
  do {                                    \
    int before_ = check_failures;         \
    ++check_tests;                        \
    test();                               \
    fprintf(stderr, "%s %s\n", check_failures == before_ ? "[ OK ]" : "[FAIL]", #test); \
  } while (0)

static inline int check_report(void) {
  fprintf(stderr, "%d tests, %d checks, %d failures\n", check_tests, check_count,
          check_failures);
  return check_failures == 0 ? 0 : 1;
}

/* Helpers. */
static inline int buf_eq(const tandem_buf *b, const char *s) {
  size_t n = strlen(s);
  return b->len == n && (n == 0 || memcmp(b->data, s, n) == 0) &&
         (b->data == NULL || b->data[n] == 0);
}

static inline tandem_doc *new_doc(uint64_t peer) {
  tandem_doc *d = NULL;
  if (tandem_doc_new(&d, peer, NULL, NULL) != TANDEM_OK) {
    fprintf(stderr, "tandem_doc_new failed\n");
    exit(2);
  }
  return d;
}

static inline tandem_container root_of(tandem_doc *d) {
  tandem_container r;
  memset(&r, 0, sizeof r);
  tandem_doc_root(d, &r, NULL);
  return r;
}

#endif /* TANDEM_TESTS_CAPI_CHECK_H_ */
