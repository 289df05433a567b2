// fuzz_doc_scenario.h: the fixed nested document the Doc fuzz targets start
// from, and the valid messages their seed corpora are made of. Deterministic:
// the fuzzers and tandem-fuzz-seeds build exactly the same state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../tools/doc_sim.h"
#include "core/doc.h"

namespace tandem::fuzz {

inline constexpr PeerId kDocBasePeer = 0xD0C0;

struct DocScenario {
  std::string base_snapshot;           // replica 0: nested content of three peers, a pending op
  std::vector<std::string> updates;    // valid updates: some new to the base, some known
  std::vector<std::string> snapshots;  // valid snapshots of every replica at several moments
};

// Three peers build a small nested document (maps in maps, lists of maps,
// texts and counters inside lists and maps, deletions of elements holding
// containers), syncing now and then; replica 0 misses some updates, receives
// one out of order (so it holds pending ops) and becomes the base.
inline DocScenario BuildDocScenario() {
  DocScenario sc;
  sim::Rng rng(20240917);
  sim::DocEditOptions edit;
  edit.max_text = 24;
  edit.max_list = 8;
  edit.max_containers = 24;
  std::vector<std::unique_ptr<Doc>> r;
  for (PeerId p : {PeerId{kDocBasePeer}, PeerId{0x1111}, PeerId{0x2222}}) r.push_back(std::make_unique<Doc>(p));
  // A fixed skeleton first, so every container kind is there from the start.
  {
    Doc& d = *r[1];
    Container shapes, shape, points, title, votes, notes;
    (void)d.BeginTransaction();
    (void)d.root().GetOrCreate("shapes", ContainerType::kMap, &shapes);
    (void)shapes.AsMap().GetOrCreate("s1", ContainerType::kMap, &shape);
    (void)shape.AsMap().GetOrCreate("points", ContainerType::kList, &points);
    const Value pts[] = {Value::Int(1), Value::Double(2.5), Value::String("é")};
    (void)points.AsList().Insert(0, pts);
    (void)points.AsList().InsertContainer(1, ContainerType::kText, &title);
    (void)title.AsText().Insert(0, "hi 🌍");
    (void)d.root().GetOrCreate("votes", ContainerType::kCounter, &votes);
    (void)votes.AsCounter().Add(3);
    (void)d.root().GetOrCreate("notes", ContainerType::kList, &notes);
    Container m;
    (void)notes.AsList().InsertContainer(0, ContainerType::kMap, &m);
    (void)m.AsMap().Set("k", Value::Bytes(std::string("\0\1", 2)));
    std::string u;
    (void)d.CommitTransaction(&u);
    sc.updates.push_back(u);
    for (size_t j = 0; j < r.size(); ++j)
      if (j != 1) (void)r[j]->ApplyUpdate(u);
  }
  std::vector<std::vector<std::string>> sent(r.size());
  for (int step = 0; step < 50; ++step) {
    const size_t i = rng.Below(r.size());
    Doc& d = *r[i];
    if (rng.PerMille(250)) {
      const size_t j = rng.Below(r.size());
      if (j != i) (void)d.ApplyUpdate(r[j]->EncodeUpdate(d.version()));
      continue;
    }
    (void)d.BeginTransaction();
    const int edits = static_cast<int>(rng.Range(1, 3));
    for (int e = 0; e < edits; ++e) (void)sim::RandomDocEdit(d, rng, edit);
    std::string u;
    (void)d.CommitTransaction(&u);
    if (u.empty()) continue;
    sent[i].push_back(u);
    sc.updates.push_back(u);
    if (step % 10 == 0) sc.snapshots.push_back(d.EncodeSnapshot());
  }
  // Replica 0 receives peer 1's and peer 2's last updates without the ones before.
  for (size_t j = 1; j < r.size(); ++j)
    if (sent[j].size() >= 2) (void)r[0]->ApplyUpdate(sent[j].back());
  sc.base_snapshot = r[0]->EncodeSnapshot();
  for (size_t j = 1; j < r.size(); ++j) {
    sc.updates.push_back(r[j]->EncodeUpdate(r[0]->version()));
    sc.updates.push_back(r[j]->EncodeUpdate({}));
  }
  for (auto& d : r) sc.snapshots.push_back(d->EncodeSnapshot());
  Doc empty(1);
  sc.snapshots.push_back(empty.EncodeSnapshot());
  return sc;
}

}  // namespace tandem::fuzz
