// fuzz_scenario.h: the fixed document the fuzz targets start from, and the
// valid messages their seed corpora are made of. Deterministic: the fuzzers
// and tandem-fuzz-seeds build exactly the same state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../tools/converge_sim.h"
#include "core/text.h"

namespace tandem::fuzz {

inline constexpr PeerId kBasePeer = 0xF022;

struct Scenario {
  std::string base_snapshot;          // replica 0: text of three peers, tombstones, a pending op
  std::vector<std::string> updates;   // valid updates: some new to the base, some already known
  std::vector<std::string> snapshots; // valid snapshots of every replica at several moments
};

// Three peers edit a small document (unicode, range deletes, backspaces),
// syncing now and then; replica 0 misses some updates, receives one out of
// order (so it holds a pending op) and becomes the base.
inline Scenario BuildScenario() {
  Scenario sc;
  sim::Rng rng(20240601);
  std::vector<std::unique_ptr<Text>> r;
  for (PeerId p : {PeerId{kBasePeer}, PeerId{0x1111}, PeerId{0x2222}}) r.push_back(std::make_unique<Text>(p));
  std::vector<std::vector<std::string>> sent(r.size());
  for (int step = 0; step < 60; ++step) {
    const size_t i = rng.Below(r.size());
    Text& t = *r[i];
    if (rng.PerMille(250)) {
      const size_t j = rng.Below(r.size());
      if (j != i) (void)t.ApplyUpdate(r[j]->EncodeUpdate(t.version()));
      continue;
    }
    (void)t.BeginTransaction();
    const int edits = static_cast<int>(rng.Range(1, 3));
    for (int e = 0; e < edits; ++e) {
      const uint64_t n = t.length();
      if (n > 4 && rng.PerMille(350)) {
        const uint64_t a = rng.Below(n);
        (void)t.Delete(a, rng.Range(1, std::min<uint64_t>(6, n - a)));
      } else {
        const uint64_t at = rng.Below(n + 1);  // before RandomText: one order on every compiler
        (void)t.Insert(at, sim::Utf8(sim::RandomText(rng)));
      }
    }
    std::string u;
    (void)t.CommitTransaction(&u);
    sent[i].push_back(u);
    sc.updates.push_back(u);
    if (step % 10 == 0) sc.snapshots.push_back(t.EncodeSnapshot());
  }
  // Replica 0 receives peer 1's last update without the one before it.
  if (sent[1].size() >= 2) (void)r[0]->ApplyUpdate(sent[1].back());
  sc.base_snapshot = r[0]->EncodeSnapshot();
  for (size_t j = 1; j < r.size(); ++j) {
    sc.updates.push_back(r[j]->EncodeUpdate(r[0]->version()));
    sc.updates.push_back(r[j]->EncodeUpdate({}));
  }
  for (auto& t : r) sc.snapshots.push_back(t->EncodeSnapshot());
  Text empty(1);
  sc.snapshots.push_back(empty.EncodeSnapshot());
  return sc;
}

}  // namespace tandem::fuzz
