// What the server refuses and how: read-only writes, bad tokens, malformed
// frames, limits, slow consumers, revoke. Every refusal leaves the other
// peers working and the document unchanged.
#include <gtest/gtest.h>

#include "memory_net.h"

namespace tandem::net::testing {
namespace {

ServerOptions WithAuth() {
  ServerOptions o;
  o.auth = [](std::string_view token, std::string_view doc) {
    if (token == "bad") return Permission::kNone;
    if (token == "reader") return Permission::kRead;
    if (token == "writer" && doc == "secret") return Permission::kNone;
    return Permission::kWrite;
  };
  return o;
}

TEST(SessionRefusal, ReadOnlyUpdateRefusedNeverApplied) {
  MemoryNet net(WithAuth());
  auto& w = net.AddPeer(1, "writer");
  auto& r = net.AddPeer(2, "reader");
  w.session->Open("d");
  r.session->Open("d");
  net.Connect(w);
  net.Connect(r);
  net.Edit(w, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "from writer"); });
  net.Settle();
  EXPECT_EQ(r.session->permission("d"), Permission::kRead);
  EXPECT_EQ(TextAt(*r.session->Find("d"), "text"), "from writer");
  // A reader's client does not send; a hostile one sends anyway.
  auto hostile = NewDocument(2);
  std::string update;
  ASSERT_TRUE(EditDocument(*hostile, [](Document& d) { return InsertTextAt(d, "text", 0, "EVIL"); }, &update).ok());
  wire::Envelope env;
  env.mutable_update()->set_doc("d");
  env.mutable_update()->set_data(update);
  env.mutable_update()->set_seq(99);
  r.to_server.push_back(Serialize(env));
  net.Settle();
  EXPECT_EQ(TextAt(*net.core.FindDocument("d"), "text"), "from writer");
  EXPECT_EQ(net.StoredText("d"), "from writer");
  EXPECT_EQ(TextAt(*w.session->Find("d"), "text"), "from writer");
  bool refused = false;
  for (const auto& e : r.events) {
    refused |= e.type == ClientEvent::Type::kError && e.code == uint32_t(ErrorCode::kForbidden) && e.seq == 99;
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(r.connected);
}

TEST(SessionRefusal, BadTokenClosed) {
  MemoryNet net(WithAuth());
  auto& b = net.AddPeer(3, "bad");
  b.session->Open("d");
  net.Connect(b);
  net.Settle();
  EXPECT_FALSE(b.connected);
  EXPECT_EQ(b.last_close_code, kCloseUnauthorized);
  EXPECT_TRUE(net.HasEvent(b, ClientEvent::Type::kError));
}

TEST(SessionRefusal, ForbiddenDocumentNotSynced) {
  MemoryNet net(WithAuth());
  auto& w = net.AddPeer(1, "writer");
  w.session->Open("secret");
  w.session->Open("open");
  net.Connect(w);
  net.Settle();
  EXPECT_FALSE(w.session->synced("secret"));
  EXPECT_TRUE(w.session->synced("open"));
  EXPECT_TRUE(w.connected);
}

struct Hostile {
  const char* name;
  std::string frame;
  uint16_t close;
};

TEST(SessionRefusal, MalformedFramesCloseOnlyTheSender) {
  std::vector<Hostile> cases;
  cases.push_back({"garbage", std::string("\xff\xfe\x01\x02garbage", 11), kCloseProtocol});
  {
    wire::Envelope env;
    env.mutable_subscribe()->set_doc("d");
    std::string f = Serialize(env);
    cases.push_back({"truncated", f.substr(0, f.size() - 2), kCloseProtocol});
  }
  {
    // Field 99 only: a valid protobuf with no known body.
    cases.push_back({"unknown type", std::string("\x08\x01\x9a\x06\x00", 5), kCloseProtocol});
  }
  {
    wire::Envelope env;
    env.mutable_update()->set_doc("d");
    env.mutable_update()->set_data(std::string(200, '\x07'));
    env.mutable_update()->set_seq(1);
    cases.push_back({"invalid update", Serialize(env), kCloseInvalidUpdate});
  }
  {
    wire::Envelope env;
    env.mutable_sync()->set_doc("d");
    cases.push_back({"server message from client", Serialize(env), kCloseProtocol});
  }
  {
    wire::Envelope env;
    env.mutable_hello()->set_protocol_version(kProtocolVersion);
    env.mutable_hello()->set_peer_id(5);
    cases.push_back({"second hello", Serialize(env), kCloseProtocol});
  }
  {
    wire::Envelope env;
    env.mutable_update()->set_doc("d");
    env.mutable_update()->set_data(std::string(5u << 20, 'x'));
    cases.push_back({"oversized", Serialize(env), kCloseTooBig});
  }
  {
    wire::Envelope env;
    auto* s = env.mutable_subscribe();
    s->set_doc("d");
    s->mutable_version()->add_peers(5);
    s->mutable_version()->add_peers(3);
    s->mutable_version()->add_next(1);
    s->mutable_version()->add_next(1);
    cases.push_back({"unsorted version vector", Serialize(env), kCloseProtocol});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryNet net;
    auto& good = net.AddPeer(1);
    auto& evil = net.AddPeer(2);
    good.session->Open("d");
    evil.session->Open("d");
    net.Connect(good);
    net.Connect(evil);
    net.Edit(good, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "fine"); });
    net.Settle();
    evil.to_server.push_back(c.frame);
    net.Settle();
    EXPECT_FALSE(evil.connected);
    EXPECT_EQ(evil.last_close_code, c.close);
    EXPECT_TRUE(net.HasEvent(evil, ClientEvent::Type::kError));
    net.Edit(good, "d", [](Document& d) { return InsertTextAt(d, "text", 4, "!"); });
    net.Settle();
    EXPECT_TRUE(good.connected);
    EXPECT_EQ(good.session->unacked("d"), 0u);
    EXPECT_EQ(net.StoredText("d"), "fine!");
  }
}

TEST(SessionRefusal, UnauthenticatedBytesLimited) {
  ServerOptions o;
  o.limits.max_unauthenticated_bytes = 100;
  MemoryNet net(o);
  ConnId c = 42;
  ASSERT_TRUE(net.core.Open(c));
  EXPECT_EQ(net.core.MaxIncomingFrame(c), 100u);
  net.core.OnFrame(c, std::string(500, 'x'));
  std::string f, reason;
  uint16_t code = 0;
  while (net.core.Next(c, &f, &code, &reason) == ServerSession::Next::kFrame) {}
  EXPECT_EQ(code, kClosePolicy);
}

TEST(SessionRefusal, DocsPerConnectionLimit) {
  ServerOptions o;
  o.limits.max_docs_per_connection = 2;
  MemoryNet net(o);
  auto& a = net.AddPeer(1);
  a.session->Open("d1");
  a.session->Open("d2");
  a.session->Open("d3");
  net.Connect(a);
  net.Settle();
  int synced = a.session->synced("d1") + a.session->synced("d2") + a.session->synced("d3");
  EXPECT_EQ(synced, 2);
  bool limit = false;
  for (const auto& e : a.events) limit |= e.type == ClientEvent::Type::kError && e.code == uint32_t(ErrorCode::kLimit);
  EXPECT_TRUE(limit);
  EXPECT_TRUE(a.connected);
}

TEST(SessionRefusal, UpdateRateLimited) {
  ServerOptions o;
  o.limits.max_updates_per_second = 10;
  o.limits.update_burst = 20;
  MemoryNet net(o);
  auto& a = net.AddPeer(1);
  auto& b = net.AddPeer(2);
  a.session->Open("d");
  b.session->Open("d");
  net.Connect(a);
  net.Connect(b);
  net.Settle();
  for (int i = 0; i < 50; ++i) net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "x"); });
  net.Settle();
  EXPECT_FALSE(a.connected);
  EXPECT_EQ(a.last_close_code, kClosePolicy);
  EXPECT_TRUE(b.connected);
}

TEST(SessionRefusal, SlowConsumerDisconnectedOthersContinue) {
  ServerOptions o;
  o.limits.max_outbound_bytes = 64 << 10;
  MemoryNet net(o);
  auto& writer = net.AddPeer(1);
  auto& fast = net.AddPeer(2);
  auto& slow = net.AddPeer(3);
  for (auto* p : {&writer, &fast, &slow}) {
    p->session->Open("d");
    net.Connect(*p);
  }
  net.Settle();
  std::string chunk(2000, 'y');
  for (int i = 0; i < 100; ++i) {
    net.Edit(writer, "d", [&](Document& d) { return InsertTextAt(d, "text", TextLengthAt(d, "text"), chunk); });
    net.Pump(writer);
    while (net.DeliverToServer(writer)) {}
    net.storage.RunCompletions();
    net.core.Flush();
    net.Pump(writer);
    while (net.DeliverToClient(writer)) {}
    net.Pump(fast);
    while (net.DeliverToClient(fast)) {}
    // `slow` never reads: nothing is popped from the core for it.
  }
  net.Pump(slow);
  while (net.DeliverToClient(slow)) {}
  EXPECT_FALSE(slow.connected);
  EXPECT_EQ(slow.last_close_code, kCloseSlowConsumer);
  EXPECT_EQ(TextAt(*fast.session->Find("d"), "text"), TextAt(*writer.session->Find("d"), "text"));
  EXPECT_EQ(net.core.stats().slow_consumers, 1u);
  // It resyncs after reconnecting.
  net.Connect(slow);
  net.Settle();
  EXPECT_EQ(TextAt(*slow.session->Find("d"), "text"), TextAt(*writer.session->Find("d"), "text"));
}

TEST(SessionRefusal, RevokeAtRuntime) {
  auto revoked = std::make_shared<std::set<std::string>>();
  auto readonly = std::make_shared<bool>(false);
  ServerOptions o;
  o.auth = [revoked, readonly](std::string_view token, std::string_view) {
    if (revoked->count(std::string(token))) return Permission::kNone;
    return *readonly && token == "t2" ? Permission::kRead : Permission::kWrite;
  };
  MemoryNet net(o);
  auto& a = net.AddPeer(1, "t1");
  auto& b = net.AddPeer(2, "t2");
  a.session->Open("d");
  b.session->Open("d");
  net.Connect(a);
  net.Connect(b);
  net.Settle();
  *readonly = true;
  net.core.Reauthorize();
  net.Settle();
  EXPECT_EQ(b.session->permission("d"), Permission::kRead);
  EXPECT_TRUE(net.HasEvent(b, ClientEvent::Type::kPermission, "d"));
  revoked->insert("t1");
  net.core.Reauthorize();
  net.Settle();
  EXPECT_FALSE(a.connected);
  EXPECT_EQ(a.last_close_code, kCloseRevoked);
  EXPECT_TRUE(b.connected);
}

}  // namespace
}  // namespace tandem::net::testing
