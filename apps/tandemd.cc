// tandemd: the standalone Tandem sync server.
//
//   tandemd --listen HOST:PORT --db PATH [--static DIR] [--auth-secret FILE]
//           [--revoked FILE] [--log-level error|warn|notice|info] [--deflate]
//           [--commit-interval-us N] [--store-nice N]
//
// --commit-interval-us spaces the store's group commits (StoreOptions::
// min_commit_interval_us, at most 1 s): acks wait up to N µs longer under
// load, and each fsync carries more updates. Default 0.
// --store-nice (0..19, default 10) lowers the priority of the store's commit
// and compaction threads (StoreOptions::background_nice), so the network
// thread gets the CPU first when it is short: fan-out latency under load
// fell by about a quarter in docs/performance.md's runs; acks still wait for
// the commit.
//
// Prints exactly "listening on HOST:PORT" (the real port when 0 was given)
// on stdout once it accepts connections. SIGTERM/SIGINT stop it gracefully
// (connections closed with 1001, every store write completed, exit 0).
// SIGHUP re-reads --revoked (one token per line) and re-checks every
// connection. Without --auth-secret every peer may read and write every
// document: only for trusted networks.
#include <libwebsockets.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>

#include "net/document.h"
#include "net/lws_server.h"
#include "net/token.h"

namespace {

using namespace tandem;

int Usage(const char* why) {
  std::fprintf(stderr,
               "tandemd: %s\n"
               "usage: tandemd --listen HOST:PORT --db PATH [--static DIR] [--auth-secret FILE]\n"
               "               [--revoked FILE] [--log-level error|warn|notice|info] [--deflate]\n"
               "               [--commit-interval-us N] [--store-nice N]\n",
               why);
  return 2;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r' || out->back() == ' ')) {
    out->pop_back();
  }
  return true;
}

std::set<std::string> ReadLines(const std::string& path) {
  std::set<std::string> lines;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line[0] != '#') lines.insert(line);
  }
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen, db, static_dir, secret_file, revoked_file, log_level = "warn";
  bool deflate = false;  // permessage-deflate for clients that ask (LwsServerOptions)
  std::string commit_interval_us = "0";
  std::string store_nice = "10";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    bool ok = true;
    if (a == "--listen") ok = value(&listen);
    else if (a == "--db") ok = value(&db);
    else if (a == "--static") ok = value(&static_dir);
    else if (a == "--deflate") deflate = true;
    else if (a == "--auth-secret") ok = value(&secret_file);
    else if (a == "--revoked") ok = value(&revoked_file);
    else if (a == "--log-level") ok = value(&log_level);
    else if (a == "--commit-interval-us") ok = value(&commit_interval_us);
    else if (a == "--store-nice") ok = value(&store_nice);
    else if (a == "-h" || a == "--help") return Usage("help"), 0;
    else return Usage(("unknown argument " + a).c_str());
    if (!ok) return Usage(("missing value for " + a).c_str());
  }
  if (listen.empty() || db.empty()) return Usage("--listen and --db are required");
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Usage("--listen wants HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != 0 || port < 0 || port > 65535) return Usage("bad port");

  int lws_levels = LLL_ERR;
  if (log_level == "warn") lws_levels |= LLL_WARN;
  else if (log_level == "notice") lws_levels |= LLL_WARN | LLL_NOTICE;
  else if (log_level == "info") lws_levels |= LLL_WARN | LLL_NOTICE | LLL_INFO;
  else if (log_level != "error") return Usage("bad --log-level");
  lws_set_log_level(lws_levels, nullptr);

  // Signals are taken synchronously by the main thread (sigwait); every
  // thread started from here on inherits the block.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  store::StoreOptions store_options;
  {
    char* e = nullptr;
    unsigned long us = std::strtoul(commit_interval_us.c_str(), &e, 10);
    if (commit_interval_us.empty() || *e != 0 || us > 1000000) return Usage("bad --commit-interval-us");
    store_options.min_commit_interval_us = static_cast<uint32_t>(us);
    unsigned long n = std::strtoul(store_nice.c_str(), &e, 10);
    if (store_nice.empty() || *e != 0 || n > 19) return Usage("bad --store-nice");
    store_options.background_nice = static_cast<int>(n);
  }
  std::unique_ptr<store::LogStore> store;
  store::StoreStatus ss = net::OpenDocumentStore(db, store_options, &store);
  if (!ss.ok()) {
    std::fprintf(stderr, "tandemd: cannot open %s: %s\n", db.c_str(), ss.ToString().c_str());
    return 1;
  }
  net::LwsServerOptions options;
  options.host = host;
  options.port = static_cast<int>(port);
  options.static_dir = static_dir;
  options.permessage_deflate = deflate;
  std::unique_ptr<net::TokenAuth> auth;
  if (!secret_file.empty()) {
    std::string secret;
    if (!ReadFile(secret_file, &secret) || secret.empty()) {
      std::fprintf(stderr, "tandemd: cannot read a secret from %s\n", secret_file.c_str());
      return 1;
    }
    auth = std::make_unique<net::TokenAuth>(secret);
    if (!revoked_file.empty()) auth->ReplaceRevoked(ReadLines(revoked_file));
    options.server.auth = auth->Hook();
  } else if (log_level != "error") {
    std::fprintf(stderr, "tandemd: warning: no --auth-secret, every peer may write every document\n");
  }
  std::unique_ptr<net::LwsServer> server;
  Status st = net::LwsServer::Start(options, store.get(), &server);
  if (!st.ok()) {
    std::fprintf(stderr, "tandemd: %s\n", st.message().c_str());
    return 1;
  }
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf("listening on %s:%d\n", shown.c_str(), server->port());
  std::fflush(stdout);

  for (;;) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (auth && !revoked_file.empty()) auth->ReplaceRevoked(ReadLines(revoked_file));
      server->Reauthorize();
      continue;
    }
    break;
  }
  server->Stop();
  server.reset();
  store->Close();
  return 0;
}
