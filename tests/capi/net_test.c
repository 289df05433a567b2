/* Servers and clients through tandem.h: a real server on 127.0.0.1 (port 0)
 * with a temporary store, clients whose subscriptions are bound to host
 * documents, events taken with tandem_client_poll_event / _dispatch when the
 * event fd says so (poll(2)), status events, auth (read-only writers,
 * refused tokens, runtime revoke), awareness, offline persistence, closed
 * clients, misuse from callbacks, and the calls documented as thread-safe
 * hammered from other threads while the host thread edits and polls.
 * Every wait is bounded (WAIT_MS). */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "net_util.h"

#define WAIT_MS 15000

/* ---- a server */

typedef struct auth_state {
  atomic_int calls;
  atomic_int freed;
  tandem_server *server;        /* to check misuse from the callback */
  atomic_int reentry_status;    /* what tandem_server_listen_port returned there */
  atomic_int deny_all_writers;  /* a runtime policy change */
} auth_state;

/* "writer*" may write, "reader*" may read, anything else is refused. */
static int32_t auth_cb(void *user_data, const char *token, size_t token_len, const char *doc,
                       size_t doc_len) {
  auth_state *a = (auth_state *)user_data;
  (void)doc;
  (void)doc_len;
  atomic_fetch_add(&a->calls, 1);
  if (a->server) {
    uint16_t port = 0;
    atomic_store(&a->reentry_status, tandem_server_listen_port(a->server, &port, NULL));
  }
  if (token_len >= 6 && memcmp(token, "writer", 6) == 0)
    return atomic_load(&a->deny_all_writers) ? TANDEM_PERMISSION_READ : TANDEM_PERMISSION_WRITE;
  if (token_len >= 6 && memcmp(token, "reader", 6) == 0) return TANDEM_PERMISSION_READ;
  return TANDEM_PERMISSION_NONE;
}

static void auth_free(void *user_data) { atomic_fetch_add(&((auth_state *)user_data)->freed, 1); }

static tandem_server *start_server(const char *db_name, auth_state *auth, uint16_t *port) {
  char db[400];
  tandem_server_options o;
  server_options_in_tmp(&o, db, sizeof db, db_name, auth ? auth_cb : NULL, auth);
  o.sync = TANDEM_SYNC_NORMAL;
  if (auth) o.auth_user_data_free = auth_free;
  tandem_server *s = NULL;
  CHECK_OK(tandem_server_new(&s, &o, ERR));
  if (!s) exit(2);
  CHECK_OK(tandem_server_start(s, ERR));
  *port = 0;
  CHECK_OK(tandem_server_listen_port(s, port, ERR));
  CHECK(*port > 0);
  return s;
}

/* ---- a peer: one client and the document bound to it, on this thread */

typedef struct peer {
  tandem_client *client;
  tandem_doc *doc;
  int fd;
  int events[9];      /* count per TANDEM_EVENT_* */
  int statuses[4];    /* count per TANDEM_CLIENT_* seen in STATUS events */
  int last_status;
  uint32_t last_error_code;
  char last_error[256];
} peer;

static void peer_new(peer *p, uint16_t port, const char *token, const char *offline_db,
                     int connect) {
  memset(p, 0, sizeof *p);
  p->last_status = -1;
  char url[64];
  uint32_t backoff[] = {50, 100, 200};
  tandem_client_options o;
  client_options_for(&o, url, sizeof url, port);
  o.token = token;
  o.offline_db_path = offline_db;
  o.backoff_ms = backoff;
  o.backoff_count = 3;
  o.connect = connect;
  CHECK_OK(tandem_client_new(&p->client, &o, ERR));
  if (!p->client) exit(2);
  p->doc = new_doc(TANDEM_PEER_RANDOM);
  p->fd = -1;
  CHECK_OK(tandem_client_event_fd(p->client, &p->fd, ERR));
  CHECK(p->fd >= 0);
}

static void peer_free(peer *p) {
  tandem_client_free(p->client);
  tandem_doc_free(p->doc);
  p->client = NULL;
  p->doc = NULL;
}

/* A server storing in `db_name` (no auth) and two connected peers on it,
 * both subscribed to `doc_name` unless that is NULL; `port` may be NULL. */
static tandem_server *start_pair(const char *db_name, const char *doc_name, peer *a, peer *b,
                                 uint16_t *port) {
  uint16_t p;
  tandem_server *s = start_server(db_name, NULL, &p);
  peer_new(a, p, NULL, NULL, 1);
  peer_new(b, p, NULL, NULL, 1);
  if (doc_name) {
    CHECK_OK(tandem_client_subscribe(a->client, doc_name, a->doc, ERR));
    CHECK_OK(tandem_client_subscribe(b->client, doc_name, b->doc, ERR));
  }
  if (port) *port = p;
  return s;
}

/* Frees the peers (`c` may be NULL), then the server. */
static void free_all(tandem_server *s, peer *a, peer *b, peer *c) {
  peer_free(a);
  peer_free(b);
  if (c) peer_free(c);
  tandem_server_free(s);
}

static void record(peer *p, const tandem_event *ev) {
  if (ev->type > 0 && ev->type < 9) p->events[ev->type]++;
  if (ev->type == TANDEM_EVENT_STATUS && ev->status >= 0 && ev->status < 4) {
    p->statuses[ev->status]++;
    p->last_status = ev->status;
  }
  if (ev->type == TANDEM_EVENT_ERROR) {
    p->last_error_code = ev->code;
    snprintf(p->last_error, sizeof p->last_error, "%s",
             ev->message.data ? (const char *)ev->message.data : "");
  }
}

/* Takes every pending event of `p` (poll_event until AGAIN). */
static void drain(peer *p) {
  tandem_event ev;
  tandem_event_init(&ev);
  for (;;) {
    tandem_status st = tandem_client_poll_event(p->client, &ev, NULL);
    if (st == TANDEM_E_AGAIN) break;
    CHECK(st == TANDEM_OK);
    if (st != TANDEM_OK) break;
    record(p, &ev);
  }
  tandem_event_clear(&ev);
}

/* Waits (poll(2) on the event fds, at most `ms`) and drains what fired. */
static void pump(peer **ps, int n, int ms) {
  struct pollfd fds[8];
  for (int i = 0; i < n; ++i) {
    fds[i].fd = ps[i]->fd;
    fds[i].events = POLLIN;
    fds[i].revents = 0;
  }
  if (poll(fds, (nfds_t)n, ms) <= 0) return;
  for (int i = 0; i < n; ++i)
    if (fds[i].revents & POLLIN) drain(ps[i]);
}

typedef int (*cond_fn)(peer **ps, int n, void *arg);

static int wait_for(peer **ps, int n, cond_fn cond, void *arg) {
  int64_t deadline = now_ms() + WAIT_MS;
  while (!cond(ps, n, arg)) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return 0;
    pump(ps, n, left > 50 ? 50 : (int)left);
  }
  return 1;
}

/* All docs have the same JSON, containing `arg` (a substring) if set. */
static int converged(peer **ps, int n, void *arg) {
  char *first = json_of(ps[0]->doc);
  int ok = first != NULL && (!arg || strstr(first, (const char *)arg) != NULL);
  for (int i = 1; ok && i < n; ++i) {
    char *j = json_of(ps[i]->doc);
    ok = j && strcmp(first, j) == 0;
    free(j);
  }
  free(first);
  return ok;
}

static int status_is(peer **ps, int n, void *arg) {
  for (int i = 0; i < n; ++i)
    if (ps[i]->last_status != *(int *)arg) return 0;
  return 1;
}

static int event_seen(peer **ps, int n, void *arg) {
  for (int i = 0; i < n; ++i)
    if (ps[i]->events[*(int *)arg] == 0) return 0;
  return 1;
}

static void set_key(tandem_doc *d, const char *key, const char *value) {
  tandem_container root = root_of(d);
  tandem_value v = tandem_value_string(value);
  CHECK_OK(tandem_map_set(d, &root, key, &v, ERR));
}

static void add_count(tandem_doc *d, int64_t n) {
  tandem_container root = root_of(d), c;
  CHECK_OK(tandem_doc_begin_transaction(d, "test", ERR));
  CHECK_OK(tandem_map_get_or_create(d, &root, "count", TANDEM_CONTAINER_COUNTER, &c, ERR));
  CHECK_OK(tandem_counter_add(d, &c, n, ERR));
  CHECK_OK(tandem_doc_commit_transaction(d, NULL, ERR));
}

/* ------------------------------------------------------------ tests */

static void test_server_lifecycle(void) {
  char db[400];
  tmp_path(db, sizeof db, "lifecycle.db");
  tandem_server_options o;
  tandem_server_options_init(&o);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.port == 0 && o.max_connections > 0 && o.max_frame_bytes > 0);
  tandem_server *s = NULL;
  CHECK_FAILS(tandem_server_new(&s, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_new(&s, &o, ERR), TANDEM_E_INVALID_ARG); /* no db_path */
  CHECK(s == NULL);
  o.db_path = db;
  o.port = 70000;
  CHECK_FAILS(tandem_server_new(&s, &o, ERR), TANDEM_E_INVALID_ARG);
  o.port = 0;
  o.struct_size = 8;
  CHECK_FAILS(tandem_server_new(&s, &o, ERR), TANDEM_E_INVALID_ARG);
  o.struct_size = sizeof o + 8;
  CHECK_FAILS(tandem_server_new(&s, &o, ERR), TANDEM_E_VERSION);
  o.struct_size = sizeof o;
  CHECK_FAILS(tandem_server_new(NULL, &o, ERR), TANDEM_E_INVALID_ARG);

  auth_state a;
  memset(&a, 0, sizeof a);
  o.auth = auth_cb;
  o.auth_user_data = &a;
  o.auth_user_data_free = auth_free;
  CHECK_OK(tandem_server_new(&s, &o, ERR));
  /* The store is locked while the server holds it. */
  tandem_server *s2 = NULL;
  CHECK_FAILS(tandem_server_new(&s2, &o, ERR), TANDEM_E_BUSY);
  uint16_t port = 0;
  CHECK_FAILS(tandem_server_listen_port(s, &port, ERR), TANDEM_E_CLOSED);
  CHECK_OK(tandem_server_stop(s, ERR)); /* not running: a no-op */
  CHECK_OK(tandem_server_reauthorize(s, ERR));
  CHECK_OK(tandem_server_start(s, ERR));
  CHECK_FAILS(tandem_server_start(s, ERR), TANDEM_E_BUSY);
  CHECK_OK(tandem_server_listen_port(s, &port, ERR));
  CHECK(port > 0);

  /* A second server cannot bind the same port: IO with a message. */
  char db2[400];
  tmp_path(db2, sizeof db2, "lifecycle2.db");
  tandem_server_options o2;
  tandem_server_options_init(&o2);
  o2.db_path = db2;
  o2.port = port;
  CHECK_OK(tandem_server_new(&s2, &o2, ERR));
  CHECK_FAILS(tandem_server_start(s2, ERR), TANDEM_E_IO);
  tandem_server_free(s2);

  CHECK_OK(tandem_server_stop(s, ERR));
  CHECK_FAILS(tandem_server_listen_port(s, &port, ERR), TANDEM_E_CLOSED);
  CHECK_OK(tandem_server_start(s, ERR)); /* restartable */
  CHECK_OK(tandem_server_listen_port(s, &port, ERR));
  CHECK_OK(tandem_server_revoke_token(s, "writer-old", ERR));
  CHECK_FAILS(tandem_server_revoke_token(s, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_listen_port(s, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK(atomic_load(&a.freed) == 0);
  tandem_server_free(s);
  CHECK(atomic_load(&a.freed) == 1);
  tandem_server_free(NULL);

  CHECK_FAILS(tandem_server_start(NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_stop(NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_listen_port(NULL, &port, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_reauthorize(NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_server_revoke_token(NULL, "x", ERR), TANDEM_E_INVALID_ARG);
}

static void test_two_clients_converge(void) {
  uint16_t port;
  peer a, b;
  tandem_server *s = start_pair("converge.db", NULL, &a, &b, &port);
  peer *ps[2] = {&a, &b};

  /* B's document holds something before it subscribes: it is merged in. */
  set_key(b.doc, "before", "b");
  CHECK_OK(tandem_client_subscribe(a.client, "notes", a.doc, ERR));
  CHECK_OK(tandem_client_subscribe(b.client, "notes", b.doc, ERR));
  int synced = TANDEM_CLIENT_SYNCED;
  CHECK(wait_for(ps, 2, status_is, &synced));
  CHECK(a.statuses[TANDEM_CLIENT_CONNECTING] >= 1 && a.statuses[TANDEM_CLIENT_ONLINE] >= 1);
  CHECK(b.events[TANDEM_EVENT_SYNCED] >= 1);
  int32_t st = -1;
  CHECK_OK(tandem_client_status(a.client, &st, ERR));
  CHECK(st == TANDEM_CLIENT_SYNCED);

  /* Concurrent edits from both sides. */
  tandem_container root = root_of(a.doc), text;
  CHECK_OK(tandem_map_get_or_create(a.doc, &root, "body", TANDEM_CONTAINER_TEXT, &text, ERR));
  CHECK_OK(tandem_text_insert(a.doc, &text, 0, TANDEM_UNIT_UTF8, "hello", 5, ERR));
  set_key(b.doc, "title", "from b");
  add_count(a.doc, 2);
  add_count(b.doc, 3);
  CHECK(wait_for(ps, 2, converged, "\"count\":5"));
  char *ja = json_of(a.doc);
  CHECK(ja && strstr(ja, "\"body\":\"hello\"") && strstr(ja, "\"title\":\"from b\"") &&
        strstr(ja, "\"before\":\"b\""));
  free(ja);
  CHECK(a.events[TANDEM_EVENT_REMOTE_CHANGE] >= 1 && b.events[TANDEM_EVENT_REMOTE_CHANGE] >= 1);
  int acked = TANDEM_EVENT_ACKED;
  CHECK(wait_for(ps, 2, event_seen, &acked));

  /* Drained: the fd is not readable any more, and poll says AGAIN. */
  drain(&a);
  CHECK(!fd_readable(a.fd));
  tandem_event ev;
  tandem_event_init(&ev);
  CHECK_FAILS(tandem_client_poll_event(a.client, &ev, ERR), TANDEM_E_AGAIN);
  tandem_event_clear(&ev);

  /* A third replica (a fresh client) gets the whole state from the server. */
  peer c;
  peer_new(&c, port, NULL, NULL, 1);
  CHECK_OK(tandem_client_subscribe(c.client, "notes", c.doc, ERR));
  peer *all[3] = {&a, &b, &c};
  CHECK(wait_for(all, 3, converged, "\"count\":5"));

  /* Unsubscribed: B's edits stay local. */
  CHECK_OK(tandem_client_unsubscribe(b.client, "notes", ERR));
  CHECK_FAILS(tandem_client_unsubscribe(b.client, "notes", ERR), TANDEM_E_NOT_FOUND);
  set_key(b.doc, "local", "only");
  set_key(a.doc, "after", "a");
  peer *ac[2] = {&a, &c};
  CHECK(wait_for(ac, 2, converged, "\"after\":\"a\""));
  ja = json_of(a.doc);
  CHECK(ja && strstr(ja, "local") == NULL);
  free(ja);

  free_all(s, &a, &b, &c);
}

static int32_t count_cb(void *user_data, const tandem_event *ev) {
  int *n = (int *)user_data;
  CHECK(ev->struct_size == sizeof *ev && ev->type >= TANDEM_EVENT_STATUS &&
        ev->type <= TANDEM_EVENT_EPOCH_CHANGED);
  ++*n;
  return 0;
}

static int32_t stop_cb(void *user_data, const tandem_event *ev) {
  (void)ev;
  ++*(int *)user_data;
  return 1;
}

static atomic_int wakes;
static atomic_int wake_frees;
static atomic_int wake_bad_user_data; /* CHECK is not thread-safe: counted here */
static void on_wake(void *user_data) {
  if (user_data != &wakes) atomic_fetch_add(&wake_bad_user_data, 1);
  atomic_fetch_add(&wakes, 1);
}
static void on_wake_free(void *user_data) {
  CHECK(user_data == &wakes);
  atomic_fetch_add(&wake_frees, 1);
}

static void test_dispatch_and_wake_callback(void) {
  uint16_t port;
  tandem_server *s = start_server("dispatch.db", NULL, &port);
  char url[64];
  tandem_client_options o;
  client_options_for(&o, url, sizeof url, port);
  o.wake = on_wake;
  o.wake_user_data = &wakes;
  o.wake_user_data_free = on_wake_free;
  tandem_client *c = NULL;
  CHECK_OK(tandem_client_new(&c, &o, ERR));
  tandem_doc *d = new_doc(7);
  CHECK_OK(tandem_client_subscribe(c, "d", d, ERR));
  int fd = -1;
  CHECK_OK(tandem_client_event_fd(c, &fd, ERR));
  /* Callbacks: events are delivered on this thread by dispatch. */
  int n = 0;
  int64_t deadline = now_ms() + WAIT_MS;
  int32_t status = -1;
  while (now_ms() < deadline) {
    if (fd_poll(fd, 50) == 1) {
      size_t got = 0;
      CHECK_OK(tandem_client_dispatch(c, count_cb, &n, 0, &got, ERR));
      CHECK(got > 0);
    }
    tandem_client_status(c, &status, NULL);
    if (status == TANDEM_CLIENT_SYNCED) break;
  }
  CHECK(status == TANDEM_CLIENT_SYNCED);
  CHECK(n >= 3); /* connecting, online, synced (+ SYNCED of "d") */
  CHECK(atomic_load(&wakes) >= 1);
  CHECK(atomic_load(&wake_bad_user_data) == 0);
  /* Nothing pending (once late events are taken): dispatch delivers
   * nothing and succeeds. */
  size_t got = 99;
  for (int i = 0; i < 100 && got != 0; ++i) {
    CHECK_OK(tandem_client_dispatch(c, count_cb, &n, 0, &got, ERR));
    if (got != 0) sleep_ms(20);
  }
  CHECK(got == 0);
  /* A callback that asks to stop: USER, after one event. */
  CHECK_OK(tandem_client_disconnect(c, ERR));
  int offline = 0;
  WAIT_WHILE(!fd_readable(fd), WAIT_MS, sleep_ms(10));
  CHECK_FAILS(tandem_client_dispatch(c, stop_cb, &offline, 1, &got, ERR), TANDEM_E_USER);
  CHECK(offline == 1 && got == 1);
  CHECK_FAILS(tandem_client_dispatch(c, NULL, NULL, 0, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_client_free(c);
  CHECK(atomic_load(&wake_frees) == 1);
  tandem_doc_free(d);
  tandem_server_free(s);
}

static void test_auth(void) {
  auth_state a;
  memset(&a, 0, sizeof a);
  uint16_t port;
  tandem_server *s = start_server("auth.db", &a, &port);
  a.server = s; /* the callback now calls the server back: must be BUSY */
  peer w, r, x;
  peer_new(&w, port, "writer-1", NULL, 1);
  peer_new(&r, port, "reader-1", NULL, 1);
  peer_new(&x, port, "stranger", NULL, 1);
  peer *wr[2] = {&w, &r};
  CHECK_OK(tandem_client_subscribe(w.client, "doc", w.doc, ERR));
  CHECK_OK(tandem_client_subscribe(r.client, "doc", r.doc, ERR));
  CHECK_OK(tandem_client_subscribe(x.client, "doc", x.doc, ERR));
  int synced = TANDEM_CLIENT_SYNCED;
  CHECK(wait_for(wr, 2, status_is, &synced));
  CHECK(atomic_load(&a.calls) >= 4);
  CHECK(atomic_load(&a.reentry_status) == TANDEM_E_BUSY);

  /* The writer's edits reach the reader. */
  set_key(w.doc, "by", "writer");
  CHECK(wait_for(wr, 2, converged, "writer"));

  /* The reader's edit is refused by the server (FORBIDDEN) and never
   * reaches the writer. */
  set_key(r.doc, "sneaky", "reader");
  int err_ev = TANDEM_EVENT_ERROR;
  peer *rp[1] = {&r};
  CHECK(wait_for(rp, 1, event_seen, &err_ev));
  CHECK(r.last_error_code == TANDEM_NET_ERROR_FORBIDDEN);
  set_key(w.doc, "marker", "m");
  peer *wp[1] = {&w};
  WAIT_WHILE(1, 300, pump(wp, 1, 20));
  char *jw = json_of(w.doc);
  CHECK(jw && strstr(jw, "sneaky") == NULL);
  free(jw);

  /* A refused token: an error event (unauthorized), never online. */
  peer *xp[1] = {&x};
  CHECK(wait_for(xp, 1, event_seen, &err_ev));
  CHECK(x.last_error_code == 3 /* unauthorized */);
  CHECK(x.statuses[TANDEM_CLIENT_SYNCED] == 0);

  /* A policy change: writers become readers (PERMISSION event). */
  atomic_store(&a.deny_all_writers, 1);
  CHECK_OK(tandem_server_reauthorize(s, ERR));
  int perm = TANDEM_EVENT_PERMISSION;
  CHECK(wait_for(wp, 1, event_seen, &perm));

  /* Runtime revoke: the writer's connection is closed, it goes offline. */
  w.statuses[TANDEM_CLIENT_OFFLINE] = 0;
  CHECK_OK(tandem_server_revoke_token(s, "writer-1", ERR));
  int offline = TANDEM_CLIENT_OFFLINE;
  (void)offline;
  WAIT_WHILE(w.statuses[TANDEM_CLIENT_OFFLINE] == 0, WAIT_MS, pump(wp, 1, 50));
  CHECK(w.statuses[TANDEM_CLIENT_OFFLINE] >= 1);

  peer_free(&w);
  peer_free(&r);
  peer_free(&x);
  a.server = NULL;
  tandem_server_free(s);
  CHECK(atomic_load(&a.freed) == 1);
}

static int awareness_has(peer **ps, int n, void *arg) {
  (void)n;
  tandem_awareness list = {NULL, 0};
  if (tandem_client_get_awareness(ps[0]->client, "room", &list, NULL) != TANDEM_OK) return 0;
  int found = 0;
  for (size_t i = 0; i < list.count; ++i)
    if (arg ? buf_eq(&list.items[i].state, (const char *)arg) : 0) found = 1;
  int empty = list.count == 0;
  tandem_awareness_free(&list);
  return arg ? found : empty;
}

static void test_awareness(void) {
  peer a, b;
  tandem_server *s = start_pair("awareness.db", "room", &a, &b, NULL);
  CHECK_FAILS(tandem_client_set_awareness(a.client, "elsewhere", (const uint8_t *)"x", 1, ERR),
              TANDEM_E_NOT_FOUND);
  tandem_awareness list = {NULL, 0};
  CHECK_FAILS(tandem_client_get_awareness(a.client, "elsewhere", &list, ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_client_set_awareness(a.client, "room", NULL, 3, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_client_set_awareness(a.client, "room", (const uint8_t *)"{\"name\":\"ann\"}", 14,
                                       ERR));
  peer *bp[2] = {&b, &a};
  CHECK(wait_for(bp, 2, awareness_has, "{\"name\":\"ann\"}"));
  CHECK_OK(tandem_client_get_awareness(b.client, "room", &list, ERR));
  uint64_t a_peer = 0;
  CHECK_OK(tandem_client_peer_id(a.client, &a_peer, ERR));
  CHECK(list.count == 1 && list.items[0].peer_id == a_peer);
  tandem_awareness_free(&list);
  CHECK(list.items == NULL && list.count == 0);
  tandem_awareness_free(NULL);
  int aw = TANDEM_EVENT_AWARENESS;
  peer *only_b[1] = {&b};
  CHECK(wait_for(only_b, 1, event_seen, &aw));
  /* len 0 clears it. */
  CHECK_OK(tandem_client_set_awareness(a.client, "room", NULL, 0, ERR));
  CHECK(wait_for(bp, 2, awareness_has, NULL));
  free_all(s, &a, &b, NULL);
}

static void test_offline_persistence(void) {
  uint16_t port;
  tandem_server *s = start_server("offline-server.db", NULL, &port);
  char off[400];
  tmp_path(off, sizeof off, "offline-client.db");
  /* Offline from the start: edits are stored in the client's outbox. */
  peer a;
  peer_new(&a, port, NULL, off, 0);
  CHECK_OK(tandem_client_subscribe(a.client, "trip", a.doc, ERR));
  set_key(a.doc, "offline", "edit");
  add_count(a.doc, 4);
  int32_t st = -1;
  CHECK_OK(tandem_client_status(a.client, &st, ERR));
  CHECK(st == TANDEM_CLIENT_OFFLINE);
  sleep_ms(100); /* the outbox write is asynchronous; close commits it anyway */
  CHECK_OK(tandem_client_close(a.client, ERR));
  peer_free(&a);

  /* A later client on the same store resends them once online. */
  peer b, c;
  peer_new(&b, port, NULL, off, 1);
  peer_new(&c, port, NULL, NULL, 1);
  CHECK_OK(tandem_client_subscribe(b.client, "trip", b.doc, ERR));
  /* The stored replica is already in b's document. */
  char *jb = json_of(b.doc);
  CHECK(jb && strstr(jb, "\"offline\":\"edit\""));
  free(jb);
  CHECK_OK(tandem_client_subscribe(c.client, "trip", c.doc, ERR));
  peer *bc[2] = {&b, &c};
  CHECK(wait_for(bc, 2, converged, "\"count\":4"));
  free_all(s, &b, &c, NULL);
}

static void test_transaction_open_and_freed_doc(void) {
  peer a, b;
  tandem_server *s = start_pair("busy.db", "t", &a, &b, NULL);
  peer *ab[2] = {&a, &b};
  int synced = TANDEM_CLIENT_SYNCED;
  CHECK(wait_for(ab, 2, status_is, &synced));
  /* A's doc has a transaction open when B's change arrives: the event
   * waits (BUSY) until it is committed. */
  CHECK_OK(tandem_doc_begin_transaction(a.doc, "slow", ERR));
  set_key(b.doc, "k", "v");
  tandem_event ev;
  tandem_event_init(&ev);
  int busy = 0;
  int64_t deadline = now_ms() + WAIT_MS;
  while (!busy && now_ms() < deadline) {
    fd_poll(a.fd, 50);
    tandem_status st = tandem_client_poll_event(a.client, &ev, NULL);
    if (st == TANDEM_E_BUSY) busy = 1;
    else if (st == TANDEM_OK) record(&a, &ev);
  }
  CHECK(busy);
  CHECK(fd_readable(a.fd)); /* the event is still pending */
  CHECK_OK(tandem_doc_commit_transaction(a.doc, NULL, ERR));
  CHECK_OK(tandem_client_poll_event(a.client, &ev, ERR));
  CHECK(ev.type == TANDEM_EVENT_REMOTE_CHANGE && buf_eq(&ev.doc, "t"));
  tandem_event_clear(&ev);
  CHECK(ev.doc.data == NULL && ev.struct_size == sizeof ev);
  CHECK(converged(ab, 2, "\"k\":\"v\""));

  /* A doc freed while bound: the client forgets it; events still arrive. */
  tandem_doc_free(a.doc);
  a.doc = NULL;
  set_key(b.doc, "k2", "v2");
  int remote_before = a.events[TANDEM_EVENT_REMOTE_CHANGE];
  peer *ap[1] = {&a};
  WAIT_WHILE(a.events[TANDEM_EVENT_REMOTE_CHANGE] == remote_before, WAIT_MS, pump(ap, 1, 50));
  CHECK(a.events[TANDEM_EVENT_REMOTE_CHANGE] > remote_before);
  /* The name is still subscribed; a new doc can be bound after unsubscribe. */
  tandem_doc *again = new_doc(99);
  CHECK_FAILS(tandem_client_subscribe(a.client, "t", again, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_client_unsubscribe(a.client, "t", ERR));
  CHECK_OK(tandem_client_subscribe(a.client, "t", again, ERR));
  /* One doc, one subscription. */
  CHECK_FAILS(tandem_client_subscribe(a.client, "t2", again, ERR), TANDEM_E_INVALID_ARG);
  a.doc = again;
  peer *ab2[2] = {&a, &b};
  CHECK(wait_for(ab2, 2, converged, "\"k2\":\"v2\""));
  free_all(s, &a, &b, NULL);
}

static void test_closed_and_null_clients(void) {
  tandem_client_options o;
  tandem_client_options_init(&o);
  CHECK(o.struct_size == sizeof o && o.connect == 1 && o.jitter_percent == 30);
  tandem_client *c = NULL;
  CHECK_FAILS(tandem_client_new(&c, &o, ERR), TANDEM_E_INVALID_ARG); /* no url */
  o.url = "http://127.0.0.1:1/";
  CHECK_FAILS(tandem_client_new(&c, &o, ERR), TANDEM_E_INVALID_ARG);
  o.url = "ws://127.0.0.1:1/";
  o.jitter_percent = 200;
  CHECK_FAILS(tandem_client_new(&c, &o, ERR), TANDEM_E_INVALID_ARG);
  o.jitter_percent = 0;
  o.backoff_count = 2;
  CHECK_FAILS(tandem_client_new(&c, &o, ERR), TANDEM_E_INVALID_ARG);
  o.backoff_count = 0;
  o.struct_size = 4;
  CHECK_FAILS(tandem_client_new(&c, &o, ERR), TANDEM_E_INVALID_ARG);
  o.struct_size = sizeof o;
  CHECK_FAILS(tandem_client_new(&c, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_new(NULL, &o, ERR), TANDEM_E_INVALID_ARG);
  CHECK(c == NULL);

  o.connect = 0;
  CHECK_OK(tandem_client_new(&c, &o, ERR));
  int32_t st = -1;
  CHECK_OK(tandem_client_status(c, &st, ERR));
  CHECK(st == TANDEM_CLIENT_OFFLINE);
  uint64_t peer_id = 0;
  CHECK_OK(tandem_client_peer_id(c, &peer_id, ERR));
  CHECK(peer_id != 0);
  tandem_doc *d = new_doc(5);
  CHECK_FAILS(tandem_client_subscribe(c, "", d, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_subscribe(c, "\xff", d, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_subscribe(c, "x", NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_client_subscribe(c, "x", d, ERR));
  tandem_doc *d2 = new_doc(6);
  CHECK_FAILS(tandem_client_subscribe(c, "x", d2, ERR), TANDEM_E_INVALID_ARG);
  tandem_event ev;
  tandem_event_init(&ev);
  tandem_event bad;
  memset(&bad, 0, sizeof bad);
  CHECK_FAILS(tandem_client_poll_event(c, &bad, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_poll_event(c, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_client_connect(c, ERR));    /* nothing listens on port 1: */
  CHECK_OK(tandem_client_disconnect(c, ERR)); /* attempts fail, then stop */

  CHECK_OK(tandem_client_close(c, ERR));
  int fd = 0;
  tandem_awareness list = {NULL, 0};
  size_t n = 0;
  CHECK_FAILS(tandem_client_close(c, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_connect(c, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_disconnect(c, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_status(c, &st, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_peer_id(c, &peer_id, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_subscribe(c, "y", d2, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_unsubscribe(c, "x", ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_set_awareness(c, "x", (const uint8_t *)"a", 1, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_get_awareness(c, "x", &list, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_poll_event(c, &ev, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_dispatch(c, count_cb, &fd, 0, &n, ERR), TANDEM_E_CLOSED);
  CHECK_FAILS(tandem_client_event_fd(c, &fd, ERR), TANDEM_E_CLOSED);
  /* The doc was unbound by close: it still works, and binds elsewhere. */
  set_key(d, "still", "mine");
  tandem_client_free(c);
  tandem_client_free(NULL);
  tandem_doc_free(d);
  tandem_doc_free(d2);

  CHECK_FAILS(tandem_client_connect(NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_disconnect(NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_close(NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_status(NULL, &st, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_peer_id(NULL, &peer_id, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_subscribe(NULL, "x", NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_unsubscribe(NULL, "x", ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_set_awareness(NULL, "x", NULL, 0, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_get_awareness(NULL, "x", &list, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_poll_event(NULL, &ev, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_dispatch(NULL, count_cb, NULL, 0, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_client_event_fd(NULL, &fd, ERR), TANDEM_E_INVALID_ARG);
  tandem_event_clear(&ev);
  tandem_event_clear(NULL);
  tandem_event_init(NULL);
  tandem_client_options_init(NULL);
  tandem_server_options_init(NULL);
}

/* ---- the documented thread-safe calls, from other threads */

typedef struct hammer {
  tandem_client *client;
  atomic_int *stop;
  int failures;
  int calls;
} hammer;

static void *hammer_run(void *arg) {
  hammer *h = (hammer *)arg;
  char state[32];
  int i = 0;
  while (!atomic_load(h->stop)) {
    int32_t st;
    uint64_t p;
    int fd;
    tandem_awareness list = {NULL, 0};
    if (tandem_client_status(h->client, &st, NULL) != TANDEM_OK) h->failures++;
    if (tandem_client_peer_id(h->client, &p, NULL) != TANDEM_OK) h->failures++;
    if (tandem_client_event_fd(h->client, &fd, NULL) != TANDEM_OK) h->failures++;
    snprintf(state, sizeof state, "cursor %d", i++);
    if (tandem_client_set_awareness(h->client, "shared", (const uint8_t *)state, strlen(state),
                                    NULL) != TANDEM_OK)
      h->failures++;
    if (tandem_client_get_awareness(h->client, "shared", &list, NULL) != TANDEM_OK) h->failures++;
    tandem_awareness_free(&list);
    if (i % 50 == 0) {
      /* Reconnect storms while the host edits. */
      tandem_client_disconnect(h->client, NULL);
      tandem_client_connect(h->client, NULL);
    }
    h->calls++;
    sleep_ms(1);
  }
  return NULL;
}

static void test_thread_safe_calls(void) {
  peer a, b;
  tandem_server *s = start_pair("threads.db", "shared", &a, &b, NULL);
  atomic_int stop;
  atomic_init(&stop, 0);
  hammer h[4] = {{a.client, &stop, 0, 0}, {a.client, &stop, 0, 0}, {b.client, &stop, 0, 0},
                 {b.client, &stop, 0, 0}};
  pthread_t t[4];
  for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, hammer_run, &h[i]);
  /* Meanwhile the host thread edits both documents and takes events. */
  peer *ab[2] = {&a, &b};
  for (int i = 0; i < 40; ++i) {
    add_count(i % 2 ? a.doc : b.doc, 1);
    pump(ab, 2, 5);
  }
  CHECK(wait_for(ab, 2, converged, "\"count\":40"));
  atomic_store(&stop, 1);
  int calls = 0;
  for (int i = 0; i < 4; ++i) {
    pthread_join(t[i], NULL);
    CHECK(h[i].failures == 0);
    calls += h[i].calls;
  }
  CHECK(calls > 0);
  free_all(s, &a, &b, NULL);
}

int main(void) {
  if (!tmpdir_make("net")) return 2;
  CHECK_FAILS(tandem_set_network_log_level(42, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_set_network_log_level(TANDEM_LOG_NONE, ERR));
  RUN(test_server_lifecycle);
  RUN(test_closed_and_null_clients);
  RUN(test_two_clients_converge);
  RUN(test_dispatch_and_wake_callback);
  RUN(test_auth);
  RUN(test_awareness);
  RUN(test_offline_persistence);
  RUN(test_transaction_open_and_freed_doc);
  RUN(test_thread_safe_calls);
  tmpdir_remove();
  return check_report();
}
