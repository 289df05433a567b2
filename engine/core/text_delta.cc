#include "text_delta.h"

#include <algorithm>

#include "utf8.h"

namespace tandem {

namespace {

uint64_t Width(const DeltaStep& s) {
  return s.kind == DeltaStep::kDelete ? 0 : s.count;
}

DeltaStep Retain(uint64_t n) {
  return DeltaStep{DeltaStep::kRetain, n, {}};
}
DeltaStep Deleted(uint64_t n) {
  return DeltaStep{DeltaStep::kDelete, n, {}};
}

// Byte offset of code point `n` in `s`.
size_t Byte(const std::string& s, uint64_t n) {
  return utf8::ByteOffsetOfCodePoint(s, n);
}

}  // namespace

size_t TextDelta::FindStep(uint64_t index, uint64_t* end) const {
  // Walk back from the end: edits cluster where the last one was.
  size_t k = steps_.size();
  uint64_t pos = end_pos_;
  while (k > 0) {
    const uint64_t w = Width(steps_[k - 1]);
    if (w > 0 && pos - w <= index) break;
    pos -= w;
    --k;
  }
  *end = pos;
  return k;
}

void TextDelta::Insert(uint64_t index, std::string_view text, uint64_t count) {
  if (count == 0) return;
  if (index >= end_pos_) {
    if (index > end_pos_) steps_.push_back(Retain(index - end_pos_));
    steps_.push_back(DeltaStep{DeltaStep::kInsert, count, std::string(text)});
    end_pos_ = index + count;
    Normalize(steps_.size() >= 3 ? steps_.size() - 3 : 0, steps_.size());
    return;
  }
  uint64_t pos;
  const size_t k = FindStep(index, &pos);
  DeltaStep& s = steps_[k - 1];
  const uint64_t off = index - (pos - Width(s));
  if (s.kind == DeltaStep::kInsert) {
    s.text.insert(Byte(s.text, off), text);
    s.count += count;
  } else {  // retain: split it around the new insert
    const uint64_t before = off, after = s.count - off;
    std::vector<DeltaStep> repl;
    if (before) repl.push_back(Retain(before));
    repl.push_back(DeltaStep{DeltaStep::kInsert, count, std::string(text)});
    repl.push_back(Retain(after));
    steps_.erase(steps_.begin() + (k - 1));
    steps_.insert(steps_.begin() + (k - 1), repl.begin(), repl.end());
  }
  end_pos_ += count;
  Normalize(k >= 3 ? k - 3 : 0, std::min(steps_.size(), k + 4));
}

void TextDelta::Delete(uint64_t index, uint64_t count) {
  if (count == 0) return;
  if (index >= end_pos_) {
    if (index > end_pos_) steps_.push_back(Retain(index - end_pos_));
    steps_.push_back(Deleted(count));
    end_pos_ = index;
    Normalize(steps_.size() >= 3 ? steps_.size() - 3 : 0, steps_.size());
    return;
  }
  uint64_t pos;
  const size_t k = FindStep(index, &pos);
  // Consume [index, index + count) step by step from step k - 1.
  size_t i = k - 1;
  uint64_t start = pos - Width(steps_[i]);
  uint64_t remaining = count;
  const size_t first = i;
  while (remaining > 0 && i < steps_.size()) {
    DeltaStep& s = steps_[i];
    const uint64_t w = Width(s);
    if (w == 0) {
      ++i;
      continue;
    }
    const uint64_t off = index > start ? index - start : 0;
    const uint64_t n = std::min(remaining, w - off);
    if (s.kind == DeltaStep::kInsert) {
      size_t b0 = Byte(s.text, off), b1 = Byte(s.text, off + n);
      s.text.erase(b0, b1 - b0);
      s.count -= n;
      start += s.count;
      ++i;
    } else {  // retain -> retain / delete / retain
      std::vector<DeltaStep> repl;
      if (off) repl.push_back(Retain(off));
      repl.push_back(Deleted(n));
      if (w - off - n) repl.push_back(Retain(w - off - n));
      steps_.erase(steps_.begin() + i);
      steps_.insert(steps_.begin() + i, repl.begin(), repl.end());
      i += repl.size();
      start += w - n;
    }
    end_pos_ -= n;
    remaining -= n;
  }
  if (remaining > 0) steps_.push_back(Deleted(remaining));  // past what the steps cover
  Normalize(first >= 3 ? first - 3 : 0, i + 4);
  TrimTrailingRetain();
}

void TextDelta::Normalize(size_t from, size_t to) {
  to = std::min(to, steps_.size());
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t i = from; i < to; ++i) {
      if (steps_[i].count == 0) {
        steps_.erase(steps_.begin() + i);
        --to;
        changed = true;
        break;
      }
      if (i + 1 >= to) break;
      DeltaStep& a = steps_[i];
      DeltaStep& b = steps_[i + 1];
      if (a.kind == DeltaStep::kDelete && b.kind == DeltaStep::kInsert) {
        std::swap(a, b);  // normal form: insert before delete
        changed = true;
        break;
      }
      if (a.kind == b.kind) {
        a.count += b.count;
        a.text += b.text;
        steps_.erase(steps_.begin() + i + 1);
        --to;
        changed = true;
        break;
      }
    }
  }
  TrimTrailingRetain();
}

void TextDelta::TrimTrailingRetain() {
  while (!steps_.empty() &&
         (steps_.back().kind == DeltaStep::kRetain || steps_.back().count == 0)) {
    end_pos_ -= Width(steps_.back());
    steps_.pop_back();
  }
}

bool TextDelta::ApplyTo(std::string* text) const {
  std::string out;
  size_t pos = 0;
  auto advance = [&](uint64_t n, bool copy) {
    size_t start = pos;
    for (; n > 0; --n) {
      if (pos >= text->size()) return false;
      pos += utf8::SequenceLength(static_cast<unsigned char>((*text)[pos]));
    }
    if (pos > text->size()) return false;
    if (copy) out.append(*text, start, pos - start);
    return true;
  };
  for (const DeltaStep& s : steps_) {
    if (s.kind == DeltaStep::kInsert) {
      out += s.text;
    } else if (!advance(s.count, s.kind == DeltaStep::kRetain)) {
      return false;
    }
  }
  out.append(*text, pos, std::string::npos);
  *text = std::move(out);
  return true;
}

std::string TextDelta::ToString() const {
  std::string out = "[";
  for (size_t i = 0; i < steps_.size(); ++i) {
    const DeltaStep& s = steps_[i];
    if (i) out += ", ";
    if (s.kind == DeltaStep::kInsert) {
      out += "insert \"" + s.text + "\"";
    } else {
      out += (s.kind == DeltaStep::kRetain ? "retain " : "delete ") + std::to_string(s.count);
    }
  }
  return out + "]";
}

}  // namespace tandem
