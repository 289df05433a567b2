/* Every client and server call tandem.h documents as usable from several
 * threads, used from several threads at once, with results checked afterwards. Built and run
 * under ThreadSanitizer by `.ci/test` (stage tsan, -DTANDEM_TSAN=ON), which
 * turns any data race inside the library into a failure.
 *
 * Clients and a server: a real server on 127.0.0.1 (port 0, a temporary
 *    SQLite file, an auth callback). Each client has its own host thread
 *    (subscribe, edits of the bound doc, poll_event/dispatch on the event
 *    fd, unsubscribe/resubscribe) while the network threads deliver;
 *    other threads hammer the thread-safe client calls (status, peer_id,
 *    event_fd, set/get_awareness, disconnect/connect storms) and the server
 *    calls (reauthorize, revoke_token, listen_port); a wake callback calls
 *    tandem_client_status from the network thread. One client is closed on
 *    its host thread while another thread keeps calling it. Afterwards the
 *    replicas and the server's stored document are the same, with every
 *    edit counted; then the server is stopped from another thread while
 *    the host threads keep taking events, and every client sees it.
 *
 * Threads record failures in their own `tlog` (thread_check.h), which the
 * main thread checks after joining them. Every wait is bounded (WAIT_MS). */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "net_util.h"
#include "thread_check.h"

#define WAIT_MS 30000

#define HOSTS 3 /* clients, each with its own host thread */
#define HOST_EDITS 24
#define HAMMERS 2

static tandem_server* server;
static atomic_int auth_calls;
static atomic_int stop_hammers;
static atomic_int hosts_edited;    /* host threads done editing */
static atomic_int hosts_converged; /* host threads holding every edit */
static atomic_int subscribed;      /* clients subscribed to "shared" */
static atomic_int server_stopped;  /* set after tandem_server_stop returned */
static atomic_int victim_synced;   /* the victim client is online: revoke it */
static atomic_int victim_revoked;

/* "writer*" may write, "victim*" too until revoked, anything else is
 * refused. Network thread. */
static int32_t auth_cb(void* user_data, const char* token, size_t token_len, const char* doc,
                       size_t doc_len) {
  (void)user_data;
  (void)doc;
  (void)doc_len;
  atomic_fetch_add(&auth_calls, 1);
  if (token_len >= 6 && memcmp(token, "writer", 6) == 0) return TANDEM_PERMISSION_WRITE;
  if (token_len >= 6 && memcmp(token, "victim", 6) == 0) return TANDEM_PERMISSION_WRITE;
  return TANDEM_PERMISSION_NONE;
}

typedef struct wake_state {
  _Atomic(tandem_client*) client;
  atomic_int wakes;
  atomic_int status_calls_ok;
} wake_state;

/* Network thread: only atomics and the thread-safe client calls. */
static void on_wake(void* user_data) {
  wake_state* ws = (wake_state*)user_data;
  atomic_fetch_add(&ws->wakes, 1);
  tandem_client* c = atomic_load(&ws->client);
  int32_t st = -1;
  if (c && tandem_client_status(c, &st, NULL) == TANDEM_OK && st >= TANDEM_CLIENT_OFFLINE &&
      st <= TANDEM_CLIENT_SYNCED)
    atomic_fetch_add(&ws->status_calls_ok, 1);
}

typedef struct host {
  int id;
  char token[32];
  tandem_client* client;
  tandem_doc* doc; /* bound to "shared"; this thread's only */
  wake_state wake;
  int events[9];
  int statuses[4];
  int offline_after_stop;
  int resubscribes;
  char json[8192];
  tlog log;
} host;

static host hosts[HOSTS + 1]; /* the last one is the victim */

static void host_client_new(host* h, uint16_t port) {
  char url[64];
  uint32_t backoff[] = {20, 50, 100};
  tandem_client_options o;
  client_options_for(&o, url, sizeof url, port);
  o.token = h->token;
  o.backoff_ms = backoff;
  o.backoff_count = 3;
  o.wake = on_wake;
  o.wake_user_data = &h->wake;
  CHECK_OK(tandem_client_new(&h->client, &o, ERR));
  if (!h->client) exit(2);
  atomic_store(&h->wake.client, h->client);
}

static void record(host* h, const tandem_event* ev) {
  if (ev->type > 0 && ev->type < 9) h->events[ev->type]++;
  if (ev->type == TANDEM_EVENT_STATUS && ev->status >= 0 && ev->status < 4) {
    h->statuses[ev->status]++;
    if (ev->status == TANDEM_CLIENT_OFFLINE && atomic_load(&server_stopped))
      h->offline_after_stop++;
  }
}

static int32_t record_cb(void* user_data, const tandem_event* ev) {
  record((host*)user_data, ev);
  return 0;
}

/* Waits at most `ms` for the event fd, then takes what is pending, with
 * poll_event or dispatch in turn. */
static void host_pump(host* h, int ms, int use_dispatch) {
  int fd = -1;
  TCHECK_OK(&h->log, tandem_client_event_fd(h->client, &fd, TERR));
  if (fd_poll(fd, ms) <= 0) return;
  if (use_dispatch) {
    size_t n = 0;
    TCHECK_OK(&h->log, tandem_client_dispatch(h->client, record_cb, h, 0, &n, TERR));
    return;
  }
  tandem_event ev;
  tandem_event_init(&ev);
  for (;;) {
    tandem_error e = {0, NULL};
    tandem_status st = tandem_client_poll_event(h->client, &ev, &e);
    if (st == TANDEM_E_AGAIN) {
      tandem_error_clear(&e);
      break;
    }
    h->log.checks++;
    if (st != TANDEM_OK) {
      tlog_fail(&h->log, __FILE__, __LINE__, "poll_event: %s: %s", tandem_status_str(st),
                e.message ? e.message : "");
      tandem_error_clear(&e);
      break;
    }
    record(h, &ev);
  }
  tandem_event_clear(&ev);
}

/* Makes the host's document and binds it to "shared" (counted in
 * `subscribed`); 0 if there is no document. */
static int host_subscribe(host* h) {
  TCHECK_OK(&h->log, tandem_doc_new(&h->doc, TANDEM_PEER_RANDOM, NULL, TERR));
  if (!h->doc) return 0;
  TCHECK_OK(&h->log, tandem_client_subscribe(h->client, "shared", h->doc, TERR));
  atomic_fetch_add(&subscribed, 1);
  return 1;
}

static int host_has_all(host* h) {
  char* j = json_of(h->doc);
  int ok = json_number(j, "count") == HOSTS * HOST_EDITS;
  for (int k = 0; ok && k < HOSTS; ++k) {
    char key[32];
    snprintf(key, sizeof key, "\"by%d\":%d", k, HOST_EDITS - 1);
    ok = strstr(j, key) != NULL;
  }
  free(j);
  return ok;
}

static void* host_run(void* arg) {
  host* h = (host*)arg;
  if (!host_subscribe(h)) return NULL;
  tandem_container root;
  tandem_doc_root(h->doc, &root, NULL);
  char side[32];
  snprintf(side, sizeof side, "side-%d", h->id);
  tandem_doc* side_doc = NULL;
  for (int i = 0; i < HOST_EDITS; ++i) {
    tandem_container count, text;
    TCHECK_OK(&h->log, tandem_doc_begin_transaction(h->doc, "host", TERR));
    TCHECK_OK(&h->log, tandem_map_get_or_create(h->doc, &root, "count", TANDEM_CONTAINER_COUNTER,
                                                &count, TERR));
    TCHECK_OK(&h->log, tandem_counter_add(h->doc, &count, 1, TERR));
    TCHECK_OK(&h->log,
              tandem_map_get_or_create(h->doc, &root, "text", TANDEM_CONTAINER_TEXT, &text, TERR));
    char c = (char)('a' + h->id);
    TCHECK_OK(&h->log, tandem_text_insert(h->doc, &text, 0, TANDEM_UNIT_UTF8, &c, 1, TERR));
    char key[32];
    snprintf(key, sizeof key, "by%d", h->id);
    tandem_value v = tandem_value_int(i);
    TCHECK_OK(&h->log, tandem_map_set(h->doc, &root, key, &v, TERR));
    TCHECK_OK(&h->log, tandem_doc_commit_transaction(h->doc, NULL, TERR));
    /* A second subscription comes and goes while the hammers call
     * set_awareness on it (NOT_FOUND or OK). */
    if (i % 8 == 0) {
      TCHECK_OK(&h->log, tandem_doc_new(&side_doc, TANDEM_PEER_RANDOM, NULL, TERR));
      if (side_doc) TCHECK_OK(&h->log, tandem_client_subscribe(h->client, side, side_doc, TERR));
    } else if (i % 8 == 4 && side_doc) {
      TCHECK_OK(&h->log, tandem_client_unsubscribe(h->client, side, TERR));
      tandem_doc_free(side_doc);
      side_doc = NULL;
      h->resubscribes++;
    }
    host_pump(h, 2, i % 2);
  }
  if (side_doc) {
    TCHECK_OK(&h->log, tandem_client_unsubscribe(h->client, side, TERR));
    tandem_doc_free(side_doc);
  }
  atomic_fetch_add(&hosts_edited, 1);
  /* Take events until every host's edits are in this replica. */
  int all = 0, round = 0;
  WAIT_WHILE(!(all = host_has_all(h)), WAIT_MS, host_pump(h, 20, round++ % 2));
  TCHECK(&h->log, all);
  char* j = json_of(h->doc);
  if (j && strlen(j) < sizeof h->json) strcpy(h->json, j);
  free(j);
  atomic_fetch_add(&hosts_converged, 1);
  /* Keep taking events until the server (stopped by another thread) is
   * gone; the network thread keeps reconnecting meanwhile. */
  WAIT_WHILE(h->offline_after_stop == 0, WAIT_MS, host_pump(h, 20, round++ % 2));
  TCHECK(&h->log, h->offline_after_stop > 0);
  return NULL;
}

/* The victim: synced, revoked by the admin thread, then closed on its host
 * thread while a hammer keeps calling it. */
static void* victim_run(void* arg) {
  host* h = (host*)arg;
  if (!host_subscribe(h)) return NULL;
  WAIT_WHILE(h->statuses[TANDEM_CLIENT_SYNCED] == 0, WAIT_MS, host_pump(h, 20, 0));
  TCHECK(&h->log, h->statuses[TANDEM_CLIENT_SYNCED] > 0);
  int offline_before = h->statuses[TANDEM_CLIENT_OFFLINE];
  atomic_store(&victim_synced, 1);
  WAIT_WHILE(!atomic_load(&victim_revoked), WAIT_MS, host_pump(h, 20, 1));
  /* Revoked: the server closed the connection before revoke returned. */
  WAIT_WHILE(h->statuses[TANDEM_CLIENT_OFFLINE] == offline_before, WAIT_MS, host_pump(h, 20, 0));
  TCHECK(&h->log, h->statuses[TANDEM_CLIENT_OFFLINE] > offline_before);
  int synced_before = h->statuses[TANDEM_CLIENT_SYNCED];
  WAIT_WHILE(1, 300, host_pump(h, 20, 1));
  TCHECK(&h->log, h->statuses[TANDEM_CLIENT_SYNCED] == synced_before); /* never again */
  TCHECK_OK(&h->log, tandem_client_close(h->client, TERR));
  TCHECK_ST2(&h->log, tandem_client_close(h->client, TERR), TANDEM_E_CLOSED, TANDEM_E_CLOSED);
  return NULL;
}

typedef struct hammer {
  int id;
  int calls;
  int closed_seen; /* CLOSED answers from the victim after its close */
  tlog log;
} hammer;

/* The thread-safe client calls on every client, reconnect storms included,
 * until told to stop and the victim's close has been seen. Ends with every
 * client connected (its last call on each is _connect). */
static void* hammer_run(void* arg) {
  hammer* hm = (hammer*)arg;
  int i = 0;
  int64_t deadline = now_ms() + 2 * WAIT_MS;
  /* "shared" is subscribed on the host threads: until then NOT_FOUND. */
  while (atomic_load(&subscribed) < HOSTS + 1 && now_ms() < deadline) sleep_ms(1);
  while ((!atomic_load(&stop_hammers) || hm->closed_seen == 0) && now_ms() < deadline) {
    for (int k = 0; k <= HOSTS; ++k) {
      host* h = &hosts[k];
      int victim = k == HOSTS;
      /* The victim may be closed at any moment: CLOSED is then the answer. */
      tandem_status alt = victim ? TANDEM_E_CLOSED : TANDEM_OK;
      int32_t st = -1;
      uint64_t peer = 0;
      int fd = -1;
      tandem_error e = {0, NULL};
      tandem_status s = tandem_client_status(h->client, &st, &e);
      tandem_error_clear(&e);
      hm->log.checks++;
      if (s == TANDEM_OK) {
        TCHECK(&hm->log, st >= TANDEM_CLIENT_OFFLINE && st <= TANDEM_CLIENT_SYNCED);
      } else if (s == TANDEM_E_CLOSED && victim) {
        hm->closed_seen++;
      } else {
        tlog_fail(&hm->log, __FILE__, __LINE__, "status: %s", tandem_status_str(s));
      }
      TCHECK_ST2(&hm->log, tandem_client_peer_id(h->client, &peer, TERR), TANDEM_OK, alt);
      TCHECK_ST2(&hm->log, tandem_client_event_fd(h->client, &fd, TERR), TANDEM_OK, alt);
      char state[48];
      snprintf(state, sizeof state, "{\"cursor\":%d,\"by\":%d}", i, hm->id);
      TCHECK_ST2(&hm->log,
                 tandem_client_set_awareness(h->client, "shared", (const uint8_t*)state,
                                             strlen(state), TERR),
                 TANDEM_OK, alt);
      tandem_awareness list = {NULL, 0};
      tandem_error ae = {0, NULL};
      s = tandem_client_get_awareness(h->client, "shared", &list, &ae);
      hm->log.checks++;
      if (s == TANDEM_OK) {
        for (size_t n = 0; n < list.count; ++n)
          TCHECK(&hm->log, list.items[n].state.len > 0 && list.items[n].peer_id != 0);
      } else if (s != alt) {
        tlog_fail(&hm->log, __FILE__, __LINE__, "get_awareness: %s: %s", tandem_status_str(s),
                  ae.message ? ae.message : "");
      }
      tandem_error_clear(&ae);
      tandem_awareness_free(&list);
      if (!victim) {
        char side[32];
        snprintf(side, sizeof side, "side-%d", k);
        TCHECK_ST2(&hm->log,
                   tandem_client_set_awareness(h->client, side, (const uint8_t*)"x", 1, TERR),
                   TANDEM_OK, TANDEM_E_NOT_FOUND);
        if ((i + hm->id) % 40 == 39) {
          /* A reconnect storm while the host edits. */
          TCHECK_OK(&hm->log, tandem_client_disconnect(h->client, TERR));
          TCHECK_OK(&hm->log, tandem_client_connect(h->client, TERR));
        }
      }
      hm->calls++;
    }
    ++i;
    sleep_ms(1);
  }
  for (int k = 0; k < HOSTS; ++k) TCHECK_OK(&hm->log, tandem_client_connect(hosts[k].client, TERR));
  return NULL;
}

typedef struct admin {
  int reauthorizations;
  tlog log;
} admin;

/* The thread-safe server calls while clients come and go. */
static void* admin_run(void* arg) {
  admin* a = (admin*)arg;
  int64_t deadline = now_ms() + WAIT_MS;
  int i = 0;
  while ((atomic_load(&hosts_edited) < HOSTS || !atomic_load(&victim_revoked)) &&
         now_ms() < deadline) {
    uint16_t port = 0;
    TCHECK_OK(&a->log, tandem_server_listen_port(server, &port, TERR));
    TCHECK(&a->log, port > 0);
    TCHECK_OK(&a->log, tandem_server_reauthorize(server, TERR));
    a->reauthorizations++;
    if (i % 5 == 0) {
      char token[32];
      snprintf(token, sizeof token, "nobody-%d", i);
      TCHECK_OK(&a->log, tandem_server_revoke_token(server, token, TERR));
    }
    if (atomic_load(&victim_synced) && !atomic_load(&victim_revoked)) {
      TCHECK_OK(&a->log, tandem_server_revoke_token(server, hosts[HOSTS].token, TERR));
      atomic_store(&victim_revoked, 1);
    }
    ++i;
    sleep_ms(5);
  }
  TCHECK(&a->log, atomic_load(&hosts_edited) == HOSTS && atomic_load(&victim_revoked));
  return NULL;
}

typedef struct stopper {
  tlog log;
} stopper;

static void* stopper_run(void* arg) {
  stopper* s = (stopper*)arg;
  TCHECK_OK(&s->log, tandem_server_stop(server, TERR));
  atomic_store(&server_stopped, 1);
  uint16_t port = 0;
  TCHECK_ST2(&s->log, tandem_server_listen_port(server, &port, TERR), TANDEM_E_CLOSED,
             TANDEM_E_CLOSED);
  TCHECK_OK(&s->log, tandem_server_reauthorize(server, TERR)); /* a no-op when stopped */
  return NULL;
}

static void test_clients_and_server(void) {
  char db[320];
  tandem_server_options so;
  server_options_in_tmp(&so, db, sizeof db, "server.db", auth_cb, NULL);
  so.sync = TANDEM_SYNC_NORMAL;
  CHECK_OK(tandem_server_new(&server, &so, ERR));
  if (!server) return;
  CHECK_OK(tandem_server_start(server, ERR));
  uint16_t port = 0;
  CHECK_OK(tandem_server_listen_port(server, &port, ERR));

  memset(hosts, 0, sizeof hosts);
  for (int k = 0; k <= HOSTS; ++k) {
    hosts[k].id = k;
    snprintf(hosts[k].token, sizeof hosts[k].token, k < HOSTS ? "writer-%d" : "victim-%d", k);
    atomic_init(&hosts[k].wake.client, NULL);
    atomic_init(&hosts[k].wake.wakes, 0);
    atomic_init(&hosts[k].wake.status_calls_ok, 0);
    host_client_new(&hosts[k], port); /* made here, used on its host thread */
  }
  atomic_store(&stop_hammers, 0);
  atomic_store(&hosts_edited, 0);
  atomic_store(&hosts_converged, 0);
  atomic_store(&subscribed, 0);
  atomic_store(&server_stopped, 0);
  atomic_store(&victim_synced, 0);
  atomic_store(&victim_revoked, 0);

  pthread_t ht[HOSTS + 1], mt[HAMMERS], at, st;
  hammer hm[HAMMERS];
  admin ad;
  stopper sp;
  memset(hm, 0, sizeof hm);
  memset(&ad, 0, sizeof ad);
  memset(&sp, 0, sizeof sp);
  for (int k = 0; k < HOSTS; ++k) CHECK(pthread_create(&ht[k], NULL, host_run, &hosts[k]) == 0);
  CHECK(pthread_create(&ht[HOSTS], NULL, victim_run, &hosts[HOSTS]) == 0);
  for (int k = 0; k < HAMMERS; ++k) {
    hm[k].id = k;
    CHECK(pthread_create(&mt[k], NULL, hammer_run, &hm[k]) == 0);
  }
  CHECK(pthread_create(&at, NULL, admin_run, &ad) == 0);

  /* Until every host has made its edits (and the victim is closed), the
   * hammers and the admin thread keep going. */
  CHECK(pthread_join(ht[HOSTS], NULL) == 0);
  CHECK(pthread_join(at, NULL) == 0);
  atomic_store(&stop_hammers, 1);
  for (int k = 0; k < HAMMERS; ++k) CHECK(pthread_join(mt[k], NULL) == 0);

  /* Wait until the hosts have converged (they copy their JSON), then stop
   * the server from another thread while they keep taking events. */
  WAIT_WHILE(atomic_load(&hosts_converged) < HOSTS, WAIT_MS, sleep_ms(20));
  CHECK(atomic_load(&hosts_converged) == HOSTS);
  sleep_ms(100); /* let the last acks land; the stop is graceful anyway */
  CHECK(pthread_create(&st, NULL, stopper_run, &sp) == 0);
  CHECK(pthread_join(st, NULL) == 0);
  for (int k = 0; k < HOSTS; ++k) CHECK(pthread_join(ht[k], NULL) == 0);

  check_log("stopper", &sp.log);
  check_log("admin", &ad.log);
  CHECK(ad.reauthorizations > 0);
  int calls = 0, closed_seen = 0;
  for (int k = 0; k < HAMMERS; ++k) {
    check_log("hammer", &hm[k].log);
    calls += hm[k].calls;
    closed_seen += hm[k].closed_seen;
  }
  CHECK(calls > 0);
  CHECK(closed_seen >= HAMMERS); /* the hammers outlived the victim's close */
  fprintf(stderr,
          "  net: %d hosts x %d edits, %d hammer calls (%d CLOSED after close), %d "
          "reauthorizations, %d auth calls\n",
          HOSTS, HOST_EDITS, calls, closed_seen, ad.reauthorizations, atomic_load(&auth_calls));
  check_log("victim", &hosts[HOSTS].log);
  CHECK(atomic_load(&auth_calls) > 2 * (HOSTS + 1));
  for (int k = 0; k < HOSTS; ++k) {
    host* h = &hosts[k];
    char who[32];
    snprintf(who, sizeof who, "host %d", k);
    check_log(who, &h->log);
    CHECK(h->statuses[TANDEM_CLIENT_SYNCED] >= 1 && h->events[TANDEM_EVENT_SYNCED] >= 1);
    CHECK(h->events[TANDEM_EVENT_REMOTE_CHANGE] >= 1 && h->events[TANDEM_EVENT_ACKED] >= 1);
    CHECK(h->events[TANDEM_EVENT_AWARENESS] >= 1);
    CHECK(h->resubscribes >= 2);
    CHECK(atomic_load(&h->wake.wakes) >= 1 && atomic_load(&h->wake.status_calls_ok) >= 1);
    /* Every replica holds every edit, the same way. */
    CHECK(json_number(h->json, "count") == HOSTS * HOST_EDITS);
    CHECK(strcmp(h->json, hosts[0].json) == 0);
  }
  char* text_expected = hosts[0].json;
  for (int k = 0; k <= HOSTS; ++k) {
    tandem_client_free(hosts[k].client);
    tandem_doc_free(hosts[k].doc);
  }
  tandem_server_free(server);
  server = NULL;

  /* The server stored the same document. */
  tandem_store* s = NULL;
  CHECK_OK(tandem_store_open(&s, db, NULL, ERR));
  if (s) {
    tandem_doc* d = NULL;
    CHECK_OK(tandem_store_load_doc(&d, s, "shared", 1, NULL, ERR));
    char* j = d ? json_of(d) : NULL;
    CHECK(j && strcmp(j, text_expected) == 0);
    free(j);
    tandem_doc_free(d);
    tandem_store_free(s);
  }
  remove_store_files(db);
}

int main(void) {
  if (!tmpdir_make("net-threads")) return 2;
  CHECK_OK(tandem_set_network_log_level(TANDEM_LOG_NONE, ERR));
  RUN(test_clients_and_server);
  tmpdir_remove();
  return check_report();
}
