// ws:// URLs as the client and the load generator take them.
#include <gtest/gtest.h>

#include <string>

#include "net/ws_url.h"

namespace tandem::net {
namespace {

TEST(WsUrl, HostPortAndPath) {
  std::string host, path;
  int port = 0;
  ASSERT_TRUE(ParseWsUrl("ws://127.0.0.1:8080/docs/a", &host, &port, &path));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_EQ(path, "/docs/a");
  ASSERT_TRUE(ParseWsUrl("ws://example.org", &host, &port, &path));
  EXPECT_EQ(host, "example.org");
  EXPECT_EQ(port, 80);  // absent port
  EXPECT_EQ(path, "/");  // absent path
  ASSERT_TRUE(ParseWsUrl("ws://localhost:1/", &host, &port, &path));
  EXPECT_EQ(port, 1);
  EXPECT_EQ(path, "/");
}

TEST(WsUrl, RefusesWhatIsNotAWsUrl) {
  std::string host, path;
  int port = 0;
  for (const char* bad : {"http://h:1/", "wss://h:1/", "ws://", "ws://:80/", "ws://h:0/",
                          "ws://h:65536/", "ws://h:12x/", "ws://h:/", "h:80"}) {
    EXPECT_FALSE(ParseWsUrl(bad, &host, &port, &path)) << bad;
  }
}

}  // namespace
}  // namespace tandem::net
