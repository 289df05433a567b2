// Doc: how lists' values and snapshots are laid out (docs/format.md): one
// value column for every list of a message, the list decimals of a snapshot
// outside its deflated body, and a large map's writes loaded in key order.
// Each layout reads back to the same document, and a damaged one is refused
// whole.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "core/doc.h"
#include "core/format.h"
#include "core/snapshot_envelope.h"
#include "core/text.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

constexpr PeerId kWriter = 0x5be0cd19137e2179ull;

// `shapes` maps under "shapes", each with a "points" list of 2 * `points`
// doubles; `same` makes every coordinate 412.37 (a column deflate shrinks).
std::unique_ptr<Doc> Whiteboard(int shapes, int points, bool same, uint32_t seed = 1) {
  auto doc = std::make_unique<Doc>(kWriter);
  std::mt19937 rng(seed);
  Container all;
  EXPECT_TRUE(doc->root().GetOrCreate("shapes", ContainerType::kMap, &all).ok());
  for (int i = 0; i < shapes; ++i) {
    EXPECT_TRUE(doc->BeginTransaction().ok());
    Container shape, list;
    EXPECT_TRUE(
        all.AsMap().GetOrCreate("s" + std::to_string(rng()), ContainerType::kMap, &shape).ok());
    EXPECT_TRUE(shape.AsMap().Set("type", Value::String("rect")).ok());
    EXPECT_TRUE(shape.AsMap().GetOrCreate("points", ContainerType::kList, &list).ok());
    for (int k = 0; k < 2 * points; ++k) {
      const double d = same ? 412.37 : static_cast<double>(rng() % 100000) / 100;
      EXPECT_TRUE(list.AsList().Push(Value::Double(d)).ok());
    }
    EXPECT_TRUE(doc->CommitTransaction().ok());
  }
  return doc;
}

wire::Snapshot Envelope(const std::string& bytes) {
  wire::Snapshot s;
  EXPECT_TRUE(s.ParseFromString(bytes));
  return s;
}

std::unique_ptr<Doc> Decode(const std::string& bytes, Status* st = nullptr) {
  std::unique_ptr<Doc> out;
  Status s = Doc::DecodeSnapshot(bytes, kLocal, &out);
  if (st) *st = s;
  return out;
}

void ExpectRefusedSnapshot(const std::string& bytes, const std::string& what) {
  Status st;
  std::unique_ptr<Doc> out = Decode(bytes, &st);
  EXPECT_FALSE(st.ok()) << what << ": accepted";
  EXPECT_EQ(out, nullptr) << what;
}

TEST(DocLayout, ListValuesOfAMessageComeInOneColumn) {
  std::unique_ptr<Doc> doc = Whiteboard(5, 3, false);
  Container mixed;
  ASSERT_TRUE(doc->root().GetOrCreate("mixed", ContainerType::kList, &mixed).ok());
  const std::vector<Value> scalars = {Value::String("a"), Value::Int(7), Value::Null()};
  ASSERT_TRUE(mixed.AsList().Insert(0, scalars).ok());
  Container inner;
  ASSERT_TRUE(mixed.AsList().InsertContainer(1, ContainerType::kText, &inner).ok());
  const std::string update = doc->EncodeUpdate();
  wire::DocUpdate msg;
  ASSERT_TRUE(msg.ParseFromString(update));
  ASSERT_TRUE(msg.has_list_values());
  EXPECT_EQ(msg.list_values().kinds().size(), 5u * 6 + 4);  // every list's items
  EXPECT_EQ(msg.lists().insert_rows_size(), 6);              // in shared columns too
  for (const wire::SequenceOps& s : msg.sequences()) EXPECT_FALSE(s.has_values());
  auto fresh = std::make_unique<Doc>(kLocal);
  ASSERT_TRUE(fresh->ApplyUpdate(update).ok());
  EXPECT_EQ(fresh->ToJson(), doc->ToJson());

  auto refused = [&](const wire::DocUpdate& bad, const std::string& what) {
    std::unique_ptr<Doc> d = Fresh();
    const State before = StateOf(*d);
    EXPECT_FALSE(d->ApplyUpdate(bad.SerializeAsString()).ok()) << what;
    ExpectSame(StateOf(*d), before, what);
  };
  {
    wire::DocUpdate bad = msg;
    bad.mutable_list_values()->mutable_kinds()->push_back('\0');  // one null too many
    refused(bad, "a value beyond the lists' items");
  }
  {
    wire::DocUpdate bad = msg;
    bad.mutable_list_values()->mutable_kinds()->pop_back();
    refused(bad, "one value short");
  }
  {
    // One list, as a SequenceOps: its values in the section and the column.
    std::unique_ptr<Doc> one = Whiteboard(1, 3, false);
    wire::DocUpdate bad;
    ASSERT_TRUE(bad.ParseFromString(one->EncodeUpdate()));
    ASSERT_EQ(bad.sequences_size(), 1);
    ASSERT_TRUE(bad.has_list_values());
    AddKind(bad.mutable_sequences(0)->mutable_values(), 0);
    refused(bad, "values both per list and for the message");
  }
}

TEST(DocLayout, SnapshotKeepsDenseListDecimalsOutOfTheDeflatedBody) {
  std::unique_ptr<Doc> doc = Whiteboard(200, 20, false);
  const std::string snap = doc->EncodeSnapshot();
  const wire::Snapshot env = Envelope(snap);
  EXPECT_TRUE(env.deflated());
  ASSERT_FALSE(env.stored().empty());
  // The stored part is the list decimals only: 200 * 40 coordinates of
  // 18 bits, with a few bytes of framing.
  wire::DocSnapshotBody tail;
  ASSERT_TRUE(tail.ParseFromString(env.stored()));
  EXPECT_EQ(tail.state().list_values().decimal_bits().size(), 2u + (200 * 40 * 18 + 7) / 8);
  EXPECT_TRUE(tail.state().list_values().kinds().empty());
  EXPECT_EQ(tail.state().sequences_size(), 0);
  // The deflated body holds everything else.
  SnapshotBody unwrapped;
  ASSERT_TRUE(UnwrapSnapshot(snap, format::kDocSnapshotVersion, &unwrapped).ok());
  wire::DocSnapshotBody body;
  ASSERT_TRUE(
      body.ParseFromArray(unwrapped.bytes().data(), static_cast<int>(unwrapped.bytes().size())));
  EXPECT_TRUE(body.state().list_values().decimal_bits().empty());
  EXPECT_EQ(body.state().list_values().kinds().size(), 200u * 40);

  Status st;
  std::unique_ptr<Doc> back = Decode(snap, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(back->ToJson(), doc->ToJson());
  EXPECT_EQ(back->EncodeSnapshot(), snap);
  EXPECT_TRUE(back->version() == doc->version());
}

TEST(DocLayout, SnapshotDeflatesDecimalsThatDeflateShrinks) {
  std::unique_ptr<Doc> doc = Whiteboard(200, 20, /*same=*/true);
  const std::string snap = doc->EncodeSnapshot();
  const wire::Snapshot env = Envelope(snap);
  EXPECT_TRUE(env.deflated());
  EXPECT_TRUE(env.stored().empty());               // appended to the body, then deflated
  EXPECT_LT(snap.size(), 200u * 40 * 17 / 8 / 2);  // half of the raw bits alone
  std::unique_ptr<Doc> back = Decode(snap);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->ToJson(), doc->ToJson());
  EXPECT_EQ(back->EncodeSnapshot(), snap);
}

TEST(DocLayout, DamagedStoredPartIsRefusedWhole) {
  std::unique_ptr<Doc> doc = Whiteboard(50, 10, false);
  const std::string snap = doc->EncodeSnapshot();
  const wire::Snapshot env = Envelope(snap);
  ASSERT_FALSE(env.stored().empty());
  auto with_stored = [&](const std::string& stored) {
    wire::Snapshot e = env;
    e.set_stored(stored);
    return e.SerializeAsString();
  };
  ExpectRefusedSnapshot(with_stored(""), "stored part missing: the decimals are gone");
  ExpectRefusedSnapshot(with_stored(std::string("\xff\xff\xff", 3)), "not a protobuf message");
  ExpectRefusedSnapshot(with_stored(env.stored().substr(0, env.stored().size() - 1)),
                        "stored part cut short");
  for (size_t i = 0; i < env.stored().size(); i += 97) {
    std::string flipped = env.stored();
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    Status st;
    std::unique_ptr<Doc> d = Decode(with_stored(flipped), &st);
    // A flipped coordinate bit is another valid document; anything else is
    // refused. Either way the result is a consistent replica or nothing.
    if (st.ok()) {
      ASSERT_NE(d, nullptr);
      ExpectConsistent(*d, "bit " + std::to_string(i) + " flipped in the stored part");
    } else {
      EXPECT_EQ(d, nullptr);
    }
  }
  {
    // A stored part may hold any field of the body (it is merged): an
    // extra map write makes two writes of one key, a lie in a snapshot.
    wire::DocSnapshotBody extra;
    ASSERT_TRUE(extra.ParseFromString(env.stored()));
    SnapshotBody unwrapped;
    ASSERT_TRUE(UnwrapSnapshot(snap, format::kDocSnapshotVersion, &unwrapped).ok());
    wire::DocSnapshotBody body;
    ASSERT_TRUE(
        body.ParseFromArray(unwrapped.bytes().data(), static_cast<int>(unwrapped.bytes().size())));
    *extra.mutable_state()->mutable_map_ops() = body.state().map_ops();
    ExpectRefusedSnapshot(with_stored(extra.SerializeAsString()), "map writes merged twice");
  }
  // The same bytes as one undeflated body (what UnwrapSnapshot into a
  // string gives) read as the same document.
  std::string whole;
  ASSERT_TRUE(UnwrapSnapshot(snap, format::kDocSnapshotVersion, &whole).ok());
  wire::Snapshot plain;
  plain.set_format_version(format::kDocSnapshotVersion);
  plain.set_body_size(whole.size());
  plain.set_body(whole);
  std::unique_ptr<Doc> back = Decode(plain.SerializeAsString());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->ToJson(), doc->ToJson());
}

TEST(DocLayout, TextSnapshotMergesAStoredPartToo) {
  Text t(kWriter);
  ASSERT_TRUE(t.Insert(0, "hello world").ok());
  const std::string snap = t.EncodeSnapshot();
  wire::Snapshot env = Envelope(snap);
  EXPECT_TRUE(env.stored().empty());
  env.set_stored(std::string("\xff\xff\xff", 3));
  std::unique_ptr<Text> out;
  EXPECT_FALSE(Text::DecodeSnapshot(env.SerializeAsString(), kLocal, &out).ok());
  EXPECT_EQ(out, nullptr);
  // Split a valid body in two at a field boundary: the peers field goes
  // into the stored part and the text still reads.
  std::string whole;
  ASSERT_TRUE(UnwrapSnapshot(snap, format::kSnapshotVersion, &whole).ok());
  wire::SnapshotBody body;
  ASSERT_TRUE(body.ParseFromString(whole));
  wire::SnapshotBody peers_only;
  *peers_only.mutable_peers() = body.peers();
  body.clear_peers();
  wire::Snapshot split;
  split.set_format_version(format::kSnapshotVersion);
  const std::string rest = body.SerializeAsString();
  split.set_body_size(rest.size());
  split.set_body(rest);
  split.set_stored(peers_only.SerializeAsString());
  ASSERT_TRUE(Text::DecodeSnapshot(split.SerializeAsString(), kLocal, &out).ok());
  EXPECT_EQ(out->ToString(), "hello world");
}

// A map's writes load grouped by map and, in a map of many keys, in key
// order (not id order): overwritten, deleted and container-valued keys of
// several peers all come back, and two writes of one key are still found.
TEST(DocLayout, LargeMapLoadsInKeyOrder) {
  std::vector<std::unique_ptr<Doc>> peers;
  for (PeerId p : {PeerId{11}, PeerId{22}, PeerId{33}}) peers.push_back(std::make_unique<Doc>(p));
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    Doc& d = *peers[rng() % 3];
    const std::string key = "k" + std::to_string(rng() % 700);
    switch (rng() % 5) {
      case 0: (void)d.root().Delete(key); break;
      case 1: {
        Container c;
        (void)d.root().GetOrCreate(key, ContainerType::kList, &c);
        break;
      }
      default: ASSERT_TRUE(d.root().Set(key, Value::Int(static_cast<int64_t>(rng()))).ok());
    }
  }
  Doc& a = *peers[0];
  for (auto& p : peers) ASSERT_TRUE(a.ApplyUpdate(p->EncodeUpdate()).ok());
  ASSERT_GT(a.root().size(), 100u);
  const std::string snap = a.EncodeSnapshot();
  Status st;
  std::unique_ptr<Doc> back = Decode(snap, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(back->ToJson(), a.ToJson());
  EXPECT_EQ(back->EncodeSnapshot(), snap);
  ExpectConsistent(*back, "large map");

  // Two writes of one key among many keys: a lie in a snapshot.
  DocUpdateBuilder b({kEvil});
  const uint32_t root = b.Root();
  std::vector<Row> rows;
  for (uint64_t i = 0; i < 40; ++i)
    rows.push_back(Row{root, kEvil, i, i + 1, "key" + std::to_string(i % 39), Value::Int(1)});
  b.MapOps(rows);
  ExpectRefusedSnapshot(b.SnapshotBytes(), "two writes of one key in a map of 39 keys");
}

}  // namespace
}  // namespace tandem
