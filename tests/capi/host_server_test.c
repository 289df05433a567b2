/* Host-driven servers through tandem.h (service_mode TANDEM_SERVICE_HOST):
 * tandem_server_service / _fd / _timeout and what can go wrong with them —
 * NULL handles and out-params, the wrong mode (an own-thread server), the
 * wrong thread, a server not started or stopped, misuse from the auth
 * callback, an options struct from before service_mode existed — plus a
 * poll() loop serving two clients to convergence, the fd turning readable
 * for a call from another thread (which then completes inside the
 * service thread's tandem_server_service, where the auth callback runs),
 * and stopping from the service thread and from another thread with
 * clients connected. Every wait is bounded (WAIT_MS). */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "net_util.h"

#define WAIT_MS 15000

static int db_counter = 0;

typedef struct auth_state {
  atomic_int calls;
  atomic_int off_thread_calls; /* calls not on the service thread */
  pthread_t service_thread;
  tandem_server *server;
  atomic_int reentry_status; /* what tandem_server_service returned from the callback */
} auth_state;

static int32_t auth_cb(void *user_data, const char *token, size_t token_len, const char *doc,
                       size_t doc_len) {
  auth_state *a = (auth_state *)user_data;
  (void)token, (void)token_len, (void)doc, (void)doc_len;
  atomic_fetch_add(&a->calls, 1);
  if (!pthread_equal(pthread_self(), a->service_thread)) atomic_fetch_add(&a->off_thread_calls, 1);
  if (a->server) atomic_store(&a->reentry_status, tandem_server_service(a->server, 0, NULL));
  return TANDEM_PERMISSION_WRITE;
}

static tandem_server *new_server(int32_t mode, auth_state *auth) {
  char db[300], name[32];
  snprintf(name, sizeof name, "server%d.db", db_counter++);
  tandem_server_options o;
  server_options_in_tmp(&o, db, sizeof db, name, auth ? auth_cb : NULL, auth);
  o.service_mode = mode;
  tandem_server *s = NULL;
  CHECK_OK(tandem_server_new(&s, &o, ERR));
  return s;
}

/* One service pass the way a host loop does it: wait on the fd for at
 * most the server's timeout (capped at `cap_ms`), then service. */
static tandem_status serve_once(tandem_server *s, int cap_ms) {
  int fd = -1;
  int32_t ms = -1;
  tandem_status st = tandem_server_fd(s, &fd, NULL);
  if (st != TANDEM_OK) return st;
  st = tandem_server_timeout(s, &ms, NULL);
  if (st != TANDEM_OK) return st;
  fd_poll(fd, ms < 0 || ms > cap_ms ? cap_ms : ms);
  return tandem_server_service(s, 0, NULL);
}

typedef struct peer {
  tandem_doc *doc;
  tandem_client *client;
  tandem_container text;
} peer;

static void peer_new(peer *p, const char *url, const char *token) {
  tandem_container root;
  p->doc = new_doc(TANDEM_PEER_RANDOM);
  root = root_of(p->doc);
  CHECK_OK(tandem_map_get_or_create(p->doc, &root, "body", TANDEM_CONTAINER_TEXT, &p->text, ERR));
  tandem_client_options co;
  tandem_client_options_init(&co);
  co.url = url;
  co.token = token;
  CHECK_OK(tandem_client_new(&p->client, &co, ERR));
  CHECK_OK(tandem_client_subscribe(p->client, "notes", p->doc, ERR));
}

static void peer_free(peer *p) {
  tandem_client_free(p->client);
  tandem_doc_free(p->doc);
}

/* A host-driven server (asking `auth` if not NULL), started, with two
 * peers connected to it ("ann" and "ben"). */
static tandem_server *serve_two_peers(auth_state *auth, peer *a, peer *b) {
  tandem_server *s = new_server(TANDEM_SERVICE_HOST, auth);
  CHECK_OK(tandem_server_start(s, ERR));
  uint16_t port = 0;
  CHECK_OK(tandem_server_listen_port(s, &port, ERR));
  char url[64];
  ws_url(url, sizeof url, port);
  peer_new(a, url, "ann");
  peer_new(b, url, "ben");
  return s;
}

/* Frees both peers, then the server. */
static void free_all(tandem_server *s, peer *a, peer *b) {
  peer_free(a);
  peer_free(b);
  tandem_server_free(s);
}

static void take_events(peer *p) {
  tandem_event ev;
  tandem_event_init(&ev);
  while (tandem_client_poll_event(p->client, &ev, NULL) == TANDEM_OK) {
  }
  tandem_event_clear(&ev);
}

static int text_is(peer *p, const char *want) {
  tandem_buf b = {NULL, 0};
  int same = tandem_text_read(p->doc, &p->text, &b, NULL) == TANDEM_OK && buf_eq(&b, want);
  tandem_buf_free(&b);
  return same;
}

/* Serves until both peers' texts are `want` (or WAIT_MS). */
static int serve_until_both(tandem_server *s, peer *a, peer *b, const char *want) {
  int64_t deadline = now_ms() + WAIT_MS;
  while (now_ms() < deadline) {
    if (serve_once(s, 10) != TANDEM_OK) return 0;
    take_events(a);
    take_events(b);
    if (text_is(a, want) && text_is(b, want)) return 1;
  }
  return 0;
}

/* ---- error paths */

static void test_null_handles(void) {
  int fd = 0;
  int32_t ms = 0;
  CHECK_FAILS(tandem_server_service(NULL, 0, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_fd(NULL, &fd, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_timeout(NULL, &ms, ERR), TANDEM_E_INVALID_ARG);
  tandem_server *s = new_server(TANDEM_SERVICE_HOST, NULL);
  CHECK_OK(tandem_server_start(s, ERR));
  CHECK_FAILS(tandem_server_fd(s, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_timeout(s, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_server_free(s);
}

static void test_wrong_mode(void) {
  int fd = 42;
  int32_t ms = 42;
  tandem_server *s = new_server(TANDEM_SERVICE_OWN_THREAD, NULL);
  /* Not running yet, and running: the mode is wrong either way. */
  CHECK_FAILS(tandem_server_service(s, 0, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_server_start(s, ERR));
  CHECK_FAILS(tandem_server_service(s, 0, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_fd(s, &fd, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_timeout(s, &ms, ERR), TANDEM_E_INVALID_ARG);
  CHECK(fd == 42 && ms == 42); /* untouched on failure */
  tandem_server_free(s);

  tandem_server_options o;
  tandem_server_options_init(&o);
  CHECK(o.service_mode == TANDEM_SERVICE_OWN_THREAD);
  o.db_path = "unused.db";
  o.service_mode = 7;
  tandem_server *bad = (tandem_server *)&o; /* must stay untouched */
  CHECK_FAILS(tandem_server_new(&bad, &o, ERR), TANDEM_E_INVALID_ARG);
  CHECK(bad == NULL);
}

static void test_not_running_and_after_stop(void) {
  int fd = -1, fd2 = -1;
  int32_t ms = 0;
  tandem_server *s = new_server(TANDEM_SERVICE_HOST, NULL);
  CHECK_FAILS(tandem_server_service(s, 0, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_server_fd(s, &fd, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_server_timeout(s, &ms, ERR), TANDEM_E_CLOSED);

  CHECK_OK(tandem_server_start(s, ERR));
  CHECK_OK(tandem_server_fd(s, &fd, ERR));
  CHECK(fd >= 0);
  CHECK_OK(tandem_server_timeout(s, &ms, ERR));
  CHECK(ms >= -1);
  CHECK_OK(tandem_server_service(s, 0, ERR));
  CHECK_OK(tandem_server_service(s, 5, ERR)); /* bounded wait with nothing to do */
  CHECK_OK(tandem_server_stop(s, ERR));       /* the service thread: drives itself */
  CHECK_FAILS(tandem_server_service(s, 0, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_server_fd(s, &fd, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_server_timeout(s, &ms, ERR), TANDEM_E_CLOSED);
  CHECK_OK(tandem_server_stop(s, ERR)); /* a no-op now */

  /* Restartable, with a new fd. */
  CHECK_OK(tandem_server_start(s, ERR));
  CHECK_OK(tandem_server_fd(s, &fd2, ERR));
  CHECK(fd2 >= 0);
  CHECK_OK(tandem_server_service(s, 0, ERR));
  tandem_server_free(s); /* stops from the service thread */
}

static void test_options_from_older_header(void) {
  tandem_server_options o;
  char db[300];
  server_options_in_tmp(&o, db, sizeof db, "old.db", NULL, NULL);
  o.service_mode = TANDEM_SERVICE_HOST;  /* beyond the old size: ignored */
  o.struct_size = (uint32_t)offsetof(tandem_server_options, service_mode);
  tandem_server *s = NULL;
  CHECK_OK(tandem_server_new(&s, &o, ERR));
  CHECK_OK(tandem_server_start(s, ERR));
  CHECK_FAILS(tandem_server_service(s, 0, ERR), TANDEM_E_INVALID_ARG); /* own thread */
  tandem_server_free(s);

  o.struct_size = (uint32_t)offsetof(tandem_server_options, service_mode) + 4;
  CHECK_FAILS(tandem_server_new(&s, &o, ERR), TANDEM_E_INVALID_ARG);
  o.struct_size = (uint32_t)sizeof o + 8;
  CHECK_FAILS(tandem_server_new(&s, &o, ERR), TANDEM_E_VERSION);
}

typedef struct other_thread_args {
  tandem_server *server;
  tandem_status service, timeout, fd, port, reauthorize, stop;
  atomic_int done;
  int what; /* 0: probe calls; 1: reauthorize; 2: stop */
} other_thread_args;

static void *other_thread(void *arg) {
  other_thread_args *t = (other_thread_args *)arg;
  int fd = -1;
  int32_t ms = 0;
  uint16_t port = 0;
  if (t->what == 0) {
    t->service = tandem_server_service(t->server, 0, NULL);
    t->timeout = tandem_server_timeout(t->server, &ms, NULL);
    t->fd = tandem_server_fd(t->server, &fd, NULL);
    t->port = tandem_server_listen_port(t->server, &port, NULL);
  } else if (t->what == 1) {
    t->reauthorize = tandem_server_reauthorize(t->server, NULL);
  } else {
    t->stop = tandem_server_stop(t->server, NULL);
  }
  atomic_store(&t->done, 1);
  return NULL;
}

/* Runs `what` (see other_thread_args) on `s` from a new thread. */
static pthread_t start_other_thread(other_thread_args *t, tandem_server *s, int what) {
  memset(t, 0, sizeof *t);
  t->server = s;
  t->what = what;
  pthread_t th;
  pthread_create(&th, NULL, other_thread, t);
  return th;
}

static void test_wrong_thread(void) {
  tandem_server *s = new_server(TANDEM_SERVICE_HOST, NULL);
  CHECK_OK(tandem_server_start(s, ERR));
  other_thread_args t;
  pthread_join(start_other_thread(&t, s, 0), NULL);
  CHECK(t.service == TANDEM_E_BUSY);
  CHECK(t.timeout == TANDEM_E_BUSY);
  CHECK(t.fd == TANDEM_OK);   /* any thread */
  CHECK(t.port == TANDEM_OK); /* needs nothing from the loop */
  tandem_server_free(s);
}

/* ---- behaviour */

static void test_clients_converge_and_cross_thread_calls(void) {
  auth_state auth;
  memset(&auth, 0, sizeof auth);
  auth.service_thread = pthread_self();
  peer a, b;
  tandem_server *s = serve_two_peers(&auth, &a, &b);
  CHECK_OK(tandem_text_insert(a.doc, &a.text, 0, TANDEM_UNIT_UTF8, "hello", 5, ERR));
  CHECK(serve_until_both(s, &a, &b, "hello"));
  CHECK_OK(tandem_text_insert(b.doc, &b.text, 5, TANDEM_UNIT_UTF8, " world", 6, ERR));
  CHECK(serve_until_both(s, &a, &b, "hello world"));
  int calls = atomic_load(&auth.calls);
  CHECK(calls >= 4); /* two connections, two subscriptions */
  CHECK(atomic_load(&auth.off_thread_calls) == 0);

  /* Quiet now: nothing makes the fd readable within a moment... */
  for (int i = 0; i < 50; ++i) serve_once(s, 1);
  int fd = -1;
  CHECK_OK(tandem_server_fd(s, &fd, ERR));
  int32_t ms = 0;
  CHECK_OK(tandem_server_timeout(s, &ms, ERR));
  CHECK(ms != 0);
  CHECK(fd_poll(fd, 0) == 0);

  /* ...until another thread calls in: the fd turns readable, the call
   * waits for our service, and its auth callbacks run here. */
  other_thread_args t;
  pthread_t th = start_other_thread(&t, s, 1);
  CHECK(fd_poll(fd, WAIT_MS) == 1);
  WAIT_WHILE(!atomic_load(&t.done), WAIT_MS, serve_once(s, 10));
  pthread_join(th, NULL);
  CHECK(t.reauthorize == TANDEM_OK);
  CHECK(atomic_load(&auth.calls) >= calls + 4); /* re-asked for both, on this thread */
  CHECK(atomic_load(&auth.off_thread_calls) == 0);

  /* The same call on the service thread runs inline. */
  calls = atomic_load(&auth.calls);
  CHECK_OK(tandem_server_reauthorize(s, ERR));
  CHECK(atomic_load(&auth.calls) >= calls + 4);
  CHECK_OK(tandem_server_revoke_token(s, "nobody", ERR));

  /* The auth callback may not drive the loop it runs in. */
  auth.server = s;
  CHECK_OK(tandem_server_reauthorize(s, ERR));
  CHECK(atomic_load(&auth.reentry_status) == TANDEM_E_BUSY);
  auth.server = NULL;

  /* Stop with the clients still connected, from the service thread. */
  CHECK_OK(tandem_server_stop(s, ERR));
  free_all(s, &a, &b);
}

static void test_stop_from_another_thread(void) {
  peer a, b;
  tandem_server *s = serve_two_peers(NULL, &a, &b);
  CHECK_OK(tandem_text_insert(a.doc, &a.text, 0, TANDEM_UNIT_UTF8, "x", 1, ERR));
  CHECK(serve_until_both(s, &a, &b, "x"));

  other_thread_args t;
  pthread_t th = start_other_thread(&t, s, 2);
  /* We keep servicing; the stop completes inside our calls, which then
   * report CLOSED. */
  tandem_status st = TANDEM_OK;
  WAIT_WHILE(st == TANDEM_OK, WAIT_MS, st = serve_once(s, 10));
  CHECK(st == TANDEM_E_CLOSED);
  pthread_join(th, NULL);
  CHECK(t.stop == TANDEM_OK);
  CHECK(atomic_load(&t.done) == 1);
  int fd;
  CHECK_FAILS(tandem_server_fd(s, &fd, ERR), TANDEM_E_CLOSED);
  free_all(s, &a, &b);
}

static void test_free_with_clients_connected(void) {
  peer a, b;
  tandem_server *s = serve_two_peers(NULL, &a, &b);
  CHECK_OK(tandem_text_insert(b.doc, &b.text, 0, TANDEM_UNIT_UTF8, "y", 1, ERR));
  CHECK(serve_until_both(s, &a, &b, "y"));
  int64_t t0 = now_ms();
  tandem_server_free(s); /* stop + free in one, on the service thread */
  CHECK(now_ms() - t0 < 6000);
  peer_free(&a);
  peer_free(&b);
}

int main(void) {
  if (!tmpdir_make("host")) return 2;
  CHECK_OK(tandem_set_network_log_level(TANDEM_LOG_NONE, ERR));
  RUN(test_null_handles);
  RUN(test_wrong_mode);
  RUN(test_not_running_and_after_stop);
  RUN(test_options_from_older_header);
  RUN(test_wrong_thread);
  RUN(test_clients_converge_and_cross_thread_calls);
  RUN(test_stop_from_another_thread);
  RUN(test_free_with_clients_connected);
  tmpdir_remove();
  return check_report();
}
