/* host_loop.c — a host-driven event loop: the program's own poll() loop
 * waits on the client's wake-up fd next to its other work, the way a GTK
 * (g_unix_fd_add), Qt (QSocketNotifier), libuv (uv_poll) or epoll loop
 * would, so nothing busy-polls and nothing Tandem does runs on the host's
 * documents behind its back.
 *
 *   host_loop [ws://host:port/]
 *
 * The "editor" client types a sentence into a text, one word every 50 ms,
 * driven by the loop's timer. A second "viewer" client (with its own loop
 * iteration, same thread here) follows along; an observer on the viewer's
 * document prints each change as it is applied. Exits 0 when the viewer
 * holds the whole sentence (at most 10 s). Without a URL it embeds its own
 * server. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tandem/tandem.h"

#define TRY(call)                                                               \
  do {                                                                          \
    tandem_status st_ = (call);                                                 \
    if (st_ != TANDEM_OK) {                                                     \
      fprintf(stderr, "host_loop: %s: %s: %s\n", #call, tandem_status_str(st_), \
              err.message ? err.message : "");                                  \
      exit(1);                                                                  \
    }                                                                           \
  } while (0)

static tandem_error err = {0, NULL};
static const char *const words[] = {"Tandem ", "keeps ", "every ", "replica ", "in ",
                                    "step, ", "even ", "from ", "a ", "plain ", "C ", "loop."};
#define WORDS (sizeof words / sizeof words[0])

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

/* A document observer: runs on this thread, inside tandem_client_poll_event,
 * when a remote change is applied. The event is borrowed for the call. */
static void on_viewer_change(void *user_data, const tandem_change_event *ev) {
  (void)user_data;
  for (size_t i = 0; i < ev->change_count; ++i) {
    const tandem_change *c = &ev->changes[i];
    for (size_t s = 0; s < c->text_step_count; ++s) {
      if (c->text_steps[s].kind == TANDEM_STEP_INSERT)
        printf("  viewer: +\"%.*s\" (%s)\n", (int)c->text_steps[s].len, c->text_steps[s].text,
               ev->local ? "local" : "remote");
    }
  }
}

/* Takes every pending event. Returns how many were taken. */
static int take_events(tandem_client *client, const char *who) {
  int n = 0;
  tandem_event ev;
  tandem_event_init(&ev);
  for (;;) {
    tandem_status st = tandem_client_poll_event(client, &ev, &err);
    if (st == TANDEM_E_AGAIN) break; /* drained: the fd is not readable any more */
    if (st != TANDEM_OK) {
      /* BUSY: our document had a transaction open (not in this program). */
      fprintf(stderr, "%s: %s\n", who, err.message);
      tandem_error_clear(&err);
      break;
    }
    ++n;
    if (ev.type == TANDEM_EVENT_STATUS) {
      static const char *const names[] = {"offline", "connecting", "online", "synced"};
      printf("  %s: %s\n", who, names[ev.status]);
    }
  }
  tandem_event_clear(&ev);
  return n;
}

static tandem_client *new_client(const char *url, const char *name, tandem_doc *doc) {
  tandem_client_options o;
  tandem_client_options_init(&o);
  o.url = url;
  tandem_client *c = NULL;
  TRY(tandem_client_new(&c, &o, &err));
  TRY(tandem_client_subscribe(c, name, doc, &err));
  return c;
}

int main(int argc, char **argv) {
  tandem_set_network_log_level(TANDEM_LOG_ERROR, NULL);
  char url[128];
  char dir[] = "/tmp/tandem-loop-XXXXXX", db[64];
  tandem_server *server = NULL;
  if (argc > 1) {
    snprintf(url, sizeof url, "%s", argv[1]);
  } else {
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

  tandem_doc *editor_doc = NULL, *viewer_doc = NULL;
  TRY(tandem_doc_new(&editor_doc, TANDEM_PEER_RANDOM, NULL, &err));
  TRY(tandem_doc_new(&viewer_doc, TANDEM_PEER_RANDOM, NULL, &err));
  tandem_container root, text, vroot;
  TRY(tandem_doc_root(viewer_doc, &vroot, &err));
  uint64_t observer = 0;
  TRY(tandem_doc_observe(viewer_doc, &vroot, 1 /* deep */, on_viewer_change, NULL, NULL,
                         &observer, &err));
  tandem_client *editor = new_client(url, "essay", editor_doc);
  tandem_client *viewer = new_client(url, "essay", viewer_doc);
  TRY(tandem_doc_root(editor_doc, &root, &err));
  TRY(tandem_map_get_or_create(editor_doc, &root, "body", TANDEM_CONTAINER_TEXT, &text, &err));

  /* The loop: poll() on both wake-up fds with the timer's remaining time
   * as timeout. A real host has its sockets, pipes and X11 fd here too. */
  struct pollfd fds[2];
  TRY(tandem_client_event_fd(editor, &fds[0].fd, &err));
  TRY(tandem_client_event_fd(viewer, &fds[1].fd, &err));
  fds[0].events = fds[1].events = POLLIN;
  size_t typed = 0;
  int64_t next_word = now_ms() + 50, deadline = now_ms() + 10000;
  int done = 0, wakeups = 0;
  while (!done && now_ms() < deadline) {
    int64_t timeout = next_word - now_ms();
    if (timeout < 0) timeout = 0;
    int ready = poll(fds, 2, (int)timeout);
    if (ready > 0) {
      /* Only taken when there is something: the fd is readable exactly
       * while events are pending. */
      ++wakeups;
      if (fds[0].revents & POLLIN) take_events(editor, "editor");
      if (fds[1].revents & POLLIN) take_events(viewer, "viewer");
    }
    if (typed < WORDS && now_ms() >= next_word) {
      /* The host's own work: a keystroke burst. The edit is sent by the
       * editor's network thread; this call never blocks on the network. */
      uint64_t len = 0;
      TRY(tandem_text_len(editor_doc, &text, TANDEM_UNIT_UTF8, &len, &err));
      TRY(tandem_text_insert(editor_doc, &text, len, TANDEM_UNIT_UTF8, words[typed],
                             strlen(words[typed]), &err));
      ++typed;
      next_word = now_ms() + 50;
    }
    if (typed == WORDS) {
      tandem_container vtext;
      tandem_buf b = {NULL, 0};
      if (tandem_doc_resolve(viewer_doc, "/body", &vtext, NULL) == TANDEM_OK &&
          tandem_text_read(viewer_doc, &vtext, &b, NULL) == TANDEM_OK) {
        done = b.len > 0 && strstr((const char *)b.data, "plain C loop.") != NULL;
        if (done) printf("viewer reads: %s\n", (const char *)b.data);
      }
      tandem_buf_free(&b);
      if (!done && next_word < now_ms()) next_word = now_ms() + 50; /* keep poll bounded */
    }
  }
  printf("%s after %d wake-ups\n", done ? "in step" : "NOT in step", wakeups);

  tandem_client_free(editor);
  tandem_client_free(viewer);
  tandem_doc_free(editor_doc);
  tandem_doc_free(viewer_doc);
  tandem_server_free(server);
  if (server) remove_dir(dir); /* we made it: clean up */
  return done ? 0 : 1;
}
