// TextDelta: a change to a text as retain / insert / delete steps, the form
// editors (Quill, ProseMirror, CodeMirror adapters) apply to their buffers.
//
// Steps are applied left to right against the text as it was before the
// change: retain n skips n code points, delete n removes n, insert adds text.
// The delta is normalised: no empty steps, no two adjacent steps of one kind,
// and no trailing retain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

struct DeltaStep {
  enum Kind : uint8_t { kRetain, kInsert, kDelete };
  Kind kind;
  uint64_t count;    // code points (retain, delete, and the length of `text`)
  std::string text;  // UTF-8, insert only
  friend bool operator==(const DeltaStep&, const DeltaStep&) = default;
};

class TextDelta {
 public:
  // Records "at code point `index` of the text as changed so far, insert
  // `text` (`count` code points)". Changes are recorded in the order they
  // happen; the delta composes them. Cost is proportional to the distance
  // from the previous change's step, so runs of typing are O(1) each.
  void Insert(uint64_t index, std::string_view text, uint64_t count);
  // Records the deletion of `count` code points at `index` (same convention).
  void Delete(uint64_t index, uint64_t count);

  const std::vector<DeltaStep>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }
  void Clear() {
    steps_.clear();
    end_pos_ = 0;
  }
  // Applies the delta to `text` (UTF-8), for tests and simple hosts.
  // Returns false when the delta does not fit the text.
  bool ApplyTo(std::string* text) const;
  // e.g. [retain 3, insert "ab", delete 2]; for logs and tests.
  std::string ToString() const;

 private:
  // For `index` < end_pos_: returns k such that step k - 1 is the step
  // whose span in the changed text holds `index`, and sets *end to where
  // that span ends.
  size_t FindStep(uint64_t index, uint64_t* end) const;
  void Normalize(size_t from, size_t to);
  void TrimTrailingRetain();

  std::vector<DeltaStep> steps_;
  uint64_t end_pos_ = 0;  // length, in the changed text, that the steps cover
};

}  // namespace tandem
