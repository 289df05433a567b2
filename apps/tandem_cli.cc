// tandem: the command-line client for people and scripts.
//
//   tandem get URL DOC                       the document as JSON
//   tandem set URL DOC PATH JSON             replace the value at PATH
//   tandem text URL DOC PATH insert INDEX STRING
//   tandem text URL DOC PATH delete INDEX COUNT
//   tandem watch URL DOC                     print the document on every change
//   tandem inspect DB [DOC]                  offline: documents, sizes, versions, JSON
//   tandem token --secret FILE [--doc PATTERN] [--perm read|write] [--ttl SECONDS]
//
// URL is ws://HOST:PORT/PATH. The token for tandemd is taken from
// $TANDEM_TOKEN. Edits return once the server has acknowledged them
// (durable). Exit status: 0 ok, 1 failure, 2 usage.
#include <libwebsockets.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "net/document.h"
#include "net/lws_client.h"
#include "net/token.h"
#include "store/inspect.h"

namespace {

using namespace tandem;

constexpr int kTimeoutMs = 15000;

int Usage() {
  std::fprintf(stderr,
               "usage: tandem get URL DOC\n"
               "       tandem set URL DOC PATH JSON\n"
               "       tandem text URL DOC PATH insert INDEX STRING | delete INDEX COUNT\n"
               "       tandem watch URL DOC\n"
               "       tandem inspect DB [DOC]\n"
               "       tandem token --secret FILE [--doc PATTERN] [--perm read|write] [--ttl SECONDS]\n");
  return 2;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tandem: %s\n", msg.c_str());
  return 1;
}

bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtoull(s.c_str(), &end, 10);
  return *end == 0;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// Connects, opens `doc` and waits for its first sync.
Status Connect(const std::string& url, const std::string& doc, std::atomic<int>* changes,
               std::unique_ptr<net::LwsClient>* out) {
  net::LwsClientOptions o;
  o.url = url;
  if (const char* t = std::getenv("TANDEM_TOKEN")) o.token = t;
  auto error = std::make_shared<std::string>();
  auto error_mu = std::make_shared<std::mutex>();
  o.on_event = [changes, error, error_mu](const net::ClientEvent& e) {
    if (e.type == net::ClientEvent::Type::kRemoteChange && changes != nullptr) ++*changes;
    if (e.type == net::ClientEvent::Type::kError) {
      std::lock_guard<std::mutex> lk(*error_mu);
      *error = e.message;
    }
  };
  Status st = net::LwsClient::Start(o, out);
  if (!st.ok()) return st;
  st = (*out)->Open(doc);
  if (!st.ok()) return st;
  if (!(*out)->WaitUntil([&](net::ClientSession& s) { return s.synced(doc); }, kTimeoutMs)) {
    std::lock_guard<std::mutex> lk(*error_mu);
    return Status::InvalidArgument("no sync from " + url +
                                   (error->empty() ? std::string(" (timeout)") : ": " + *error));
  }
  return Status::Ok();
}

std::string Json(net::LwsClient& c, const std::string& doc) {
  std::string out;
  c.Call([&](net::ClientSession& s) { out = net::DocumentToJson(*s.Find(doc)); });
  return out;
}

int Edit(const std::string& url, const std::string& doc,
         const std::function<Status(net::Document&)>& edit) {
  std::unique_ptr<net::LwsClient> c;
  Status st = Connect(url, doc, nullptr, &c);
  if (!st.ok()) return Fail(st.message());
  net::Permission p = net::Permission::kNone;
  c->Call([&](net::ClientSession& s) { p = s.permission(doc); });
  if (p != net::Permission::kWrite) return Fail("no write permission for " + doc);
  st = c->Edit(doc, edit);
  if (!st.ok()) return Fail(st.message());
  if (!c->WaitUntil([&](net::ClientSession& s) { return s.unacked(doc) == 0; }, kTimeoutMs)) {
    return Fail("the server did not acknowledge the edit");
  }
  std::printf("%s\n", Json(*c, doc).c_str());
  return 0;
}

int Inspect(const std::string& db, const char* doc) {
  store::StoreOptions o;
  o.create_if_missing = false;
  std::unique_ptr<store::LogStore> s;
  store::StoreStatus st = net::OpenDocumentStore(db, o, &s);
  if (!st.ok()) return Fail(st.ToString());
  store::StoreInfo info;
  st = s->Inspect(&info);
  if (!st.ok()) return Fail(st.ToString());
  std::printf("%s", store::FormatStoreInfo(info).c_str());
  if (doc != nullptr) {
    std::unique_ptr<net::Document> d;
    bool existed = false;
    st = net::LoadDocument(*s, doc, 1, &d, &existed);
    if (!st.ok()) return Fail(st.ToString());
    if (!existed) return Fail(std::string("no document ") + doc);
    std::printf("version %s\n%s\n", d->version().ToString().c_str(), net::DocumentToJson(*d).c_str());
  }
  return 0;
}

int Token(int argc, char** argv) {
  std::string secret_file, pattern = "*", perm = "write";
  uint64_t ttl = 24 * 3600;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--secret") secret_file = v;
    else if (a == "--doc") pattern = v;
    else if (a == "--perm") perm = v;
    else if (a == "--ttl" && ParseU64(v, &ttl)) {}
    else return Usage();
  }
  std::ifstream f(secret_file, std::ios::binary);
  if (secret_file.empty() || !f) return Fail("cannot read the secret file");
  std::string secret((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  net::TokenClaims c;
  c.doc_pattern = pattern;
  if (perm == "read") c.permission = net::Permission::kRead;
  else if (perm == "write") c.permission = net::Permission::kWrite;
  else return Usage();
  c.expires_unix = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + static_cast<int64_t>(ttl);
  std::string token;
  Status st = net::MintToken(secret, c, &token);
  if (!st.ok()) return Fail(st.message());
  std::printf("%s\n", token.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  lws_set_log_level(LLL_ERR, nullptr);
  std::string cmd = argv[1];
  if (cmd == "inspect" && (argc == 3 || argc == 4)) return Inspect(argv[2], argc == 4 ? argv[3] : nullptr);
  if (cmd == "token") return Token(argc, argv);
  if (cmd == "get" && argc == 4) {
    std::unique_ptr<net::LwsClient> c;
    Status st = Connect(argv[2], argv[3], nullptr, &c);
    if (!st.ok()) return Fail(st.message());
    std::printf("%s\n", Json(*c, argv[3]).c_str());
    return 0;
  }
  if (cmd == "set" && argc == 6) {
    std::string path = argv[4], json = argv[5];
    return Edit(argv[2], argv[3], [&](net::Document& d) { return net::SetDocumentPath(d, path, json); });
  }
  if (cmd == "text" && argc == 8) {
    std::string path = argv[4], op = argv[5];
    uint64_t index = 0, count = 0;
    if (!ParseU64(argv[6], &index)) return Usage();
    if (op == "insert") {
      std::string text = argv[7];
      return Edit(argv[2], argv[3], [&](net::Document& d) { return net::InsertTextAt(d, path, index, text); });
    }
    if (op == "delete" && ParseU64(argv[7], &count)) {
      return Edit(argv[2], argv[3], [&](net::Document& d) { return net::DeleteTextAt(d, path, index, count); });
    }
    return Usage();
  }
  if (cmd == "watch" && argc == 4) {
    signal(SIGINT, OnSignal);
    signal(SIGTERM, OnSignal);
    std::atomic<int> changes{0};
    std::unique_ptr<net::LwsClient> c;
    Status st = Connect(argv[2], argv[3], &changes, &c);
    if (!st.ok()) return Fail(st.message());
    std::string last = Json(*c, argv[3]);
    std::printf("%s\n", last.c_str());
    std::fflush(stdout);
    int seen = changes.load();
    while (!g_stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (changes.load() == seen) continue;
      seen = changes.load();
      std::string now = Json(*c, argv[3]);
      if (now != last) {
        std::printf("%s\n", now.c_str());
        std::fflush(stdout);
        last = now;
      }
    }
    return 0;
  }
  return Usage();
}
