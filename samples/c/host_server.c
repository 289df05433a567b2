/* host_server.c — a sync server driven by the host's own event loop: no
 * server thread. The program's poll() loop waits on the server's event fd
 * next to its other fds (here: two clients' event fds), the way a GTK
 * (g_unix_fd_add), Qt (QSocketNotifier), libuv (uv_poll) or epoll loop
 * would, and calls tandem_server_service when the fd is readable or the
 * server's next timer is due. Nothing busy-polls.
 *
 *   host_server
 *
 * The server (port 0, a temporary store) is started with service_mode
 * TANDEM_SERVICE_HOST, so the main thread — the one that starts it — is
 * its service thread: connections are accepted, updates stored and fanned
 * out, and the auth callback asked, only inside tandem_server_service on
 * this thread. Two clients ("ann" and "ben", each with a network thread of
 * its own) bind documents to the server document "notes" and both type
 * into the same text at once, a character every 5 ms. Exits 0 when both
 * documents hold the same text with every character typed (at most 10 s),
 * after a graceful stop from this thread. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tandem/tandem.h"

#define TRY(call)                                                                 \
  do {                                                                            \
    tandem_status st_ = (call);                                                   \
    if (st_ != TANDEM_OK) {                                                       \
      fprintf(stderr, "host_server: %s: %s: %s\n", #call, tandem_status_str(st_), \
              err.message ? err.message : "");                                    \
      exit(1);                                                                    \
    }                                                                             \
  } while (0)

static tandem_error err = {0, NULL};

/* Removes the temporary store directory (its files: db, -lock, -wal, -shm). */
static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[512];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The auth callback. Host-driven, it runs on this (the main) thread, inside
 * tandem_server_service — so it may touch the program's own state without
 * a lock. It counts and lets everyone write. */
static int32_t authorize(void *user_data, const char *token, size_t token_len, const char *doc,
                         size_t doc_len) {
  (void)token, (void)token_len, (void)doc, (void)doc_len;
  ++*(unsigned *)user_data;
  return TANDEM_PERMISSION_WRITE;
}

typedef struct peer {
  const char *name;
  const char *sentence;
  size_t typed; /* characters typed so far */
  tandem_doc *doc;
  tandem_container text;
  tandem_client *client;
} peer;

/* Takes every pending event of a client (remote changes are applied to its
 * document inside tandem_client_poll_event, on this thread). */
static void take_events(peer *p) {
  tandem_event ev;
  tandem_event_init(&ev);
  while (tandem_client_poll_event(p->client, &ev, NULL) == TANDEM_OK) {
  }
  tandem_event_clear(&ev);
}

/* The document's text as a malloc'ed string ("" when it has none yet). */
static char *read_text(peer *p) {
  tandem_container t;
  tandem_buf b = {NULL, 0};
  char *out;
  if (tandem_doc_resolve(p->doc, "/body", &t, NULL) != TANDEM_OK ||
      tandem_text_read(p->doc, &t, &b, NULL) != TANDEM_OK) {
    out = malloc(1);
    if (out) out[0] = '\0';
    return out;
  }
  out = malloc(b.len + 1);
  if (out) {
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
  }
  tandem_buf_free(&b);
  return out;
}

int main(void) {
  tandem_set_network_log_level(TANDEM_LOG_ERROR, NULL);
  char dir[] = "/tmp/tandem-host-server-XXXXXX", db[64], url[64];
  if (!mkdtemp(dir)) return 1;
  snprintf(db, sizeof db, "%s/server.db", dir);

  /* 1. A host-driven server: _init, then service_mode. Starting it makes
   *    this thread its service thread; nothing runs until we service it. */
  unsigned asked = 0;
  tandem_server_options so;
  tandem_server_options_init(&so);
  so.db_path = db;
  so.auth = authorize;
  so.auth_user_data = &asked;
  so.service_mode = TANDEM_SERVICE_HOST;
  tandem_server *server = NULL;
  TRY(tandem_server_new(&server, &so, &err));
  TRY(tandem_server_start(server, &err));
  uint16_t port = 0;
  TRY(tandem_server_listen_port(server, &port, &err));
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)port);
  printf("serving %s from this thread\n", url);

  /* 2. Two clients. Their network threads connect right away; the server
   *    accepts them in our loop below. */
  peer peers[2] = {{"ann", "Ann was here. ", 0, NULL, {0, 0, 0}, NULL},
                   {"ben", "Ben too. ", 0, NULL, {0, 0, 0}, NULL}};
  for (int i = 0; i < 2; ++i) {
    tandem_container root;
    TRY(tandem_doc_new(&peers[i].doc, TANDEM_PEER_RANDOM, NULL, &err));
    TRY(tandem_doc_root(peers[i].doc, &root, &err));
    TRY(tandem_map_get_or_create(peers[i].doc, &root, "body", TANDEM_CONTAINER_TEXT,
                                 &peers[i].text, &err));
    tandem_client_options co;
    tandem_client_options_init(&co);
    co.url = url;
    co.token = peers[i].name;
    TRY(tandem_client_new(&peers[i].client, &co, &err));
    TRY(tandem_client_subscribe(peers[i].client, "notes", peers[i].doc, &err));
  }

  /* 3. The loop. fds[0] is the server's: readable when it has work. The
   *    timeout is the smallest of the server's (its next timer; 0 = service
   *    now) and our own typing timer. */
  struct pollfd fds[3];
  TRY(tandem_server_fd(server, &fds[0].fd, &err));
  TRY(tandem_client_event_fd(peers[0].client, &fds[1].fd, &err));
  TRY(tandem_client_event_fd(peers[1].client, &fds[2].fd, &err));
  for (int i = 0; i < 3; ++i) fds[i].events = POLLIN;
  int64_t deadline = now_ms() + 10000, next_key = now_ms() + 5;
  int converged = 0, services = 0;
  while (!converged && now_ms() < deadline) {
    int32_t server_ms = -1;
    TRY(tandem_server_timeout(server, &server_ms, &err));
    int64_t key_ms = next_key - now_ms();
    if (key_ms < 0) key_ms = 0;
    int timeout = server_ms >= 0 && server_ms < key_ms ? server_ms : (int)key_ms;
    poll(fds, 3, timeout);

    /* The server: always service when poll returned — with 0 it does only
     * what is ready, so a spurious call costs one non-blocking pass. */
    TRY(tandem_server_service(server, 0, &err));
    ++services;

    for (int i = 0; i < 2; ++i)
      if (fds[1 + i].revents & POLLIN) take_events(&peers[i]);

    /* Our own work: each peer types one more character of its sentence at
     * the end of the text it sees. */
    if (now_ms() >= next_key) {
      for (int i = 0; i < 2; ++i) {
        peer *p = &peers[i];
        if (p->typed == strlen(p->sentence)) continue;
        uint64_t len = 0;
        TRY(tandem_text_len(p->doc, &p->text, TANDEM_UNIT_UTF8, &len, &err));
        TRY(tandem_text_insert(p->doc, &p->text, len, TANDEM_UNIT_UTF8, p->sentence + p->typed,
                               1, &err));
        ++p->typed;
      }
      next_key = now_ms() + 5;
    }

    if (peers[0].typed == strlen(peers[0].sentence) &&
        peers[1].typed == strlen(peers[1].sentence)) {
      char *a = read_text(&peers[0]), *b = read_text(&peers[1]);
      /* Both typed at the end of what they saw, so their keystrokes
       * interleave; what matters is that both hold the same text, with
       * every character of both. */
      converged = a && b && strcmp(a, b) == 0 &&
                  strlen(a) == strlen(peers[0].sentence) + strlen(peers[1].sentence);
      if (converged) printf("both read: \"%s\"\n", a);
      free(a);
      free(b);
    }
  }
  printf("%s after %d services; the auth callback was asked %u times\n",
         converged ? "converged" : "NOT converged", services, asked);

  /* 4. Clients first (they would otherwise see the server go and retry),
   *    then a graceful stop from this, the service thread: it runs the
   *    server's loop itself until every connection is closed and every
   *    write is durable. */
  for (int i = 0; i < 2; ++i) {
    tandem_client_free(peers[i].client);
    tandem_doc_free(peers[i].doc);
  }
  TRY(tandem_server_stop(server, &err));
  tandem_server_free(server);
  remove_dir(dir);
  return converged ? 0 : 1;
}
