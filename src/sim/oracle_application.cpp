#include "sim/oracle_application.h"

#include "crypto/sha256.h"

namespace aethel::sim {

std::uint64_t parallel_cost_us(const CpuCosts& costs, std::uint64_t count,
                               std::uint64_t unit_us) noexcept {
  const std::uint64_t cores = costs.cores;
  return (count * unit_us + cores - 1) / cores;
}

ApplicationAnswers OracleApplication::propose(const consensus::RequestProposal& request,
                                              std::uint64_t now_ms) {
  const bool lies = behaviour_ != ApplicationBehaviour::kHonest;
  auto claims = lies ? oracle_.false_claims(request.height) : oracle_.honest_claims(request.height);
  ApplicationAnswers answers;
  answers.push_back({oracle_.proposal(request.height, std::move(claims), now_ms), 0});
  return answers;
}

ApplicationAnswers OracleApplication::verify(const consensus::BlockPtr& block) {
  ApplicationAnswers answers;
  if (behaviour_ == ApplicationBehaviour::kCollude) {
    // Votes for whatever it is shown, without checking.
    answers.push_back({consensus::BlockVerified::valid(consensus::block_digest(*block)), 0});
    return answers;
  }
  answers.push_back(
      {oracle_.verify(*block), parallel_cost_us(costs_, block->claims.size(), costs_.proof_us)});
  return answers;
}

ApplicationAnswers OracleApplication::deliver(const consensus::DeliverBlock& deliver) {
  const Hash256 digest = consensus::block_digest(*deliver.block);
  crypto::Sha256Hasher hasher;
  hasher.update(state_digest_.view()).update(digest.view());
  state_digest_ = hasher.finish();
  ApplicationAnswers answers;
  answers.push_back({consensus::Executed{deliver.block->height, state_digest_}, 0});
  return answers;
}

}  // namespace aethel::sim
