#include "run_tree.h"

#include <algorithm>
#include <cstring>

#include "utf8.h"

namespace tandem {

namespace {

uint32_t ChildIndex(const RunInternal* p, const void* child) {
  uint32_t i = 0;
  while (p->children[i] != child) ++i;
  return i;
}

void SetParent(void* child, bool leaf_child, RunInternal* p) {
  if (leaf_child) {
    static_cast<RunLeaf*>(child)->parent = p;
  } else {
    static_cast<RunInternal*>(child)->parent = p;
  }
}

// Byte offset and UTF-16 units of the first `n` items of a visible run.
void Prefix(const Run& r, std::string_view content, uint32_t n, size_t* bytes, uint32_t* utf16) {
  if (r.bytes == r.len) {  // ASCII: items are bytes
    *bytes = n;
    *utf16 = n;
    return;
  }
  *bytes = utf8::ByteOffsetOfCodePoint(content, n);
  *utf16 = static_cast<uint32_t>(utf8::Count(content.substr(0, *bytes)).utf16);
}

// Splits run `r` (content `content`) after `off` items into head and tail.
void SplitRun(const Run& r, std::string_view content, uint32_t off, Run* head, Run* tail) {
  *head = r;
  *tail = r;
  head->len = off;
  tail->len = r.len - off;
  tail->counter = r.counter + off;
  tail->left_peer = r.peer + 1;
  tail->left_counter = r.counter + off - 1;
  if (!r.deleted()) {
    size_t b;
    uint32_t u;
    Prefix(r, content, off, &b, &u);
    head->bytes = static_cast<uint32_t>(b);
    head->utf16 = u;
    tail->bytes = r.bytes - head->bytes;
    tail->utf16 = r.utf16 - u;
  }
}

}  // namespace

RunTree::RunTree() = default;

RunTree::~RunTree() {
  FreeAll();
}

void RunTree::FreeAll() {
  // Internal nodes level by level, then the leaves through their links.
  if (!root_is_leaf_) {
    std::vector<RunInternal*> level{static_cast<RunInternal*>(root_)};
    while (!level.empty()) {
      std::vector<RunInternal*> next;
      for (RunInternal* n : level) {
        if (!n->leaf_children) {
          for (uint32_t i = 0; i < n->count; ++i)
            next.push_back(static_cast<RunInternal*>(n->children[i]));
        }
        delete n;
      }
      level.swap(next);
    }
  }
  for (RunLeaf* l = first_; l;) {
    RunLeaf* next = l->next;
    if (l != &head_) delete l;
    l = next;
  }
  // The head stays, empty (it may keep its runs' and text's room).
  head_.parent = nullptr;
  head_.prev = head_.next = nullptr;
  head_.count = 0;
  head_.sum = Metrics{};
  head_.text.clear();
  root_ = nullptr;
  first_ = nullptr;
  hint_leaf_ = nullptr;
}

RunTree::Loc RunTree::FindChar(uint64_t c) const {
  const RunLeaf* found;
  if (hint_leaf_ && c >= hint_before_.chars && c - hint_before_.chars < hint_leaf_->sum.chars) {
    found = hint_leaf_;
    c -= hint_before_.chars;
  } else {
    const void* node = root_;
    bool leaf = root_is_leaf_;
    Metrics before;
    while (!leaf) {
      auto* in = static_cast<const RunInternal*>(node);
      uint32_t i = 0;
      for (; i + 1 < in->count; ++i) {
        if (c < in->metrics[i].chars) break;
        c -= in->metrics[i].chars;
        before += in->metrics[i];
      }
      leaf = in->leaf_children;
      node = in->children[i];
    }
    found = static_cast<const RunLeaf*>(node);
    hint_leaf_ = found;
    hint_before_ = before;
  }
  auto* l = const_cast<RunLeaf*>(found);
  for (uint32_t i = 0; i < l->count; ++i) {
    const Run& r = l->runs[i];
    if (r.deleted()) continue;
    if (c < r.len) return Loc{l, i, static_cast<uint32_t>(c)};
    c -= r.len;
  }
  return Loc{l, l->count, 0};
}

RunTree::Loc RunTree::FindItem(uint64_t c) const {
  const void* node = root_;
  bool leaf = root_is_leaf_;
  while (!leaf) {
    auto* in = static_cast<const RunInternal*>(node);
    uint32_t i = 0;
    for (; i + 1 < in->count; ++i) {
      if (c < in->metrics[i].items) break;
      c -= in->metrics[i].items;
    }
    leaf = in->leaf_children;
    node = in->children[i];
  }
  auto* l = const_cast<RunLeaf*>(static_cast<const RunLeaf*>(node));
  for (uint32_t i = 0; i < l->count; ++i) {
    if (c < l->runs[i].len) return Loc{l, i, static_cast<uint32_t>(c)};
    c -= l->runs[i].len;
  }
  return Loc{l, l->count, 0};
}

namespace {
uint64_t Pick(const Metrics& m, IndexUnit unit) {
  switch (unit) {
    case IndexUnit::kUtf16: return m.utf16;
    case IndexUnit::kUtf8: return m.bytes;
    case IndexUnit::kCodePoint: break;
  }
  return m.chars;
}
}  // namespace

bool RunTree::UnitToChars(IndexUnit unit, uint64_t v, uint64_t* chars) const {
  if (unit == IndexUnit::kCodePoint || v == Pick(total_, unit)) {
    *chars = unit == IndexUnit::kCodePoint ? v : total_.chars;
    return v <= Pick(total_, unit);
  }
  if (v > Pick(total_, unit)) return false;
  uint64_t c = 0;
  const void* node = root_;
  bool leaf = root_is_leaf_;
  while (!leaf) {
    auto* in = static_cast<const RunInternal*>(node);
    uint32_t i = 0;
    for (; i + 1 < in->count; ++i) {
      const uint64_t w = Pick(in->metrics[i], unit);
      if (v < w) break;
      v -= w;
      c += in->metrics[i].chars;
    }
    leaf = in->leaf_children;
    node = in->children[i];
  }
  auto* l = static_cast<const RunLeaf*>(node);
  size_t text_off = 0;
  for (uint32_t i = 0; i < l->count; ++i) {
    const Run& r = l->runs[i];
    const uint64_t w = Pick(Metrics::Of(r), unit);
    if (v < w) {
      std::string_view content = std::string_view(l->text).substr(text_off, r.bytes);
      uint64_t cp;
      bool ok = unit == IndexUnit::kUtf16 ? utf8::CodePointOfUtf16(content, v, &cp)
                                          : utf8::CodePointOfByte(content, v, &cp);
      *chars = c + cp;
      return ok;
    }
    v -= w;
    c += r.deleted() ? 0 : r.len;
    text_off += r.bytes;
  }
  *chars = c;
  return v == 0;
}

uint64_t RunTree::CharsToUnit(IndexUnit unit, uint64_t chars) const {
  if (unit == IndexUnit::kCodePoint) return chars;
  if (chars >= total_.chars) return Pick(total_, unit);
  return Pick(MetricsBefore(FindChar(chars)), unit);
}

RunTree::Loc RunTree::FindId(PeerIndex peer, uint64_t counter) const {
  RunLeaf* leaf = index_.Find(peer, counter);
  if (!leaf) return Loc{};
  for (uint32_t i = 0; i < leaf->count; ++i) {
    const Run& r = leaf->runs[i];
    if (r.contains(peer, counter)) return Loc{leaf, i, static_cast<uint32_t>(counter - r.counter)};
  }
  return Loc{};
}

Metrics RunTree::MetricsBefore(const RunLeaf* leaf) const {
  if (leaf == hint_leaf_) return hint_before_;
  Metrics m;
  const void* child = leaf;
  for (const RunInternal* p = leaf->parent; p; child = p, p = p->parent) {
    for (uint32_t i = 0; p->children[i] != child; ++i) m += p->metrics[i];
  }
  hint_leaf_ = leaf;
  hint_before_ = m;
  return m;
}

Metrics RunTree::MetricsBefore(Loc loc) const {
  Metrics m = MetricsBefore(loc.leaf);
  for (uint32_t i = 0; i < loc.idx; ++i) m += Metrics::Of(loc.leaf->runs[i]);
  if (loc.off > 0 && loc.idx < loc.leaf->count) {
    const Run& r = loc.run();
    m.items += loc.off;
    if (!r.deleted()) {
      size_t b;
      uint32_t u;
      Prefix(r, loc.leaf->Content(loc.idx), loc.off, &b, &u);
      m.chars += loc.off;
      m.bytes += b;
      m.utf16 += u;
    }
  }
  return m;
}

RunTree::Loc RunTree::Normalize(Loc loc) const {
  while (loc.leaf && loc.idx >= loc.leaf->count) loc = Loc{loc.leaf->next, 0, 0};
  return loc;
}

void RunTree::AddMetrics(RunLeaf* leaf, const Metrics& delta) {
  DropHintUnless(leaf);
  leaf->sum += delta;
  const void* child = leaf;
  for (RunInternal* p = leaf->parent; p; child = p, p = p->parent) {
    p->metrics[ChildIndex(p, child)] += delta;
  }
  total_ += delta;
}

void RunTree::SetLeafMetrics(RunLeaf* leaf, const Metrics& m) {
  AddMetrics(leaf, m - leaf->sum);
}

void RunTree::InsertChild(RunInternal* parent, void* after, void* child, const Metrics& m,
                          bool leaf_child) {
  if (!parent) {
    // `after` was the root: grow the tree by one level.
    auto* root = new RunInternal();
    ++internals_;
    root->leaf_children = leaf_child;
    root->count = 2;
    root->children[0] = after;
    root->children[1] = child;
    root->metrics[0] = total_;
    root->metrics[1] = m;
    SetParent(after, leaf_child, root);
    SetParent(child, leaf_child, root);
    root_ = root;
    root_is_leaf_ = false;
    total_ += m;
    return;
  }
  if (parent->count == kFanout) {
    auto* sib = new RunInternal();
    ++internals_;
    sib->leaf_children = parent->leaf_children;
    const uint32_t half = kFanout / 2;
    Metrics moved;
    for (uint32_t i = half; i < kFanout; ++i) {
      sib->children[i - half] = parent->children[i];
      sib->metrics[i - half] = parent->metrics[i];
      moved += parent->metrics[i];
      SetParent(parent->children[i], parent->leaf_children, sib);
    }
    sib->count = kFanout - half;
    parent->count = half;
    // The moved subtrees leave parent's sums and come back with the sibling.
    const void* c = parent;
    for (RunInternal* p = parent->parent; p; c = p, p = p->parent)
      p->metrics[ChildIndex(p, c)] -= moved;
    total_ -= moved;
    InsertChild(parent->parent, parent, sib, moved, false);
    bool in_sib = false;
    for (uint32_t i = 0; i < sib->count; ++i) in_sib |= sib->children[i] == after;
    if (in_sib) parent = sib;
  }
  uint32_t i = ChildIndex(parent, after) + 1;
  std::memmove(&parent->children[i + 1], &parent->children[i], (parent->count - i) * sizeof(void*));
  std::memmove(&parent->metrics[i + 1], &parent->metrics[i], (parent->count - i) * sizeof(Metrics));
  parent->children[i] = child;
  parent->metrics[i] = m;
  ++parent->count;
  SetParent(child, leaf_child, parent);
  const void* c = parent;
  for (RunInternal* p = parent->parent; p; c = p, p = p->parent) p->metrics[ChildIndex(p, c)] += m;
  total_ += m;
}

RunTree::Loc RunTree::Splice(RunLeaf* leaf, uint32_t idx, uint32_t remove, const Run* repl,
                             uint32_t n, const TextEdit& edit, uint32_t focus) {
  Metrics old_m, new_m;
  for (uint32_t i = idx; i < idx + remove; ++i) old_m += Metrics::Of(leaf->runs[i]);
  for (uint32_t i = 0; i < n; ++i) new_m += Metrics::Of(repl[i]);
  if (edit.erase) {
    leaf->text.erase(edit.pos, edit.erase);
    // Deleted content leaves memory, not just the string's length.
    if (leaf->text.capacity() > 64 && leaf->text.size() < leaf->text.capacity() / 4)
      leaf->text.shrink_to_fit();
  }
  if (!edit.insert.empty()) leaf->text.insert(edit.pos, edit.insert);
  const uint32_t new_count = leaf->count - remove + n;
  if (new_count <= kLeafCap) {
    leaf->Reserve(new_count);
    std::memmove(&leaf->runs[idx + n], &leaf->runs[idx + remove],
                 (leaf->count - idx - remove) * sizeof(Run));
    std::copy(repl, repl + n, &leaf->runs[idx]);
    leaf->count = new_count;
    AddMetrics(leaf, new_m - old_m);
    return Loc{leaf, idx + focus, 0};
  }
  // Overflow: lay the runs out in a scratch array, then split them in two.
  Run all[kLeafCap + 4];
  std::copy(leaf->runs, leaf->runs + idx, all);
  std::copy(repl, repl + n, all + idx);
  std::copy(leaf->runs + idx + remove, leaf->runs + leaf->count, all + idx + n);

  const uint32_t k = idx + focus;
  RunLeaf* next = leaf->next;
  if (next && next->count + new_count <= 2 * kLeafCap - kLeafCap / 4) {
    // The next leaf has room: share the runs with it instead of splitting,
    // which keeps leaves fuller (B*-tree style) and memory lower.
    const uint32_t keep = std::min<uint32_t>(kLeafCap, (new_count + next->count) / 2);
    const uint32_t move = new_count - keep;
    size_t keep_bytes = 0;
    Metrics moved;
    for (uint32_t i = 0; i < keep; ++i) keep_bytes += all[i].bytes;
    for (uint32_t i = keep; i < new_count; ++i) moved += Metrics::Of(all[i]);
    next->Reserve(next->count + move);
    std::memmove(next->runs + move, next->runs, next->count * sizeof(Run));
    std::copy(all + keep, all + new_count, next->runs);
    next->count += move;
    next->text.insert(0, leaf->text, keep_bytes, std::string::npos);
    leaf->text.resize(keep_bytes);
    leaf->text.shrink_to_fit();
    leaf->Reserve(keep);
    std::copy(all, all + keep, leaf->runs);
    leaf->count = keep;
    for (uint32_t i = 0; i < move; ++i)
      index_.Set(next->runs[i].peer, next->runs[i].counter, next->runs[i].len, next);
    SetLeafMetrics(leaf, leaf->Sum());
    AddMetrics(next, moved);
    return k < keep ? Loc{leaf, k, 0} : Loc{next, k - keep, 0};
  }
  // Split. Appending at the end of the document keeps the left leaf full.
  const uint32_t left_n = (!next && k + 1 == new_count) ? kLeafCap - 2 : new_count / 2;
  auto* right = new RunLeaf(kLeafCap);
  leaf->Reserve(left_n);
  ++leaves_;
  size_t left_bytes = 0;
  for (uint32_t i = 0; i < left_n; ++i) left_bytes += all[i].bytes;
  std::copy(all, all + left_n, leaf->runs);
  leaf->count = left_n;
  std::copy(all + left_n, all + new_count, right->runs);
  right->count = new_count - left_n;
  right->text.assign(leaf->text, left_bytes, std::string::npos);
  leaf->text.resize(left_bytes);
  leaf->text.shrink_to_fit();

  right->next = leaf->next;
  right->prev = leaf;
  if (leaf->next) leaf->next->prev = right;
  leaf->next = right;
  for (uint32_t i = 0; i < right->count; ++i) {
    const Run& r = right->runs[i];
    index_.Set(r.peer, r.counter, r.len, right);
  }
  right->sum = right->Sum();
  SetLeafMetrics(leaf, leaf->Sum());
  InsertChild(leaf->parent, leaf, right, right->sum, true);
  return k < left_n ? Loc{leaf, k, 0} : Loc{right, k - left_n, 0};
}

RunTree::Loc RunTree::Insert(Loc at, const Run& run, std::string_view content) {
  RunLeaf* leaf = at.leaf;
  if (at.off > 0) {
    // Inside a run: replace it by head, new run, tail.
    const size_t run_text = leaf->TextOffset(at.idx);
    Run parts[3];
    SplitRun(leaf->runs[at.idx], leaf->Content(at.idx), at.off, &parts[0], &parts[2]);
    parts[1] = run;
    Loc loc = Splice(leaf, at.idx, 1, parts, 3, TextEdit{run_text + parts[0].bytes, 0, content}, 1);
    index_.Set(run.peer, run.counter, run.len, loc.leaf);
    return loc;
  }
  if (at.idx > 0 && leaf->runs[at.idx - 1].continued_by(run)) {
    // Typing forward: the new items extend the previous run in place.
    Run& prev = leaf->runs[at.idx - 1];
    const uint32_t old_len = prev.len;
    if (!content.empty()) leaf->text.insert(leaf->TextOffset(at.idx), content);
    prev.len += run.len;
    prev.bytes += run.bytes;
    prev.utf16 += run.utf16;
    AddMetrics(leaf, Metrics::Of(run));
    index_.Set(run.peer, run.counter, run.len, leaf);
    return Loc{leaf, at.idx - 1, old_len};
  }
  Loc loc = Splice(leaf, at.idx, 0, &run, 1, TextEdit{leaf->TextOffset(at.idx), 0, content}, 0);
  index_.Set(run.peer, run.counter, run.len, loc.leaf);
  return loc;
}

bool RunTree::MarkDeleted(Loc at, uint32_t n) {
  RunLeaf* leaf = at.leaf;
  const Run& r = leaf->runs[at.idx];
  if (r.deleted() || n == 0) return false;
  const size_t run_text = leaf->TextOffset(at.idx);
  std::string_view content = std::string_view(leaf->text).substr(run_text, r.bytes);
  // Split into [head][deleted middle][tail]; the middle's bytes leave the text.
  Run parts[3];
  uint32_t k = 0;
  Run rest = r;
  size_t head_bytes = 0;
  if (at.off > 0) {
    SplitRun(r, content, at.off, &parts[k++], &rest);
    head_bytes = parts[0].bytes;
  }
  const uint32_t focus = k;
  Run mid = rest;
  if (n < rest.len) {
    SplitRun(rest, content.substr(head_bytes), n, &mid, &parts[k + 1]);
  }
  const size_t mid_bytes = mid.bytes;
  mid.bytes = 0;
  mid.utf16 = 0;
  parts[k++] = mid;
  if (n < rest.len) ++k;
  Loc loc =
      Splice(leaf, at.idx, 1, parts, k, TextEdit{run_text + head_bytes, mid_bytes, {}}, focus);
  TryMergeAround(loc.leaf, loc.idx);
  return true;
}

void RunTree::TryMergeAround(RunLeaf* leaf, uint32_t idx) {
  auto merge = [leaf](uint32_t i) {
    Run& a = leaf->runs[i];
    const Run& b = leaf->runs[i + 1];
    a.len += b.len;
    a.bytes += b.bytes;
    a.utf16 += b.utf16;
    std::memmove(&leaf->runs[i + 1], &leaf->runs[i + 2], (leaf->count - i - 2) * sizeof(Run));
    --leaf->count;
  };
  if (idx + 1 < leaf->count && leaf->runs[idx].continued_by(leaf->runs[idx + 1])) merge(idx);
  if (idx > 0 && leaf->runs[idx - 1].continued_by(leaf->runs[idx])) merge(idx - 1);
}

bool RunTree::Load(const std::vector<Run>& runs, std::string_view text) {
  Loader loader(this, text, runs.size());
  {
    // One index entry per run at most, sized up front: growing the vectors
    // would copy them log n times.
    std::vector<size_t> per_peer;
    for (const Run& r : runs) {
      if (r.peer >= per_peer.size()) per_peer.resize(r.peer + 1);
      ++per_peer[r.peer];
    }
    for (size_t p = 0; p < per_peer.size(); ++p)
      loader.ReservePeer(static_cast<PeerIndex>(p), per_peer[p]);
  }
  for (const Run& r : runs) loader.Add(r);
  return loader.Finish();
}

RunTree::Loader::Loader(RunTree* tree, std::string_view text, size_t runs_hint)
    : tree_(tree), text_(text), left_(runs_hint), head_(&tree->head_) {
  tree->FreeAll();
  tree->index_.Clear();
  tree->leaves_ = 0;
  tree->internals_ = 0;
  tree->total_ = Metrics{};
  tree->root_is_leaf_ = true;
  // A tree of one leaf (most of a document's sequences) needs neither.
  if (runs_hint > kFill) {
    level_.reserve(runs_hint / kFill + 1);
    sums_.reserve(runs_hint / kFill + 1);
  }
  OpenLeaf();
}

void RunTree::Loader::OpenLeaf() {
  // Full leaves get room to grow; a last, partial one only what it holds.
  const uint32_t cap =
      left_ >= kFill ? kLeafCap : std::max<uint32_t>(static_cast<uint32_t>(left_), 1);
  RunLeaf* leaf = head_;
  if (leaf) {
    head_ = nullptr;
    leaf->Reserve(cap);
  } else {
    leaf = new RunLeaf(cap);
  }
  left_ -= std::min<size_t>(left_, kFill);
  ++tree_->leaves_;
  // Linked at once, so that the tree's destructor frees it whatever happens.
  leaf->prev = leaf_;
  if (leaf_) {
    leaf_->next = leaf;
  } else {
    tree_->first_ = leaf;
    tree_->root_ = leaf;
  }
  leaf_ = leaf;
  room_ = std::min(leaf->cap, kFill);
}

Metrics RunTree::Loader::SealLeaf() {
  RunLeaf* leaf = leaf_;
  const Run* runs = leaf->runs;
  const uint32_t n = leaf->count;
  Metrics sum;
  for (uint32_t i = 0; i < n; ++i) {
    const Run& r = runs[i];
    sum.items += r.len;
    sum.chars += r.deleted() ? 0 : r.len;
    sum.utf16 += r.utf16;  // 0 when deleted, as bytes
    sum.bytes += r.bytes;
  }
  leaf->sum = sum;
  if (sum.bytes > text_.size() - text_pos_) {
    text_ok_ = false;
  } else {
    leaf->text.assign(text_.substr(text_pos_, sum.bytes));
    text_pos_ += sum.bytes;
  }
  return sum;
}

void RunTree::Loader::KeepLeaf(const Metrics& sum) {
  RunLeaf* leaf = leaf_;
  for (uint32_t i = 0; i < leaf->count; ++i) {
    const Run& r = leaf->runs[i];
    index_.Add(r.peer, r.counter, r.end(), leaf);
  }
  level_.push_back(leaf);
  sums_.push_back(sum);
}

void RunTree::Loader::NextLeaf() {
  if (leaf_->count < kFill) {  // more runs than the hint said
    leaf_->Reserve(std::min(kFill, leaf_->count * 2));
    room_ = std::min(leaf_->cap, kFill);
    return;
  }
  KeepLeaf(SealLeaf());
  OpenLeaf();
}

bool RunTree::Loader::Finish() {
  const Metrics last = SealLeaf();
  if (!text_ok_ || text_pos_ != text_.size()) return false;
  if (level_.empty()) {
    // One leaf: it is the root, and its runs are the whole index.
    tree_->root_ = leaf_;
    tree_->root_is_leaf_ = true;
    tree_->total_ = last;
    return tree_->index_.LoadLeaf(leaf_->runs, leaf_->count, leaf_);
  }
  KeepLeaf(last);
  bool leaf_level = true;
  while (level_.size() > 1) {
    // Spread the children evenly so no node is left with a single child.
    const size_t nodes = (level_.size() + kFanout - 1) / kFanout;
    std::vector<void*> up;
    std::vector<Metrics> up_sums;
    size_t next = 0;
    for (size_t k = 0; k < nodes; ++k) {
      auto* node = new RunInternal();
      ++tree_->internals_;
      node->leaf_children = leaf_level;
      const size_t n = level_.size() / nodes + (k < level_.size() % nodes ? 1 : 0);
      Metrics m;
      for (size_t j = 0; j < n; ++j, ++next) {
        node->children[j] = level_[next];
        node->metrics[j] = sums_[next];
        m += sums_[next];
        SetParent(level_[next], leaf_level, node);
      }
      node->count = static_cast<uint32_t>(n);
      up.push_back(node);
      up_sums.push_back(m);
    }
    level_.swap(up);
    sums_.swap(up_sums);
    leaf_level = false;
  }
  tree_->root_ = level_.front();
  tree_->root_is_leaf_ = leaf_level;
  tree_->total_ = sums_.front();
  return index_.Finish(&tree_->index_);
}

uint64_t RunTree::MemoryUsage() const {
  uint64_t total = internals_ * sizeof(RunInternal) + index_.MemoryUsage();
  for (const RunLeaf* l = first_; l; l = l->next) {
    // The head is inside the tree, and one run inside its leaf: counted by
    // whoever counts them.
    total += (l == &head_ ? 0 : sizeof(RunLeaf)) + (l->runs_inline() ? 0 : l->cap * sizeof(Run)) +
             l->text.capacity();
  }
  return total;
}

namespace {
Status Fail(const char* what) {
  return Status::Corrupt(std::string("run tree: ") + what);
}
}  // namespace

Status RunTree::Check() const {
  // Leaves: content and run invariants, links, index.
  Metrics sum;
  const RunLeaf* prev = nullptr;
  uint64_t leaves = 0;
  for (const RunLeaf* l = first_; l; prev = l, l = l->next) {
    ++leaves;
    if (l->prev != prev) return Fail("broken leaf links");
    if (l->count == 0 && (l != first_ || l->next)) return Fail("empty leaf");
    size_t bytes = 0;
    for (uint32_t i = 0; i < l->count; ++i) {
      const Run& r = l->runs[i];
      if (r.len == 0) return Fail("empty run");
      if (r.deleted() != (r.utf16 == 0)) return Fail("deleted run with UTF-16 units");
      if (!r.deleted()) {
        std::string_view c = std::string_view(l->text).substr(bytes, r.bytes);
        utf8::Counts counts;
        if (!utf8::Validate(c, &counts) || counts.code_points != r.len || counts.utf16 != r.utf16) {
          return Fail("run content does not match its counts");
        }
      }
      bytes += r.bytes;
      if (index_.Find(r.peer, r.counter) != l || index_.Find(r.peer, r.end() - 1) != l) {
        return Fail("index does not point at the run's leaf");
      }
    }
    if (bytes != l->text.size()) return Fail("leaf text size");
    if (!(l->sum == l->Sum())) return Fail("leaf sum");
    sum += l->Sum();
  }
  if (leaves != leaves_) return Fail("leaf count");
  if (!(sum == total_)) return Fail("total metrics");
  // Internal nodes: parent pointers and sums.
  struct Frame {
    const void* node;
    bool leaf;
    const RunInternal* parent;
  };
  std::vector<Frame> stack{{root_, root_is_leaf_, nullptr}};
  uint64_t internals = 0;
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    if (f.leaf) {
      if (static_cast<const RunLeaf*>(f.node)->parent != f.parent) return Fail("leaf parent");
      continue;
    }
    ++internals;
    auto* in = static_cast<const RunInternal*>(f.node);
    if (in->parent != f.parent) return Fail("node parent");
    if (in->count == 0 || in->count > kFanout) return Fail("node count");
    for (uint32_t i = 0; i < in->count; ++i) {
      Metrics m;
      if (in->leaf_children) {
        m = static_cast<const RunLeaf*>(in->children[i])->Sum();
      } else {
        auto* c = static_cast<const RunInternal*>(in->children[i]);
        for (uint32_t j = 0; j < c->count; ++j) m += c->metrics[j];
      }
      if (!(m == in->metrics[i])) return Fail("node metrics");
      stack.push_back(Frame{in->children[i], in->leaf_children, in});
    }
  }
  if (internals != internals_) return Fail("node count total");
  return Status::Ok();
}

}  // namespace tandem
