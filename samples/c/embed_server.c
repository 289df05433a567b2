/* embed_server.c — run a Tandem sync server inside your own program.
 *
 *   embed_server [--port N] [--db PATH] [--seconds N]
 *
 * Starts a server on 127.0.0.1 (port 0 = let the kernel pick one), keeps
 * the documents in a SQLite store, decides per token and document who may
 * read or write (the auth callback), and stops gracefully on Ctrl-C,
 * SIGTERM or after --seconds. Clients connect to ws://127.0.0.1:PORT/ (see
 * two_clients.c); `tandem` (the CLI) and the Python binding work too.
 *
 * The server runs on a thread of its own: this program's main thread only
 * waits. Every tandem_server_* call is thread-safe (except _free); the auth
 * callback runs on the server's network thread. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tandem/tandem.h"

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

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* The policy: tokens starting with "admin" write everything, "guest" may
 * only read, and anyone may write the "sandbox/..." documents. `doc_len`
 * is 0 when the server asks whether the token may connect at all. The
 * strings are borrowed and not NUL-terminated. */
static int32_t authorize(void *user_data, const char *token, size_t token_len, const char *doc,
                         size_t doc_len) {
  unsigned long *asked = (unsigned long *)user_data; /* only this thread writes it */
  ++*asked;
  if (token_len >= 5 && memcmp(token, "admin", 5) == 0) return TANDEM_PERMISSION_WRITE;
  if (doc_len >= 8 && memcmp(doc, "sandbox/", 8) == 0) return TANDEM_PERMISSION_WRITE;
  if (doc_len == 0) return TANDEM_PERMISSION_READ; /* everyone may connect... */
  if (token_len >= 5 && memcmp(token, "guest", 5) == 0) return TANDEM_PERMISSION_READ;
  return TANDEM_PERMISSION_NONE; /* ...but not read other documents */
}

static int fail(const char *what, tandem_status st, tandem_error *err) {
  fprintf(stderr, "embed_server: %s: %s: %s\n", what, tandem_status_str(st),
          err->message ? err->message : "");
  tandem_error_clear(err);
  return 1;
}

int main(int argc, char **argv) {
  int port = 0;
  int seconds = -1; /* run until a signal */
  char db[512] = "";
  char dir[] = "/tmp/tandem-embed-XXXXXX";
  int temporary = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--db") == 0) snprintf(db, sizeof db, "%s", argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0) seconds = atoi(argv[i + 1]);
  }
  if (db[0] == '\0') {
    /* No --db: a fresh store in a temporary directory. */
    if (!mkdtemp(dir)) {
      perror("mkdtemp");
      return 1;
    }
    snprintf(db, sizeof db, "%s/server.db", dir);
    temporary = 1;
  }

  tandem_error err = {0, NULL};
  tandem_set_network_log_level(TANDEM_LOG_WARN, NULL);

  /* 1. Options: always _init first (it sets struct_size and the defaults),
   *    then change what you need. Strings are copied by tandem_server_new. */
  unsigned long asked = 0;
  tandem_server_options opts;
  tandem_server_options_init(&opts);
  opts.host = "127.0.0.1"; /* loopback only; "" would bind every interface */
  opts.port = port;
  opts.db_path = db;
  opts.auth = authorize;
  opts.auth_user_data = &asked;
  opts.max_connections = 1000; /* limits: see docs/protocol.md */

  /* 2. Create (opens the store), then start (binds, starts the thread). */
  tandem_server *server = NULL;
  tandem_status st = tandem_server_new(&server, &opts, &err);
  if (st != TANDEM_OK) return fail("tandem_server_new", st, &err);
  st = tandem_server_start(server, &err);
  if (st != TANDEM_OK) {
    tandem_server_free(server);
    return fail("tandem_server_start", st, &err);
  }
  uint16_t bound = 0;
  tandem_server_listen_port(server, &bound, NULL);
  printf("serving ws://127.0.0.1:%u/ (store %s)\n", (unsigned)bound, db);
  fflush(stdout);

  /* 3. Wait. The server needs nothing from this thread. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  struct timespec tick = {0, 100 * 1000000L};
  for (int waited_ms = 0; !stop_requested && (seconds < 0 || waited_ms < seconds * 1000);
       waited_ms += 100) {
    nanosleep(&tick, NULL);
  }

  /* A policy change at runtime: a leaked token is refused from now on and
   * its connections are closed; tandem_server_reauthorize would re-ask the
   * callback for every live connection after any other change. */
  st = tandem_server_revoke_token(server, "admin-leaked", &err);
  if (st != TANDEM_OK) fail("tandem_server_revoke_token", st, &err);

  /* 4. Graceful stop (peers are told, every write is made durable), then
   *    free (closes the store). No callback runs after tandem_server_free. */
  st = tandem_server_stop(server, &err);
  if (st != TANDEM_OK) fail("tandem_server_stop", st, &err);
  tandem_server_free(server);
  if (temporary) remove_dir(dir);
  printf("stopped (the auth callback was asked %lu times)\n", asked);
  return 0;
}
