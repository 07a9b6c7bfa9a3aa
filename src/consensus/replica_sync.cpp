#include "consensus/replica_impl.h"

namespace aethel::consensus {

// A commit certificate proves `height` final. If this replica cannot
// deliver up to it from what it holds, it asks the driver to sync.
void Replica::Impl::note_commit_certificate(const CertificatePtr& certificate,
                                            ValidatorIndex source) {
  const Height height = certificate->height;
  if (height <= committed.height || !commit_certificates.emplace(height, certificate).second) {
    return;
  }
  const bool next_known = commit_certificates.contains(committed.height.next());
  const bool block_known = block_for(height, certificate->digest) != nullptr;
  if (height > committed.height.next() ? !next_known : !block_known) request_sync(height, source);
}

void Replica::Impl::request_sync(Height height, ValidatorIndex hint) {
  if (height > sync_target) {
    sync_target = height;
    sync_hint = hint;
  }
  ask_for_sync();
}

// Asks the driver for the next batch of final blocks (at most what
// on_synced_block accepts) unless a request is outstanding. The view timer
// forgets an outstanding request that was never served.
void Replica::Impl::ask_for_sync() {
  if (sync_target <= committed.height || sync_requested > committed.height) return;
  const Height batch_end(committed.height.value() + sync_batch());
  sync_requested = std::min(sync_target, batch_end);
  out.push_back(SyncNeeded{sync_requested, sync_hint});
}

void Replica::Impl::on_synced_block(const SyncedBlock& event) {
  if (event.block == nullptr || event.commit_certificate == nullptr) {
    refuse(Refusal::kInvalidBlock);
    return;
  }
  const Height height = event.block->height;
  if (height <= committed.height || synced_blocks.contains(height)) {
    refuse(Refusal::kDuplicate);
    return;
  }
  const Hash256 digest = block_digest(*event.block);
  if (event.commit_certificate->height != height || event.commit_certificate->digest != digest ||
      height.value() > committed.height.value() + sync_batch()) {
    refuse(Refusal::kInvalidBlock);
    return;
  }
  // A certificate already held for this height decides which block is
  // final there; the one supplied with the block is only checked otherwise.
  const auto known = commit_certificates.find(height);
  if (known != commit_certificates.end()) {
    if (known->second->digest != digest) {
      refuse(Refusal::kInvalidBlock);
      return;
    }
  } else {
    if (!verify_certificate(event.commit_certificate, VotePhase::kCommit)) return;
    commit_certificates.emplace(height, event.commit_certificate);
    follow_view_of(*event.commit_certificate);
  }
  synced_blocks.emplace(height, std::make_pair(event.block, digest));
  request_verification(event.block, digest);
}

}  // namespace aethel::consensus
