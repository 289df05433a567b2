// DocCollector: gathers a Doc's operations (all since a version vector, the
// local transaction's, or the pending ones) into DocOps, naming each
// container once in the table.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "doc.h"
#include "doc_ops.h"

namespace tandem {

struct SeqState;
struct MapSlot;
struct Run;

class DocCollector {
 public:
  // `merge_runs`: merge rows that continue each other as they come
  // (snapshots, collected in document order).
  DocCollector(const Doc& doc, bool merge_runs) : doc_(doc), merge_runs_(merge_runs) {}

  // Every operation `since` lacks.
  void AddAll(const VersionVector& since);
  // The local peer's operations with counters [lo, hi) in the containers
  // the open transaction touched.
  void AddLocalRange(uint64_t lo, uint64_t hi);
  // Every pending operation.
  void AddPending();
  uint32_t AddNode(uint32_t c);
  DocOps Take() { return std::move(ops_); }

 private:
  uint32_t AddForeign(const std::vector<ContainerKey>& table, uint32_t i);
  uint32_t Intern(ContainerKey k);
  SequenceSection& Section(uint32_t table_index);
  void AddRun(SequenceSection& sec, bool list, const SeqState& st, const Run& r,
              std::string_view content, uint64_t skip, uint64_t end);
  void AddSequence(uint32_t c, const VersionVector& since);
  void AddSequenceRange(uint32_t c, uint64_t lo, uint64_t hi);
  void AddMapSlot(uint32_t c, const std::string& key, const MapSlot& s);

  const Doc& doc_;
  bool merge_runs_;
  DocOps ops_;
  std::unordered_map<uint32_t, uint32_t> by_node_;
  std::unordered_map<std::string, uint32_t> by_canon_;
  std::vector<std::string> canon_;
  std::map<uint32_t, size_t> sections_;
};

}  // namespace tandem
