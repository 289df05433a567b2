/* net_util.h: shared helpers for the C API tests that run servers, clients
 * and threads (C11 + POSIX: define _POSIX_C_SOURCE 200809L before any
 * include, then include check.h and this).
 *
 * now_ms() reads the monotonic clock, sleep_ms(ms) sleeps. WAIT_WHILE(cond,
 * ms, step) repeats `step` while `cond` holds, for at most `ms` from now
 * (cond is tested first). tmpdir_make("tag") makes the test's directory,
 * $TMPDIR/tandem-capi-tag-XXXXXX (or under /tmp), into `tmpdir`;
 * tmp_path(out, n, "name") names a file in it; tmpdir_remove() deletes it
 * and everything in it. fd_poll(fd, ms) is poll(2) for POLLIN on one fd
 * (its result), fd_readable(fd) says whether the fd is readable now.
 * ws_url(out, n, port) is "ws://127.0.0.1:<port>/". server_options_in_tmp
 * initializes server options storing in tmpdir/<db_name> (with an auth
 * callback or none), client_options_for client options for a server on
 * 127.0.0.1:<port>. json_of(doc) is the document's JSON (malloc'd; NULL if
 * it cannot be made). */
#ifndef TANDEM_TESTS_CAPI_NET_UTIL_H_
#define TANDEM_TESTS_CAPI_NET_UTIL_H_

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tandem/tandem.h"

static char tmpdir[256];

static inline int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#define WAIT_WHILE(cond, ms, step)                \
  do {                                            \
    int64_t wait_deadline_ = now_ms() + (ms);     \
    while ((cond) && now_ms() < wait_deadline_) { \
      step;                                       \
    }                                             \
  } while (0)

/* 1 if made, 0 (with a message) if not. */
static inline int tmpdir_make(const char *tag) {
  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/tandem-capi-%s-XXXXXX", base && *base ? base : "/tmp", tag);
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 0;
  }
  return 1;
}

static inline void tmpdir_remove(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

static inline void tmp_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", tmpdir, name);
}

static inline int fd_poll(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms);
}

static inline int fd_readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static inline void ws_url(char *out, size_t n, uint16_t port) {
  snprintf(out, n, "ws://127.0.0.1:%u/", (unsigned)port);
}

/* `db` (n bytes) receives the path; it must outlive tandem_server_new.
 * `auth` may be NULL (everyone may write). */
static inline void server_options_in_tmp(tandem_server_options *o, char *db, size_t n,
                                         const char *db_name, tandem_auth_cb auth,
                                         void *auth_user_data) {
  tmp_path(db, n, db_name);
  tandem_server_options_init(o);
  o->db_path = db;
  o->auth = auth;
  o->auth_user_data = auth_user_data;
}

/* `url` (n bytes) receives the URL; it must outlive tandem_client_new. */
static inline void client_options_for(tandem_client_options *o, char *url, size_t n,
                                      uint16_t port) {
  ws_url(url, n, port);
  tandem_client_options_init(o);
  o->url = url;
}

static inline char *json_of(tandem_doc *d) {
  tandem_buf b = {NULL, 0};
  if (tandem_doc_to_json(d, NULL, &b, NULL) != TANDEM_OK) return NULL;
  char *s = (char *)malloc(b.len + 1);
  if (!s) exit(2);
  memcpy(s, b.data ? (const char *)b.data : "", b.len);
  s[b.len] = 0;
  tandem_buf_free(&b);
  return s;
}

#endif /* TANDEM_TESTS_CAPI_NET_UTIL_H_ */
