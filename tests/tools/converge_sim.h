// converge_sim.h: the randomized convergence simulation behind the
// `tandem-converge` tool and tests/core/convergence_test.cc (one
// implementation, two drivers).
//
// P replicas of one Text make K random local edits in total (unicode inserts,
// range deletes, the three index units, transactions of several edits) and
// exchange the committed updates through a network whose per-replica inboxes
// deliver in random order, sometimes twice, sometimes much later (a replica
// goes offline for a while); now and then a replica catches up with
// EncodeUpdate(its version) from another one, or is reloaded from its own
// snapshot. At the end everything is delivered and every replica must hold
// the same text, version vector and snapshot bytes.
//
// Every replica's text is also tracked by a shadow string driven only by
// observer deltas, so the deltas of local and remote changes are checked
// against ToString() after every step.
//
// Everything is deterministic for a given SimOptions: a failure is reproduced
// by running `tandem-converge` with SimOptions::CommandLine().
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text.h"
#include "random_text.h"

namespace tandem::sim {

// ---------------------------------------------------------------- deltas

// Checks that `delta` is normalised (no empty steps, no two adjacent steps of
// one kind, no trailing retain, insert counts match their text) and applies it
// to `text`. Returns "" on success, else what was wrong (text then undefined).
inline std::string ApplyDelta(const TextDelta& delta, std::u32string* text) {
  const auto& steps = delta.steps();
  std::u32string out;
  out.reserve(text->size());
  uint64_t pos = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const DeltaStep& s = steps[i];
    if (s.count == 0) return "empty step in " + delta.ToString();
    if (i > 0 && steps[i - 1].kind == s.kind) return "adjacent steps of one kind in " + delta.ToString();
    switch (s.kind) {
      case DeltaStep::kRetain:
        if (s.count > text->size() - pos) return "retain past the end in " + delta.ToString();
        out.append(*text, pos, s.count);
        pos += s.count;
        break;
      case DeltaStep::kDelete:
        if (s.count > text->size() - pos) return "delete past the end in " + delta.ToString();
        pos += s.count;
        break;
      case DeltaStep::kInsert: {
        std::u32string ins;
        if (!DecodeUtf8(s.text, &ins)) return "insert of invalid UTF-8 in " + delta.ToString();
        if (ins.size() != s.count) return "insert count differs from its text in " + delta.ToString();
        out += ins;
        break;
      }
      default: return "unknown step kind";
    }
  }
  if (!steps.empty() && steps.back().kind == DeltaStep::kRetain) return "trailing retain in " + delta.ToString();
  out.append(*text, pos, std::u32string::npos);
  *text = std::move(out);
  return "";
}

// ---------------------------------------------------------------- options

struct SimOptions {
  uint64_t seed = 1;
  int peers = 3;
  uint64_t ops = 500;       // local edits in total
  uint64_t max_len = 2000;  // soft cap on the text length, in code points
  bool verbose = false;
  // When set, bytes behind a failed snapshot or update check are written
  // here (failure-*.bin) for a reproduction outside the simulation.
  std::string dump_dir;
  // Scenario profile: "default", "hotspot" (everyone types at the start, the
  // end or their cursor), "offline" (no delivery until the end: pure
  // concurrency), "catchup" (replicas sync only by EncodeUpdate(version)),
  // "reload" (frequent snapshot reloads), "no-reload" (none), "extreme-peers"
  // (peer ids 0, 1, 2^63, 2^64-1, ...).
  std::string profile = "default";

  std::string CommandLine() const {
    std::string s = "tandem-converge --seed " + std::to_string(seed) + " --peers " + std::to_string(peers) +
                    " --ops " + std::to_string(ops) + " --max-len " + std::to_string(max_len);
    if (profile != "default") s += " --profile " + profile;
    return s;
  }
};

struct SimResult {
  bool converged = false;
  std::string failure;  // the first failed check, with context
  uint64_t len = 0;     // final length in code points
  uint64_t steps = 0, edits = 0, updates = 0, deliveries = 0, catchups = 0, reloads = 0;
  double ms = 0;

  std::string Summary(const SimOptions& o) const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s seed=%llu peers=%d ops=%llu len=%llu ms=%.0f", converged ? "converged" : "DIVERGED",
                  static_cast<unsigned long long>(o.seed), o.peers, static_cast<unsigned long long>(o.ops),
                  static_cast<unsigned long long>(len), ms);
    std::string s = buf;
    if (o.profile != "default") s += " profile=" + o.profile;
    if (!converged) s += ": " + failure;
    return s;
  }
};

// ---------------------------------------------------------------- simulation

class Simulation {
 public:
  explicit Simulation(const SimOptions& options, std::FILE* log = nullptr)
      : o_(options), rng_(options.seed), log_(options.verbose ? (log ? log : stderr) : nullptr) {
    const std::string& p = o_.profile;
    if (p == "hotspot") {
      hotspot_ = true;
    } else if (p == "offline") {
      w_deliver_ = 0, w_offline_ = 0, w_catchup_ = 0;
    } else if (p == "catchup") {
      w_deliver_ = 0, w_catchup_ = 200;
    } else if (p == "reload") {
      w_reload_ = 120;
    } else if (p == "no-reload") {
      w_reload_ = 0;
    } else if (p == "extreme-peers") {
      extreme_peers_ = true;
    } else if (p != "default") {
      unknown_profile_ = true;
    }
  }

  SimResult Run() {
    const auto t0 = std::chrono::steady_clock::now();
    SimResult res;
    if (unknown_profile_) {
      Fail("unknown profile '" + o_.profile + "'");
    } else if (o_.peers < 1 || o_.peers > 64) {
      Fail("--peers must be in 1..64");
    } else {
      Setup();
      while (ok() && edits_ < o_.ops) Step();
      if (ok()) Finish();
    }
    res.failure = failure_;
    res.converged = failure_.empty();
    res.len = replicas_.empty() || !replicas_[0]->text ? 0 : replicas_[0]->text->length();
    res.steps = step_, res.edits = edits_, res.updates = updates_, res.deliveries = deliveries_;
    res.catchups = catchups_, res.reloads = reloads_;
    res.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return res;
  }

 private:
  struct Replica {
    int index = 0;
    PeerId peer = 0;
    std::unique_ptr<Text> text;
    std::u32string shadow;    // the text according to observer deltas only
    std::string shadow_utf8;  // the same, through TextDelta::ApplyTo
    std::vector<std::string> inbox;
    uint64_t offline_until = 0;  // no deliveries before this step
    uint64_t cursor = 0;         // where this peer last edited (code points)
    uint64_t counters_used = 0;  // op ids this peer has taken: inserted + deleted items
    uint64_t observer_calls = 0;
    bool expect_local = false;
    std::string observer_error;
  };

  // ---- bookkeeping

  bool ok() const { return failure_.empty(); }

  bool Fail(const std::string& what) {
    if (failure_.empty()) failure_ = "step " + std::to_string(step_) + ": " + what;
    if (log_) std::fprintf(log_, "FAIL %s\n", failure_.c_str());
    return false;
  }

  void Log(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!log_) return;
    std::fprintf(log_, "[%llu] ", static_cast<unsigned long long>(step_));
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(log_, fmt, ap);
    va_end(ap);
    std::fputc('\n', log_);
  }

  void Dump(const std::string& name, const std::string& bytes) {
    if (o_.dump_dir.empty()) return;
    const std::string path = o_.dump_dir + "/" + name;
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(bytes.data(), 1, bytes.size(), f);
      std::fclose(f);
      if (log_) std::fprintf(log_, "wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
    }
  }

  static std::string Name(const Replica& r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "replica %d (peer %llx)", r.index, static_cast<unsigned long long>(r.peer));
    return buf;
  }

  static std::string Escape(std::u32string_view s, size_t max = 40) {
    std::string out;
    for (size_t i = 0; i < s.size() && i < max; ++i) {
      char32_t c = s[i];
      if (c >= 0x20 && c < 0x7F && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(c));
        out += buf;
      }
    }
    if (s.size() > max) out += "...";
    return out;
  }

  // Where two texts first differ, for failure messages.
  static std::string Diff(std::u32string_view a, std::u32string_view b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const size_t from = i > 8 ? i - 8 : 0;
    return "lengths " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ", first difference at " +
           std::to_string(i) + ": \"" + Escape(a.substr(from), 24) + "\" vs \"" + Escape(b.substr(from), 24) + "\"";
  }

  // ---- set-up

  void Setup() {
    std::vector<PeerId> ids;
    if (extreme_peers_) {
      static constexpr PeerId kExtreme[] = {0, ~PeerId{0}, 1, PeerId{1} << 63, ~PeerId{0} - 1, 2, (PeerId{1} << 63) - 1};
      for (PeerId p : kExtreme) ids.push_back(p);
    }
    while (ids.size() < static_cast<size_t>(o_.peers)) {
      PeerId p = rng_.Next();
      if (std::find(ids.begin(), ids.end(), p) == ids.end()) ids.push_back(p);
    }
    ids.resize(o_.peers);
    for (int i = 0; i < o_.peers; ++i) {
      auto r = std::make_unique<Replica>();
      r->index = i;
      r->peer = ids[i];
      r->text = std::make_unique<Text>(r->peer);
      // Some replicas join late: they edit offline and get nothing for a while.
      if (w_deliver_ > 0 && rng_.PerMille(250)) r->offline_until = rng_.Range(50, 50 + 2 * o_.ops);
      Attach(*r);
      replicas_.push_back(std::move(r));
    }
    Log("peers:");
    for (auto& r : replicas_) Log("  %s", Name(*r).c_str());
  }

  void Attach(Replica& r) {
    Replica* rp = &r;
    r.text->SetObserver([rp](const TextChange& change) {
      ++rp->observer_calls;
      if (!rp->observer_error.empty()) return;
      if (change.local != rp->expect_local) {
        rp->observer_error = std::string("TextChange.local is ") + (change.local ? "true" : "false") +
                             " for a " + (rp->expect_local ? "local" : "remote") + " change";
        return;
      }
      std::string err = ApplyDelta(change.delta, &rp->shadow);
      if (!err.empty()) {
        rp->observer_error = "bad delta: " + err;
        return;
      }
      if (!change.delta.ApplyTo(&rp->shadow_utf8)) rp->observer_error = "TextDelta::ApplyTo refused " + change.delta.ToString();
    });
  }

  // ---- checks

  // The replica's text equals its observer-driven shadow, in every unit.
  bool CheckReplica(Replica& r, const char* where) {
    if (!r.observer_error.empty()) return Fail(Name(r) + " " + where + ": observer: " + r.observer_error);
    const std::string s = r.text->ToString();
    std::u32string u;
    if (!DecodeUtf8(s, &u)) return Fail(Name(r) + " " + where + ": ToString() is not valid UTF-8");
    if (u != r.shadow) return Fail(Name(r) + " " + where + ": observer deltas disagree with ToString(): " + Diff(r.shadow, u));
    if (s != r.shadow_utf8) return Fail(Name(r) + " " + where + ": TextDelta::ApplyTo result disagrees with ToString()");
    for (IndexUnit unit : kUnits) {
      if (r.text->length(unit) != UnitLength(u, unit)) {
        return Fail(Name(r) + " " + where + ": length(" + UnitName(unit) + ") = " + std::to_string(r.text->length(unit)) +
                    ", expected " + std::to_string(UnitLength(u, unit)));
      }
    }
    r.cursor = std::min<uint64_t>(r.cursor, u.size());
    return true;
  }

  bool CheckStatus(const Status& st, const Replica& r, const std::string& what) {
    if (st.ok()) return true;
    return Fail(Name(r) + ": " + what + " failed: " + st.ToString());
  }

  bool CheckAll() {
    for (auto& r : replicas_) {
      Status st = r->text->CheckInvariants();
      if (!st.ok()) return Fail(Name(*r) + ": CheckInvariants: " + st.ToString());
      if (!CheckReplica(*r, "in a periodic check")) return false;
    }
    // Replicas that have applied the same operations hold the same text, and
    // the same snapshot bytes when neither holds pending operations.
    for (size_t i = 0; i < replicas_.size(); ++i) {
      for (size_t j = i + 1; j < replicas_.size(); ++j) {
        Replica& a = *replicas_[i];
        Replica& b = *replicas_[j];
        if (!(a.text->version() == b.text->version())) continue;
        if (a.shadow != b.shadow) {
          return Fail(Name(a) + " and " + Name(b) + " have version " + a.text->version().ToString() +
                      " but different text: " + Diff(a.shadow, b.shadow));
        }
        if (a.text->pending_ops() == 0 && b.text->pending_ops() == 0 &&
            a.text->EncodeSnapshot() != b.text->EncodeSnapshot()) {
          return Fail(Name(a) + " and " + Name(b) + " have the same version and text but different snapshot bytes");
        }
      }
    }
    return true;
  }

  // ---- steps

  void Step() {
    ++step_;
    Replica& r = *replicas_[rng_.Below(replicas_.size())];
    const uint64_t total = w_edit_ + w_deliver_ + w_offline_ + w_catchup_ + w_reload_ + w_echo_ + w_check_;
    uint64_t roll = rng_.Below(total);
    if (roll < w_edit_) {
      LocalStep(r);
    } else if ((roll -= w_edit_) < w_deliver_) {
      if (step_ >= r.offline_until) Deliver(r, rng_.Range(1, replicas_.size() + 1), /*allow_duplicates=*/true);
    } else if ((roll -= w_deliver_) < w_offline_) {
      r.offline_until = step_ + rng_.Range(20, 400);
      Log("%s goes offline until step %llu", Name(r).c_str(), static_cast<unsigned long long>(r.offline_until));
    } else if ((roll -= w_offline_) < w_catchup_) {
      if (replicas_.size() > 1) {
        Replica* src;
        do src = replicas_[rng_.Below(replicas_.size())].get();
        while (src == &r);
        CatchUp(r, *src, rng_.PerMille(150));
      }
    } else if ((roll -= w_catchup_) < w_reload_) {
      Reload(r);
    } else if ((roll -= w_reload_) < w_echo_) {
      Echo(r);
    } else {
      CheckAll();
    }
    if (ok() && step_ % 64 == 0) CheckAll();
  }

  // One local transaction of one or more edits, broadcast to everyone.
  bool LocalStep(Replica& r) {
    std::u32string model = r.shadow;  // == ToString(): checked after every step
    const std::u32string shadow_before = r.shadow;
    const uint64_t edits = rng_.PerMille(250) ? rng_.Range(2, 5) : 1;
    const bool use_txn = edits > 1 || !rng_.PerMille(120);
    const VersionVector before = r.text->version();
    const uint64_t calls0 = r.observer_calls;
    const uint64_t counters0 = r.counters_used;
    r.expect_local = true;
    if (use_txn) {
      if (!CheckStatus(r.text->BeginTransaction(), r, "BeginTransaction")) return false;
      if (!r.text->in_transaction()) return Fail(Name(r) + ": in_transaction() false after BeginTransaction");
      if (rng_.PerMille(50) && r.text->BeginTransaction().ok()) return Fail(Name(r) + ": nested BeginTransaction succeeded");
      if (rng_.PerMille(50) && r.text->ApplyUpdate(r.text->EncodeUpdate({})).ok()) {
        return Fail(Name(r) + ": ApplyUpdate inside a transaction succeeded");
      }
    }
    for (uint64_t e = 0; e < edits; ++e) {
      if (!Edit(r, &model)) return false;
      if (use_txn && r.observer_calls != calls0) return Fail(Name(r) + ": observer called before CommitTransaction");
    }
    std::string update;
    if (use_txn) {
      if (!CheckStatus(r.text->CommitTransaction(&update), r, "CommitTransaction")) return false;
      if (r.text->in_transaction()) return Fail(Name(r) + ": in_transaction() true after CommitTransaction");
    } else {
      update = r.text->EncodeUpdate(before);
    }
    r.expect_local = false;
    // One change event per transaction; none is needed when the transaction's
    // edits cancel out (text.cc skips empty deltas).
    const uint64_t want_calls = model != shadow_before ? 1 : r.observer_calls - calls0 <= 1 ? r.observer_calls - calls0 : 1;
    if (r.observer_calls - calls0 != want_calls) {
      return Fail(Name(r) + ": observer called " + std::to_string(r.observer_calls - calls0) +
                  " times for one local transaction");
    }
    if (!CheckReplica(r, "after a local transaction")) return false;
    if (r.shadow != model) return Fail(Name(r) + ": text after the local transaction: " + Diff(model, r.shadow));
    // Each inserted or deleted item takes one counter of the local peer; no
    // other peer's entry moves.
    VersionVector expect = before;
    expect.set(r.peer, r.counters_used);
    if (!(r.text->version() == expect)) {
      return Fail(Name(r) + ": version after a local transaction of " + std::to_string(r.counters_used - counters0) +
                  " items is " + r.text->version().ToString() + ", expected " + expect.ToString());
    }
    if (update.empty()) return Fail(Name(r) + ": a transaction with edits produced an empty update");
    ++updates_;
    for (auto& other : replicas_) {
      if (other.get() != &r || rng_.PerMille(30)) other->inbox.push_back(update);
    }
    return true;
  }

  // One random edit inside the current transaction (or as its own).
  bool Edit(Replica& r, std::u32string* model) {
    const uint64_t n = model->size();
    const IndexUnit unit = kUnits[rng_.Below(3)];
    bool insert;
    if (n == 0) {
      insert = true;
    } else if (n > o_.max_len) {
      insert = rng_.PerMille(150);
    } else {
      insert = rng_.PerMille(560);
    }
    if (insert) {
      uint64_t pos;
      const uint64_t roll = rng_.Below(100);
      if (hotspot_) {
        pos = roll < 50 ? std::min(r.cursor, n) : roll < 75 ? 0 : n;
      } else {
        pos = roll < 35 ? std::min(r.cursor, n) : roll < 45 ? 0 : roll < 55 ? n : rng_.Below(n + 1);
      }
      const std::u32string s = RandomText(rng_);
      const uint64_t upos = UnitOffset(*model, pos, unit);
      if (!CheckConvert(r, *model, pos, unit)) return false;
      Log("%s insert at %llu (%s %llu) \"%s\"", Name(r).c_str(), static_cast<unsigned long long>(pos), UnitName(unit),
          static_cast<unsigned long long>(upos), Escape(s).c_str());
      if (!CheckStatus(r.text->Insert(upos, Utf8(s), unit), r, "Insert")) return false;
      model->insert(pos, s);
      r.cursor = pos + s.size();
      r.counters_used += s.size();
    } else {
      uint64_t a, b;
      const uint64_t roll = rng_.Below(100);
      if (roll < 20 && r.cursor > 0 && r.cursor <= n) {
        a = r.cursor - 1, b = r.cursor;  // backspace
      } else if (roll < 35 && r.cursor < n) {
        a = r.cursor, b = r.cursor + 1;  // forward delete
      } else if (roll < 85) {
        a = rng_.Below(n);
        b = a + rng_.Range(1, std::min<uint64_t>(10, n - a));
      } else {
        a = rng_.Below(n);
        b = a + rng_.Range(1, std::max<uint64_t>(1, (n - a) / 2));  // a long range over many runs
      }
      const uint64_t ua = UnitOffset(*model, a, unit);
      const uint64_t ub = ua + UnitOffset(std::u32string_view(*model).substr(a), b - a, unit);
      if (!CheckConvert(r, *model, a, unit) || !CheckConvert(r, *model, b, unit)) return false;
      Log("%s delete [%llu, %llu) (%s %llu+%llu) \"%s\"", Name(r).c_str(), static_cast<unsigned long long>(a),
          static_cast<unsigned long long>(b), UnitName(unit), static_cast<unsigned long long>(ua),
          static_cast<unsigned long long>(ub - ua), Escape(std::u32string_view(*model).substr(a, b - a)).c_str());
      if (!CheckStatus(r.text->Delete(ua, ub - ua, unit), r, "Delete")) return false;
      model->erase(a, b - a);
      r.cursor = a;
      r.counters_used += b - a;
    }
    ++edits_;
    if (rng_.PerMille(40) && !ProbeInvalid(r, *model)) return false;
    const std::string now = r.text->ToString();
    if (now != Utf8(*model)) {
      std::u32string u;
      DecodeUtf8(now, &u);
      return Fail(Name(r) + ": text after a local edit: " + Diff(*model, u));
    }
    return true;
  }

  // ConvertIndex agrees with our own conversion, both ways.
  bool CheckConvert(Replica& r, const std::u32string& model, uint64_t cp, IndexUnit unit) {
    const uint64_t expect = UnitOffset(model, cp, unit);
    uint64_t got = ~uint64_t{0};
    Status st = r.text->ConvertIndex(cp, IndexUnit::kCodePoint, unit, &got);
    if (!st.ok() || got != expect) {
      return Fail(Name(r) + ": ConvertIndex(" + std::to_string(cp) + ", cp -> " + UnitName(unit) + ") = " +
                  (st.ok() ? std::to_string(got) : st.ToString()) + ", expected " + std::to_string(expect));
    }
    st = r.text->ConvertIndex(expect, unit, IndexUnit::kCodePoint, &got);
    if (!st.ok() || got != cp) {
      return Fail(Name(r) + ": ConvertIndex(" + std::to_string(expect) + ", " + UnitName(unit) + " -> cp) = " +
                  (st.ok() ? std::to_string(got) : st.ToString()) + ", expected " + std::to_string(cp));
    }
    return true;
  }

  // Invalid local calls fail and change nothing (checked by the caller
  // comparing the text with the model afterwards).
  bool ProbeInvalid(Replica& r, const std::u32string& model) {
    const uint64_t calls0 = r.observer_calls;
    const IndexUnit unit = kUnits[rng_.Below(3)];
    const uint64_t len = UnitLength(model, unit);
    uint64_t out;
    switch (rng_.Below(5)) {
      case 0:
        if (r.text->Insert(len + 1 + rng_.Below(3), "x", unit).ok()) return Fail(Name(r) + ": Insert past the end succeeded");
        break;
      case 1: {
        static constexpr std::string_view kBad[] = {"\xC3", "a\xFF", "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "\x80"};
        std::string_view bad = kBad[rng_.Below(std::size(kBad))];
        if (r.text->Insert(0, bad, unit).ok()) return Fail(Name(r) + ": Insert of invalid UTF-8 succeeded");
        break;
      }
      case 2: {
        const uint64_t start = rng_.Below(len + 1);
        if (r.text->Delete(start, len - start + 1 + rng_.Below(3), unit).ok()) {
          return Fail(Name(r) + ": Delete past the end succeeded");
        }
        break;
      }
      case 3:
        if (r.text->ConvertIndex(len + 1, unit, IndexUnit::kCodePoint, &out).ok()) {
          return Fail(Name(r) + ": ConvertIndex past the end succeeded");
        }
        break;
      case 4: {
        // An index inside a character: a UTF-8 continuation byte or between
        // the surrogates of an astral character.
        std::vector<uint64_t> multi;
        for (uint64_t i = 0; i < model.size(); ++i) {
          if (model[i] >= 0x80) multi.push_back(i);
        }
        if (multi.empty()) break;
        const uint64_t i = multi[rng_.Below(multi.size())];
        const bool astral = model[i] >= 0x10000;
        const IndexUnit u = astral && rng_.PerMille(500) ? IndexUnit::kUtf16 : IndexUnit::kUtf8;
        const uint64_t inside = UnitOffset(model, i, u) + 1;
        if (r.text->ConvertIndex(inside, u, IndexUnit::kCodePoint, &out).ok()) {
          return Fail(Name(r) + ": ConvertIndex inside a character (" + UnitName(u) + " " + std::to_string(inside) +
                      ") succeeded");
        }
        if (r.text->Insert(inside, "x", u).ok()) return Fail(Name(r) + ": Insert inside a character succeeded");
        if (r.text->Delete(inside, 1, u).ok()) return Fail(Name(r) + ": Delete from inside a character succeeded");
        if (r.text->Delete(UnitOffset(model, i, u), 1, u).ok()) {
          return Fail(Name(r) + ": Delete ending inside a character succeeded");
        }
        break;
      }
    }
    if (r.observer_calls != calls0) return Fail(Name(r) + ": observer called for a refused edit");
    return true;
  }

  bool Apply(Replica& r, std::string_view bytes, const std::string& what) {
    const uint64_t calls0 = r.observer_calls;
    ApplyResult res;
    Status st = r.text->ApplyUpdate(bytes, &res);
    if (!st.ok()) {
      Dump("failure-update.bin", std::string(bytes));
      Dump("failure-replica-snapshot.bin", r.text->EncodeSnapshot());
      return Fail(Name(r) + ": ApplyUpdate(" + what + ") failed: " + st.ToString());
    }
    if (res.pending_ops != r.text->pending_ops()) {
      return Fail(Name(r) + ": ApplyResult.pending_ops = " + std::to_string(res.pending_ops) + " but pending_ops() = " +
                  std::to_string(r.text->pending_ops()));
    }
    if (r.observer_calls > calls0 + 1) {
      return Fail(Name(r) + ": observer called " + std::to_string(r.observer_calls - calls0) + " times for one ApplyUpdate");
    }
    return CheckReplica(r, ("after ApplyUpdate(" + what + ")").c_str());
  }

  // Delivers up to `count` random messages from the inbox.
  bool Deliver(Replica& r, uint64_t count, bool allow_duplicates) {
    for (uint64_t k = 0; k < count && !r.inbox.empty(); ++k) {
      const size_t i = rng_.Below(r.inbox.size());
      std::string msg = r.inbox[i];
      if (!(allow_duplicates && rng_.PerMille(80))) {
        r.inbox[i] = std::move(r.inbox.back());
        r.inbox.pop_back();
      }
      ++deliveries_;
      Log("%s receives an update of %zu bytes (%zu left in inbox)", Name(r).c_str(), msg.size(), r.inbox.size());
      if (!Apply(r, msg, "a delivered update")) return false;
    }
    return true;
  }

  // `dst` syncs from `src` directly: everything `src` has that `dst` lacks.
  bool CatchUp(Replica& dst, Replica& src, bool full) {
    ++catchups_;
    const VersionVector since = full ? VersionVector{} : dst.text->version();
    const std::string update = src.text->EncodeUpdate(since);
    const VersionVector src_version = src.text->version();
    Log("%s catches up from %s (%s, %zu bytes)", Name(dst).c_str(), Name(src).c_str(), full ? "full" : "since its version",
        update.size());
    dst.offline_until = 0;
    if (!Apply(dst, update, full ? "EncodeUpdate({}) of another replica" : "EncodeUpdate(version) of another replica")) {
      return false;
    }
    if (!dst.text->version().includes(src_version)) {
      return Fail(Name(dst) + " caught up from " + Name(src) + " but its version " + dst.text->version().ToString() +
                  " lacks part of " + src_version.ToString());
    }
    return true;
  }

  // Applying what the replica already has changes nothing at all.
  bool Echo(Replica& r) {
    const std::string snap = r.text->EncodeSnapshot();
    const uint64_t calls0 = r.observer_calls;
    const std::string update = rng_.PerMille(500) ? r.text->EncodeUpdate({}) : r.text->EncodeUpdate(r.text->version());
    Log("%s re-applies its own state (%zu bytes)", Name(r).c_str(), update.size());
    if (!Apply(r, update, "its own EncodeUpdate")) return false;
    if (r.observer_calls != calls0) return Fail(Name(r) + ": observer called when re-applying known operations");
    if (r.text->EncodeSnapshot() != snap) return Fail(Name(r) + ": re-applying its own operations changed the snapshot");
    return true;
  }

  // The replica is replaced by DecodeSnapshot(EncodeSnapshot()) of itself.
  bool Reload(Replica& r) {
    ++reloads_;
    const std::string snap = r.text->EncodeSnapshot();
    std::unique_ptr<Text> fresh;
    Status st = Text::DecodeSnapshot(snap, r.peer, &fresh);
    Log("%s reloads from a snapshot of %zu bytes", Name(r).c_str(), snap.size());
    if (!st.ok()) {
      Dump("failure-snapshot.bin", snap);
      return Fail(Name(r) + ": DecodeSnapshot of its own snapshot failed: " + st.ToString());
    }
    if (!fresh) return Fail(Name(r) + ": DecodeSnapshot returned ok and no replica");
    if (fresh->peer() != r.peer) return Fail(Name(r) + ": reloaded replica has another peer id");
    if (fresh->ToString() != r.text->ToString()) return Fail(Name(r) + ": reloaded text differs");
    if (!(fresh->version() == r.text->version())) {
      return Fail(Name(r) + ": reloaded version " + fresh->version().ToString() + " differs from " +
                  r.text->version().ToString());
    }
    if (fresh->EncodeSnapshot() != snap) {
      Dump("failure-snapshot.bin", snap);
      Dump("failure-snapshot-reencoded.bin", fresh->EncodeSnapshot());
      return Fail(Name(r) + ": snapshot -> decode -> snapshot is not byte-stable");
    }
    if (fresh->pending_ops() != r.text->pending_ops()) {
      return Fail(Name(r) + ": pending_ops() is " + std::to_string(r.text->pending_ops()) + " before a reload and " +
                  std::to_string(fresh->pending_ops()) + " after it (same snapshot bytes)");
    }
    st = fresh->CheckInvariants();
    if (!st.ok()) return Fail(Name(r) + ": reloaded replica: CheckInvariants: " + st.ToString());
    r.text = std::move(fresh);
    Attach(r);
    return CheckReplica(r, "after a reload");
  }

  // ---- the end

  bool Finish() {
    ++step_;
    Log("final delivery");
    for (auto& r : replicas_) r->offline_until = 0;
    for (;;) {
      std::vector<Replica*> waiting;
      for (auto& r : replicas_) {
        if (!r->inbox.empty()) waiting.push_back(r.get());
      }
      if (waiting.empty()) break;
      if (!Deliver(*waiting[rng_.Below(waiting.size())], 1, /*allow_duplicates=*/false)) return false;
    }
    if (!CheckAll()) return false;

    Replica& ref = *replicas_[0];
    const std::string text = ref.text->ToString();
    const std::string snap = ref.text->EncodeSnapshot();
    const std::string full = ref.text->EncodeUpdate({});
    for (auto& rp : replicas_) {
      Replica& r = *rp;
      if (r.text->pending_ops() != 0) {
        return Fail(Name(r) + ": " + std::to_string(r.text->pending_ops()) + " operations still pending at the end");
      }
      if (r.text->version().get(r.peer) != r.counters_used) {
        return Fail(Name(r) + ": version has " + std::to_string(r.text->version().get(r.peer)) +
                    " ops of its own peer, it made " + std::to_string(r.counters_used));
      }
      if (&r == &ref) continue;
      if (!(r.text->version() == ref.text->version())) {
        return Fail(Name(r) + " version " + r.text->version().ToString() + " differs from " + Name(ref) + " version " +
                    ref.text->version().ToString());
      }
      if (r.shadow != ref.shadow) return Fail(Name(r) + " text differs from " + Name(ref) + ": " + Diff(ref.shadow, r.shadow));
      if (r.text->EncodeSnapshot() != snap) return Fail(Name(r) + " snapshot bytes differ from " + Name(ref));
      if (r.text->EncodeUpdate({}) != full) return Fail(Name(r) + " EncodeUpdate({}) bytes differ from " + Name(ref));
    }
    // Snapshot round trip is byte-stable.
    std::unique_ptr<Text> decoded;
    Status st = Text::DecodeSnapshot(snap, ~ref.peer, &decoded);
    if (!st.ok() || !decoded) return Fail("DecodeSnapshot of the final snapshot failed: " + st.ToString());
    if (decoded->EncodeSnapshot() != snap) {
      Dump("failure-snapshot.bin", snap);
      Dump("failure-snapshot-reencoded.bin", decoded->EncodeSnapshot());
      return Fail("final snapshot -> decode -> snapshot is not byte-stable");
    }
    if (decoded->ToString() != text) return Fail("decoded final snapshot has another text");
    if (!(decoded->version() == ref.text->version())) return Fail("decoded final snapshot has another version");
    st = decoded->CheckInvariants();
    if (!st.ok()) return Fail("decoded final snapshot: CheckInvariants: " + st.ToString());

    // The full update rebuilds the same state in a fresh replica.
    Text fresh(~ref.peer);
    ApplyResult res;
    st = fresh.ApplyUpdate(full, &res);
    if (!st.ok()) return Fail("EncodeUpdate({}) applied to a fresh replica failed: " + st.ToString());
    if (fresh.pending_ops() != 0) return Fail("EncodeUpdate({}) applied to a fresh replica left ops pending");
    if (fresh.ToString() != text) return Fail("EncodeUpdate({}) applied to a fresh replica gives another text");
    if (fresh.EncodeSnapshot() != snap) return Fail("EncodeUpdate({}) applied to a fresh replica gives other snapshot bytes");
    st = fresh.CheckInvariants();
    if (!st.ok()) return Fail("fresh replica: CheckInvariants: " + st.ToString());
    Log("converged: %zu bytes of text, snapshot %zu bytes, full update %zu bytes", text.size(), snap.size(), full.size());
    return true;
  }

  static constexpr IndexUnit kUnits[3] = {IndexUnit::kCodePoint, IndexUnit::kUtf16, IndexUnit::kUtf8};

  SimOptions o_;
  Rng rng_;
  std::FILE* log_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::string failure_;
  uint64_t step_ = 0, edits_ = 0, updates_ = 0, deliveries_ = 0, catchups_ = 0, reloads_ = 0;
  // Step weights (per thousand-ish) and profile switches.
  uint64_t w_edit_ = 450, w_deliver_ = 430, w_offline_ = 25, w_catchup_ = 35, w_reload_ = 15, w_echo_ = 10,
           w_check_ = 10;
  bool hotspot_ = false;
  bool extreme_peers_ = false;
  bool unknown_profile_ = false;
};

inline SimResult RunSimulation(const SimOptions& options, std::FILE* log = nullptr) {
  return Simulation(options, log).Run();
}

}  // namespace tandem::sim
