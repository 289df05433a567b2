// TextDelta composition: a sequence of inserts and deletes, each recorded in
// coordinates of the text as changed so far, must compose into one normalised
// retain / insert / delete delta that, applied to the original text, gives the
// same result as applying the edits one by one.
#include "core/text_delta.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "utf32_model.h"

#include "core/utf8.h"

namespace tandem {
namespace {

using testing_model::ToUtf8;


DeltaStep R(uint64_t n) {
  return DeltaStep{DeltaStep::kRetain, n, {}};
}
DeltaStep I(std::string s) {
  const uint64_t n = utf8::Count(s).code_points;
  return DeltaStep{DeltaStep::kInsert, n, std::move(s)};
}
DeltaStep D(uint64_t n) {
  return DeltaStep{DeltaStep::kDelete, n, {}};
}

// Insert with the code point count taken from the text.
void Ins(TextDelta* d, uint64_t index, const std::string& text) {
  d->Insert(index, text, utf8::Count(text).code_points);
}

// The delta's normal form, as text.h and text_delta.h promise it.
testing::AssertionResult IsNormal(const TextDelta& d) {
  const auto& s = d.steps();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].count == 0)
      return testing::AssertionFailure() << "empty step " << i << " in " << d.ToString();
    if (s[i].kind == DeltaStep::kInsert) {
      utf8::Counts c;
      if (!utf8::Validate(s[i].text, &c) || c.code_points != s[i].count) {
        return testing::AssertionFailure()
               << "insert count does not match its text, step " << i << " in " << d.ToString();
      }
    } else if (!s[i].text.empty()) {
      return testing::AssertionFailure()
             << "text on a non-insert step " << i << " in " << d.ToString();
    }
    if (i + 1 < s.size()) {
      if (s[i].kind == s[i + 1].kind) {
        return testing::AssertionFailure()
               << "adjacent steps of one kind at " << i << " in " << d.ToString();
      }
      if (s[i].kind == DeltaStep::kDelete && s[i + 1].kind == DeltaStep::kInsert) {
        return testing::AssertionFailure()
               << "delete before insert at " << i << " in " << d.ToString();
      }
    }
  }
  if (!s.empty() && s.back().kind == DeltaStep::kRetain) {
    return testing::AssertionFailure() << "trailing retain in " << d.ToString();
  }
  return testing::AssertionSuccess();
}

TEST(TextDeltaCompose, EmptyDelta) {
  TextDelta d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.ToString(), "[]");
  std::string text = "abc";
  ASSERT_TRUE(d.ApplyTo(&text));
  EXPECT_EQ(text, "abc");
  d.Insert(3, "", 0);  // empty insert and delete record nothing
  d.Delete(2, 0);
  EXPECT_TRUE(d.empty());
}

TEST(TextDeltaCompose, SingleInsertAtStartMiddleEnd) {
  {
    TextDelta d;
    Ins(&d, 0, "xy");
    EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{I("xy")}));
  }
  {
    TextDelta d;
    Ins(&d, 4, "xy");
    EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(4), I("xy")}));
    EXPECT_EQ(d.ToString(), "[retain 4, insert \"xy\"]");
  }
}

TEST(TextDeltaCompose, SingleDelete) {
  TextDelta d;
  d.Delete(2, 3);
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(2), D(3)}));
  EXPECT_EQ(d.ToString(), "[retain 2, delete 3]");
  std::string text = "abcdefg";
  ASSERT_TRUE(d.ApplyTo(&text));
  EXPECT_EQ(text, "abfg");
}

TEST(TextDeltaCompose, TypingForwardIsOneInsert) {
  TextDelta d;
  const std::string word = "héllo 😀 wörld";
  uint64_t pos = 5;
  for (size_t b = 0; b < word.size();) {
    const size_t n = static_cast<size_t>(utf8::SequenceLength(static_cast<unsigned char>(word[b])));
    Ins(&d, pos++, word.substr(b, n));
    b += n;
  }
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(5), I(word)}));
}

TEST(TextDeltaCompose, BackspacesAreOneDelete) {
  TextDelta d;
  for (uint64_t pos = 10; pos > 4; --pos) d.Delete(pos - 1, 1);
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(4), D(6)}));
  TextDelta f;  // forward deletes at one position
  for (int i = 0; i < 6; ++i) f.Delete(4, 1);
  EXPECT_EQ(f.steps(), (std::vector<DeltaStep>{R(4), D(6)}));
}

TEST(TextDeltaCompose, InsertsBeforeEarlierInsert) {
  TextDelta d;
  Ins(&d, 5, "cd");
  Ins(&d, 5, "ab");  // just before: joins the same insert
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(5), I("abcd")}));
  Ins(&d, 7, "€");  // inside the insert
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(5), I("ab€cd")}));
  Ins(&d, 2, "Z");  // inside the retain before it: splits the retain
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(2), I("Z"), R(3), I("ab€cd")}));
  Ins(&d, 0, "0");
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{I("0"), R(2), I("Z"), R(3), I("ab€cd")}));
  std::string text = "ABCDEFGH";
  ASSERT_TRUE(d.ApplyTo(&text));
  EXPECT_EQ(text, "0ABZCDEab€cdFGH");
}

TEST(TextDeltaCompose, DeletesSpanningStepsCompose) {
  TextDelta d;
  Ins(&d, 2, "xyz");  // base "abcdefgh" -> "abxyzcdefgh"
  d.Delete(1, 3);     // -> "azcdefgh": deletes base 'b' and "xy"
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(1), I("z"), D(1)}));
  d.Delete(2, 2);  // -> "azefgh": deletes base "cd"
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(1), I("z"), D(3)}));
  std::string text = "abcdefgh";
  ASSERT_TRUE(d.ApplyTo(&text));
  EXPECT_EQ(text, "azefgh");
}

TEST(TextDeltaCompose, InsertThenDeleteSameTextCancels) {
  for (uint64_t at : {0u, 3u}) {
    TextDelta d;
    Ins(&d, at, "x😀z");
    d.Delete(at, 3);
    EXPECT_TRUE(d.empty()) << at << ": " << d.ToString();
  }
  // Deleted one code point at a time, from either end.
  TextDelta d;
  Ins(&d, 4, "ab€d");
  for (int i = 0; i < 4; ++i) d.Delete(4, 1);
  EXPECT_TRUE(d.empty()) << d.ToString();
  Ins(&d, 4, "ab€d");
  for (uint64_t i = 4; i > 0; --i) d.Delete(4 + i - 1, 1);
  EXPECT_TRUE(d.empty()) << d.ToString();
  // With other steps around, only the cancelled insert goes.
  TextDelta e;
  e.Delete(1, 1);
  Ins(&e, 3, "q");
  Ins(&e, 5, "hello");
  e.Delete(5, 5);
  EXPECT_EQ(e.steps(), (std::vector<DeltaStep>{R(1), D(1), R(2), I("q")}));
}

TEST(TextDeltaCompose, InsertGoesBeforeAdjacentDelete) {
  TextDelta d;
  d.Delete(2, 3);
  Ins(&d, 2, "ab");  // at the same place as the delete
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(2), I("ab"), D(3)}));
  EXPECT_TRUE(IsNormal(d));
  TextDelta e;
  Ins(&e, 2, "ab");
  e.Delete(4, 3);  // right after the insert
  EXPECT_EQ(e.steps(), (std::vector<DeltaStep>{R(2), I("ab"), D(3)}));
}

TEST(TextDeltaCompose, NoTrailingRetainAfterDeletingTheTail) {
  TextDelta d;
  Ins(&d, 10, "abc");
  d.Delete(10, 3);  // the insert cancels; the retain before it must go too
  EXPECT_TRUE(d.empty()) << d.ToString();
  Ins(&d, 2, "x");
  Ins(&d, 10, "abc");
  d.Delete(10, 3);
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(2), I("x")}));
}

TEST(TextDeltaCompose, ClearResets) {
  TextDelta d;
  Ins(&d, 3, "abc");
  d.Clear();
  EXPECT_TRUE(d.empty());
  Ins(&d, 1, "z");
  EXPECT_EQ(d.steps(), (std::vector<DeltaStep>{R(1), I("z")}));
}

TEST(TextDeltaApply, RefusesDeltaLongerThanText) {
  TextDelta d;
  d.Delete(2, 3);
  std::string text = "abcd";
  EXPECT_FALSE(d.ApplyTo(&text));
  TextDelta r;
  Ins(&r, 9, "x");
  std::string t2 = "abc";
  EXPECT_FALSE(r.ApplyTo(&t2));
  std::string t3 = "abcdefghi";
  ASSERT_TRUE(r.ApplyTo(&t3));
  EXPECT_EQ(t3, "abcdefghix");
}

TEST(TextDeltaApply, CountsCodePointsNotBytes) {
  TextDelta d;
  d.Delete(1, 2);
  Ins(&d, 2, "ü");
  std::string text = "a😀é€b";  // delete 😀é, insert after €
  ASSERT_TRUE(d.ApplyTo(&text));
  EXPECT_EQ(text, "a€üb");
}

// Random edits composed into one delta, checked against a model of the text.
// Each batch starts from a random base text, records 50..400 edits, checks
// the normal form after every edit, and applies the delta to the base.
TEST(TextDeltaRandom, ComposedDeltaEqualsSequentialEdits) {
  std::mt19937_64 rng(20240601);
  const char32_t alphabet[] = {U'a', U'b',  U'c', U'x', U'é',         U'ß',
                               U'€', U'中', U'😀', U'🎉', U'\U0010FFFF'};
  auto random_text = [&](size_t max_len) {
    std::u32string s;
    const size_t n = rng() % (max_len + 1);
    for (size_t i = 0; i < n; ++i) s += alphabet[rng() % std::size(alphabet)];
    return s;
  };
  uint64_t edits = 0;
  for (int batch = 0; batch < 60; ++batch) {
    const std::u32string base = random_text(40);
    std::u32string model = base;
    TextDelta d;
    const int n = 50 + static_cast<int>(rng() % 350);
    // Edits cluster (like typing) most of the time, jump elsewhere sometimes.
    uint64_t cursor = model.empty() ? 0 : rng() % (model.size() + 1);
    for (int e = 0; e < n; ++e, ++edits) {
      if (rng() % 5 == 0) cursor = rng() % (model.size() + 1);
      cursor = std::min<uint64_t>(cursor, model.size());
      const uint64_t kind = rng() % 10;
      if (kind < 5 || model.empty()) {
        const std::u32string ins = random_text(kind == 0 ? 12 : 2);
        d.Insert(cursor, ToUtf8(ins), ins.size());
        model.insert(cursor, ins);
        cursor += ins.size();
      } else if (kind < 8) {  // backspace-like
        const uint64_t len = std::min<uint64_t>(cursor, 1 + rng() % 3);
        d.Delete(cursor - len, len);
        model.erase(cursor - len, len);
        cursor -= len;
      } else {  // forward delete, sometimes a long selection
        const uint64_t room = model.size() - cursor;
        const uint64_t len =
            room == 0 ? 0 : std::min<uint64_t>(room, 1 + rng() % (kind == 9 ? 20 : 3));
        d.Delete(cursor, len);
        model.erase(cursor, len);
      }
      ASSERT_TRUE(IsNormal(d)) << "batch " << batch << " edit " << e;
      if (e % 16 == 0 || e == n - 1) {
        std::string text = ToUtf8(base);
        ASSERT_TRUE(d.ApplyTo(&text)) << "batch " << batch << " edit " << e << " " << d.ToString();
        ASSERT_EQ(text, ToUtf8(model)) << "batch " << batch << " edit " << e << " " << d.ToString();
      }
    }
  }
  EXPECT_GT(edits, 5000u);
}

// Same, but fully random positions (no clustering) and tiny texts, so that
// edits land at step boundaries and across many steps.
TEST(TextDeltaRandom, ScatteredEditsOnShortText) {
  std::mt19937_64 rng(7);
  const char32_t alphabet[] = {U'a', U'é', U'€', U'😀'};
  for (int batch = 0; batch < 400; ++batch) {
    std::u32string base;
    for (uint64_t i = 0, n = rng() % 12; i < n; ++i) base += alphabet[rng() % 4];
    std::u32string model = base;
    TextDelta d;
    for (int e = 0; e < 20; ++e) {
      const uint64_t at = rng() % (model.size() + 1);
      if (rng() % 2 || model.empty()) {
        std::u32string ins;
        for (uint64_t i = 0, n = 1 + rng() % 3; i < n; ++i) ins += alphabet[rng() % 4];
        d.Insert(at, ToUtf8(ins), ins.size());
        model.insert(at, ins);
      } else {
        const uint64_t len = std::min<uint64_t>(model.size() - at, rng() % 5);
        d.Delete(at, len);
        model.erase(at, len);
      }
      ASSERT_TRUE(IsNormal(d)) << "batch " << batch << " edit " << e;
      std::string text = ToUtf8(base);
      ASSERT_TRUE(d.ApplyTo(&text)) << "batch " << batch << " edit " << e << " " << d.ToString();
      ASSERT_EQ(text, ToUtf8(model)) << "batch " << batch << " edit " << e << " " << d.ToString();
    }
  }
}

}  // namespace
}  // namespace tandem
