// The contract between the replica and the application (the ledger in a
// node, a model of it in the simulator). The replica never calls the
// application: it asks through actions and is answered through events, so
// slow work (running the prover) happens outside the state machine and the
// simulator can model its latency or a lying validator.
//
//   RequestProposal (action)  ->  ProposalReady (event)   leader builds a block
//   VerifyBlock     (action)  ->  BlockVerified (event)   check every claim:
//                                  valid, invalid, or undecided here (asked again)
//   DeliverBlock    (action)  ->  Executed      (event)   apply a final block
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
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
// only after a valid answer for its digest.
struct VerifyBlock {
  BlockPtr block;
};

// What the application concluded about a block.
enum class VerificationOutcome : std::uint8_t {
  kValid,      // every claim holds and the payload applies: the replica may vote
  kInvalid,    // the block is wrong for everyone (a false claim, a payload that
               // does not match or does not apply): final, never asked again
  kUndecided,  // this node cannot decide now for a reason of its own (the payload
               // has not arrived, the prover's time guard stopped a program on
               // this machine, its queue of blocks held for their parent is full):
               // the replica asks again later and holds its vote meanwhile
};

// The answer to VerifyBlock. Built most easily with valid(), invalid(),
// false_claim() and undecided_here(); a plain aggregate too, where `ok` true is
// valid, `ok` false invalid, and `undecided` true undecided whatever `ok` says
// (a node that cannot decide must not vote).
struct BlockVerified {
  Hash256 block_digest;
  bool ok = false;
  // Only when invalid because a claim is false: the index of the first false
  // claim. The replica then reports FalseClaimEvidence against the leader
  // and FalseVerdictVoteEvidence against the validators it sees vote for the
  // block. Absent for other failures (payload missing or invalid); ignored
  // unless the outcome is kInvalid.
  std::optional<std::uint32_t> false_claim_index;
  std::string reason;  // for logs
  // Undecided here: ask again later. Not a verdict on the block, so no
  // evidence and no refusal follow from it.
  bool undecided = false;

  VerificationOutcome outcome() const noexcept {
    if (undecided) return VerificationOutcome::kUndecided;
    return ok ? VerificationOutcome::kValid : VerificationOutcome::kInvalid;
  }
  // The false claim this answer proves, if any: kInvalid with an index.
  std::optional<std::uint32_t> proven_false_claim() const noexcept {
    if (outcome() != VerificationOutcome::kInvalid) return std::nullopt;
    return false_claim_index;
  }

  static BlockVerified valid(const Hash256& digest) {
    return BlockVerified{digest, true, std::nullopt, {}, false};
  }
  static BlockVerified invalid(const Hash256& digest, std::string why) {
    return BlockVerified{digest, false, std::nullopt, std::move(why), false};
  }
  static BlockVerified false_claim(const Hash256& digest, std::uint32_t index, std::string why) {
    return BlockVerified{digest, false, index, std::move(why), false};
  }
  static BlockVerified undecided_here(const Hash256& digest, std::string why) {
    return BlockVerified{digest, false, std::nullopt, std::move(why), true};
  }
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
