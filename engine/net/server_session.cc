#include "net/server_session.h"

#include <algorithm>

namespace tandem::net {

ServerSession::ServerSession(ConnId id, const ServerLimits& limits, uint64_t now_ms)
    : id_(id), limits_(limits), tokens_(limits.update_burst), tokens_ms_(now_ms) {}

void ServerSession::set_open(PeerId peer, std::string token) {
  state_ = State::kOpen;
  peer_ = peer;
  token_ = std::move(token);
}

bool ServerSession::CountUnauthenticated(uint64_t bytes) {
  unauth_bytes_ += bytes;
  return unauth_bytes_ <= limits_.max_unauthenticated_bytes;
}

bool ServerSession::TakeUpdateToken(uint64_t now_ms) {
  if (now_ms > tokens_ms_) {
    tokens_ = std::min(limits_.update_burst,
                       tokens_ + (now_ms - tokens_ms_) * limits_.max_updates_per_second / 1000.0);
    tokens_ms_ = now_ms;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

bool ServerSession::Enqueue(std::string frame, bool exempt) {
  if (state_ == State::kClosing) return true;
  if (!exempt && queued_bytes_ + frame.size() > limits_.max_outbound_bytes) return false;
  if (!exempt) queued_bytes_ += frame.size();
  queue_.push_back(Frame{std::move(frame), exempt});
  return true;
}

void ServerSession::Abort(uint16_t code, std::string reason, std::string last_frame) {
  queue_.clear();
  queued_bytes_ = 0;
  if (!last_frame.empty()) queue_.push_back(Frame{std::move(last_frame), true});
  CloseAfterFlush(code, std::move(reason));
}

void ServerSession::CloseAfterFlush(uint16_t code, std::string reason) {
  if (state_ == State::kClosing) return;
  state_ = State::kClosing;
  close_code_ = code;
  // A close reason must fit a control frame (123 bytes).
  if (reason.size() > 120) reason.resize(120);
  close_reason_ = std::move(reason);
}

ServerSession::Next ServerSession::Pop(std::string* frame, uint16_t* close_code,
                                       std::string* close_reason) {
  if (!queue_.empty()) {
    Frame f = std::move(queue_.front());
    queue_.pop_front();
    if (!f.exempt) queued_bytes_ -= f.bytes.size();
    *frame = std::move(f.bytes);
    return Next::kFrame;
  }
  if (state_ == State::kClosing) {
    *close_code = close_code_;
    *close_reason = close_reason_;
    return Next::kClose;
  }
  return Next::kIdle;
}

}  // namespace tandem::net
