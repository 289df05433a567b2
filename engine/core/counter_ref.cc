// CounterRef: a Counter's value and local adds. Its own file like the other
// handles, so each container kind's local edits are found by its name.
#include "doc.h"
#include "doc_state.h"

namespace tandem {

int64_t CounterRef::value() const {
  return doc_->node(index_).counter->value;
}

Status CounterRef::Add(int64_t delta) {
  bool implicit;
  doc_->BeginImplicit(&implicit);
  CounterState& st = *doc_->node(index_).counter;
  const uint64_t counter = doc_->TakeCounters(1);
  st.ops.push_back(CounterEntry{OpId{doc_->peer(), counter}, delta});
  st.value = WrapAdd(st.value, delta);
  if (LocalTxnRecord* r = doc_->txn_record()) {
    LocalTxnRecord::Op& op = r->ops.emplace_back();
    op.kind = LocalTxnRecord::Op::kCounterAdd;
    op.container = index_;
    op.delta = delta;
  }
  if (doc_->observing()) {
    Doc::Accum& a = doc_->accum(index_);
    a.counter_delta = WrapAdd(a.counter_delta, delta);
  }
  doc_->Touch(index_);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

}  // namespace tandem
