/* two_clients.c — edit one shared document from two clients and watch them
 * converge.
 *
 *   two_clients [ws://host:port/]
 *
 * Without a URL it embeds its own server (port 0, a temporary store). Two
 * clients ("alice" and "bob") each bind a document of their own to the
 * server document "shopping", edit it concurrently — both append to the
 * same list, both bump the same counter, both rename the list — and take
 * events until both documents hold the same JSON. Exits 0 when they
 * converged within 10 seconds.
 *
 * Threads: everything here runs on the main thread (the "host thread").
 * Each client has a network thread of its own; remote changes are applied
 * to our documents only when we take the events that announce them
 * (tandem_client_poll_event), so the documents never need a lock. */
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
      fprintf(stderr, "two_clients: %s: %s: %s\n", #call, tandem_status_str(st_), \
              err.message ? err.message : "");                                    \
      exit(1);                                                                    \
    }                                                                             \
  } while (0)

static tandem_error err = {0, NULL};

typedef struct person {
  const char *name;
  tandem_client *client;
  tandem_doc *doc;
} person;

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

static const char *event_name(int32_t type) {
  switch (type) {
    case TANDEM_EVENT_STATUS: return "status";
    case TANDEM_EVENT_SYNCED: return "synced";
    case TANDEM_EVENT_REMOTE_CHANGE: return "remote change";
    case TANDEM_EVENT_ACKED: return "acked";
    case TANDEM_EVENT_AWARENESS: return "awareness";
    case TANDEM_EVENT_PERMISSION: return "permission";
    case TANDEM_EVENT_ERROR: return "error";
    default: return "other";
  }
}

/* Takes every pending event of one person. Remote edits land in p->doc
 * inside tandem_client_poll_event, on this thread. */
static void take_events(person *p) {
  tandem_event ev;
  tandem_event_init(&ev);
  while (tandem_client_poll_event(p->client, &ev, NULL) == TANDEM_OK) {
    printf("  %-5s: %s %s%s\n", p->name, event_name(ev.type), ev.doc.data ? (char *)ev.doc.data : "",
           ev.type == TANDEM_EVENT_ERROR ? (char *)ev.message.data : "");
  }
  tandem_event_clear(&ev); /* poll reuses the struct; clear after the last one */
}

static char *json(tandem_doc *d) {
  tandem_buf b = {NULL, 0};
  TRY(tandem_doc_to_json(d, NULL, &b, &err));
  char *s = malloc(b.len + 1);
  memcpy(s, b.data, b.len + 1); /* returned strings are NUL-terminated */
  tandem_buf_free(&b);
  return s;
}

static int same_json(person *a, person *b) {
  char *x = json(a->doc), *y = json(b->doc);
  int same = strcmp(x, y) == 0 && strstr(x, "eggs") && strstr(x, "milk");
  free(x);
  free(y);
  return same;
}

/* One person's edits, in one transaction (one update on the wire). */
static void shop(person *p, const char *item, int64_t votes) {
  tandem_container root, items, count;
  tandem_value v;
  TRY(tandem_doc_root(p->doc, &root, &err));
  TRY(tandem_doc_begin_transaction(p->doc, p->name, &err));
  /* get_or_create: both people get the same list, even concurrently. */
  TRY(tandem_map_get_or_create(p->doc, &root, "items", TANDEM_CONTAINER_LIST, &items, &err));
  v = tandem_value_string(item);
  TRY(tandem_list_push(p->doc, &items, &v, &err));
  TRY(tandem_map_get_or_create(p->doc, &root, "votes", TANDEM_CONTAINER_COUNTER, &count, &err));
  TRY(tandem_counter_add(p->doc, &count, votes, &err));
  v = tandem_value_string(p->name); /* last writer wins, the same on both sides */
  TRY(tandem_map_set(p->doc, &root, "edited_by", &v, &err));
  TRY(tandem_doc_commit_transaction(p->doc, NULL, &err));
}

int main(int argc, char **argv) {
  tandem_set_network_log_level(TANDEM_LOG_ERROR, NULL);
  char url[128];
  char dir[] = "/tmp/tandem-two-XXXXXX", db[64];
  tandem_server *server = NULL;
  if (argc > 1) {
    snprintf(url, sizeof url, "%s", argv[1]);
  } else {
    /* An embedded server: see embed_server.c. */
    if (!mkdtemp(dir)) return 1;
    snprintf(db, sizeof db, "%s/server.db", dir);
    tandem_server_options so;
    tandem_server_options_init(&so);
    so.db_path = db;
    TRY(tandem_server_new(&server, &so, &err));
    TRY(tandem_server_start(server, &err));
    uint16_t port = 0;
    TRY(tandem_server_listen_port(server, &port, &err));
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)port);
  }
  printf("server %s\n", url);

  /* Two clients, each with the document it edits. */
  person people[2] = {{"alice", NULL, NULL}, {"bob", NULL, NULL}};
  for (int i = 0; i < 2; ++i) {
    tandem_client_options co;
    tandem_client_options_init(&co);
    co.url = url;
    co.token = people[i].name; /* what the server's auth callback sees */
    TRY(tandem_client_new(&people[i].client, &co, &err));
    TRY(tandem_doc_new(&people[i].doc, TANDEM_PEER_RANDOM, NULL, &err));
    TRY(tandem_client_subscribe(people[i].client, "shopping", people[i].doc, &err));
  }

  /* Concurrent edits: nobody waits for the other. */
  shop(&people[0], "milk", 1);
  shop(&people[1], "eggs", 2);

  /* Wait on both event fds with poll(2) and take events until converged. */
  struct pollfd fds[2];
  for (int i = 0; i < 2; ++i) {
    TRY(tandem_client_event_fd(people[i].client, &fds[i].fd, &err));
    fds[i].events = POLLIN;
  }
  int64_t deadline = now_ms() + 10000;
  int converged = 0;
  while (!converged && now_ms() < deadline) {
    if (poll(fds, 2, 100) > 0) {
      for (int i = 0; i < 2; ++i)
        if (fds[i].revents & POLLIN) take_events(&people[i]);
    }
    converged = same_json(&people[0], &people[1]);
  }

  for (int i = 0; i < 2; ++i) {
    char *j = json(people[i].doc);
    printf("%-5s sees %s\n", people[i].name, j);
    free(j);
  }
  printf(converged ? "converged\n" : "did NOT converge within 10 s\n");

  /* Free clients before the documents they are bound to (freeing a bound
   * document first is fine too: it unbinds itself). */
  for (int i = 0; i < 2; ++i) {
    tandem_client_free(people[i].client);
    tandem_doc_free(people[i].doc);
  }
  tandem_server_free(server);
  if (server) remove_dir(dir); /* we made it: clean up */
  return converged ? 0 : 1;
}
