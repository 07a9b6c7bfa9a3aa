// The application each simulated node runs behind its replica: what answers
// the replica's RequestProposal, VerifyBlock and DeliverBlock actions.
//
// The replica never calls the application (consensus/application.h): it
// emits actions and is answered through events. The simulator hands each
// such action to the node's NodeApplication, which returns the events to
// step into the replica later and the modelled CPU time each one costs. Two
// implementations: OracleApplication (seeded ground truth, no prover; the
// default) and LedgerNodeApplication (the real ledger and judge).
//
// An application survives a crash of its node (it is the node's durable
// store); crash() tells it to drop what a real process would lose.
#pragma once

#include <cstdint>
#include <vector>

#include "consensus/block.h"
#include "consensus/events.h"

namespace aethel::sim {

// One event for the replica and the modelled CPU time it takes to produce.
// A BlockVerified answer, or any answer with a nonzero cost, occupies the
// node's CPU: it is ready when the CPU has spent `cpu_us` on it after
// finishing its earlier work. Other answers are ready at once.
struct ApplicationAnswer {
  consensus::Event event;
  std::uint64_t cpu_us = 0;
};
using ApplicationAnswers = std::vector<ApplicationAnswer>;

// How a node's application behaves. Byzantine strategies that lie through
// the application choose a behaviour other than kHonest.
enum class ApplicationBehaviour : std::uint8_t {
  kHonest = 0,
  kFalseProposals,  // as leader, claims a false verdict for the block's first proof
  kCollude,         // false proposals, and approves every block it is shown
};

class NodeApplication {
 public:
  virtual ~NodeApplication() = default;

  // The leader asks for the content of block `request.height`.
  virtual ApplicationAnswers propose(const consensus::RequestProposal& request,
                                     std::uint64_t now_ms) = 0;
  // The replica asks whether `block` may be voted for. The answer may come
  // later (returned from deliver()) when the block's parent is not yet
  // executed.
  virtual ApplicationAnswers verify(const consensus::BlockPtr& block) = 0;
  // A final block, once each, in height order.
  virtual ApplicationAnswers deliver(const consensus::DeliverBlock& deliver) = 0;
  // The node crashed: requests not yet answered are forgotten.
  virtual void crash() {}
};

// What the observer judges a committed claim against: the ground truth of
// the run, known outside every node.
class ClaimTruth {
 public:
  virtual ~ClaimTruth() = default;
  virtual bool claim_is_true(const consensus::Claim& claim) const = 0;
};

}  // namespace aethel::sim
