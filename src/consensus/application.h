// The contract between the replica and the application (the ledger in a
// node, a model of it in the simulator). The replica never calls the
// application: it asks through actions and is answered through events, so
// slow work (running the prover) happens outside the state machine and the
// simulator can model its latency or a lying validator.
//
//   RequestProposal (action)  ->  ProposalReady (event)   leader builds a block
//   VerifyBlock     (action)  ->  BlockVerified (event)   check every claim
//   DeliverBlock    (action)  ->  Executed      (event)   apply a final block
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/block.h"
#include "consensus/messages.h"
#include "core/bytes.h"
#include "core/types.h"

namespace aethel::consensus {

// The leader needs the content of block `height`, child of `parent_digest`.
// The application answers with ProposalReady when it has a block to offer
// (it may wait for proofs, but must answer well within the view timeout).
struct RequestProposal {
  Height height;
  Hash256 parent_digest;
};

struct ProposalReady {
  Height height;  // must match the request
  std::vector<Claim> claims;
  Hash256 payload_digest;
  std::uint64_t timestamp_ms = 0;  // the proposer's clock
};

// Verify every claim of `block` (verdict and difficulty of each proof) and
// that its payload is available and valid. The replica votes on a block
// only after BlockVerified{ok = true} for its digest.
struct VerifyBlock {
  BlockPtr block;
};

struct BlockVerified {
  Hash256 block_digest;
  bool ok = false;
  // When !ok because a claim is false: the index of the first false claim;
  // the replica then reports FalseClaimEvidence against the leader. Absent
  // for other failures (payload missing or invalid).
  std::optional<std::uint32_t> false_claim_index;
  std::string reason;  // for logs
};

// A block is final: apply it. `commit_certificate` proves it (commits of
// more than 2/3 of stake). Blocks are delivered once each, in height order.
struct DeliverBlock {
  BlockPtr block;
  CertificatePtr commit_certificate;
};

// The application executed block `height`, reaching `state_digest`. The
// replica uses it at checkpoint heights (multiples of K) and ignores it
// elsewhere; the application may report every height.
struct Executed {
  Height height;
  Hash256 state_digest;
};

}  // namespace aethel::consensus
