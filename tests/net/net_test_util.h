// Helpers for the transport tests: temp dirs, a server on 127.0.0.1 port 0
// over a temp SQLite file, clients, and a tiny HTTP GET.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "net/document.h"
#include "net/lws_client.h"
#include "net/lws_server.h"
#include "store/log_store.h"

namespace tandem::net::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tandem-net-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void QuietLws() { lws_set_log_level(LLL_ERR, nullptr); }

inline std::unique_ptr<store::LogStore> OpenStore(const std::string& path) {
  store::StoreOptions o;
  o.sync = store::SyncMode::kNormal;  // survives kill -9; fast enough for tests
  std::unique_ptr<store::LogStore> s;
  store::StoreStatus st = OpenDocumentStore(path, o, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

// A server with its store; restartable on the same port and file.
struct TestServer {
  std::string db;
  LwsServerOptions options;
  std::unique_ptr<store::LogStore> store;
  std::unique_ptr<LwsServer> server;
  int port = 0;

  void Start() {
    QuietLws();
    store = OpenStore(db);
    LwsServerOptions o = options;
    o.port = port;
    Status st = LwsServer::Start(o, store.get(), &server);
    ASSERT_TRUE(st.ok()) << st.ToString();
    port = server->port();
  }
  void Stop() {
    if (server) server->Stop();
    server.reset();
    store.reset();
  }
  ~TestServer() { Stop(); }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/sync"; }
  // The stored document's text, read through a fresh load.
  std::string StoredText(const std::string& doc) {
    std::unique_ptr<Document> d;
    EXPECT_TRUE(LoadDocument(*store, doc, 1, &d).ok());
    return d ? TextAt(*d, "text") : std::string();
  }
};

inline std::unique_ptr<LwsClient> StartClient(const std::string& url, LwsClientOptions o = {}) {
  o.url = url;
  o.backoff_ms = {50, 100, 200, 400};
  std::unique_ptr<LwsClient> c;
  Status st = LwsClient::Start(o, &c);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return c;
}

inline std::string TextOf(LwsClient& c, const std::string& doc) {
  std::string out;
  c.Call([&](ClientSession& s) {
    if (Document* d = s.Find(doc)) out = TextAt(*d, "text");
  });
  return out;
}

// Plain-socket HTTP/1.0 GET on 127.0.0.1 (test probe only; the server side
// is libwebsockets). Returns the whole response, or "" on failure.
inline std::string HttpGet(int port, const std::string& path, const char* addr = "127.0.0.1") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, addr, &sa.sin_addr);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return {};
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return {};
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return resp;
}

}  // namespace tandem::net::testing
