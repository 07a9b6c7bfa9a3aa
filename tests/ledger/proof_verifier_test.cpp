#include "ledger/proof_verifier.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "judge/prover.h"
#include "judge/worker_pool.h"
#include "tests/ledger/verifier_test_programs.h"

namespace aethel::ledger {
namespace {

using testing::describe;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every example (PROVED, REFUTED, UNKNOWN and INVALID programs, one with no
// intent), plus budgets: one that starves a transfer, one over the ceiling.
std::vector<SubmitProof> mixed_submissions() {
  std::vector<std::filesystem::path> paths;
  // A missing folder leaves the mix without examples, which the coverage test reports.
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::source_dir() / "examples", error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".ae") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<SubmitProof> submissions;
  // Under the sanitizers every kScale-th example; the programs below cover
  // every kind of outcome on their own.
  for (std::size_t i = 0; i < paths.size(); i += testing::kScale) {
    submissions.push_back(SubmitProof{read_text(paths[i]), WorkUnits(0)});
  }
  submissions.push_back(SubmitProof{testing::proved_transfer(1), WorkUnits(0)});
  submissions.push_back(SubmitProof{testing::proved_transfer(2), WorkUnits(1)});
  submissions.push_back(SubmitProof{testing::proved_transfer(3), WorkUnits(50'000)});
  submissions.push_back(
      SubmitProof{testing::proved_transfer(4), WorkUnits(judge::Limits{}.budget_max + 1)});
  submissions.push_back(SubmitProof{testing::kOverflowingTransfer, WorkUnits(0)});
  return submissions;
}

std::vector<const SubmitProof*> pointers(const std::vector<SubmitProof>& submissions) {
  std::vector<const SubmitProof*> out;
  for (const auto& s : submissions) out.push_back(&s);
  return out;
}

std::vector<std::string> describe_all(const std::vector<Result<ProofCheck>>& outcomes) {
  std::vector<std::string> out;
  for (const auto& outcome : outcomes) out.push_back(describe(outcome));
  return out;
}

class VerifierCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    submissions_ = new std::vector<SubmitProof>(mixed_submissions());
    expected_ = new std::vector<std::string>();
    for (const auto& submission : *submissions_) {
      expected_->push_back(describe(check_proof(submission, judge::Limits{})));
    }
  }
  static void TearDownTestSuite() {
    delete submissions_;
    delete expected_;
  }
  static std::vector<SubmitProof>* submissions_;
  static std::vector<std::string>* expected_;
};
std::vector<SubmitProof>* VerifierCorpus::submissions_ = nullptr;
std::vector<std::string>* VerifierCorpus::expected_ = nullptr;

TEST_F(VerifierCorpus, TheMixCoversEveryKindOfOutcome) {
  // describe() gives "error ..." or "<proof id> <VERDICT> ...".
  std::size_t proved = 0, refuted = 0, unknown = 0, refused = 0;
  for (const std::string& outcome : *expected_) {
    if (outcome.starts_with("error ")) {
      ++refused;
    } else if (outcome.find(" PROVED ") != std::string::npos) {
      ++proved;
    } else if (outcome.find(" REFUTED ") != std::string::npos) {
      ++refuted;
    } else if (outcome.find(" UNKNOWN ") != std::string::npos) {
      ++unknown;
    }
  }
  const auto at_least = [](std::size_t full) {
    return std::max<std::size_t>(1, full / testing::kScale);
  };
  EXPECT_GE(proved, at_least(4));
  EXPECT_GE(refuted, at_least(20));
  EXPECT_GE(unknown, at_least(2));
  EXPECT_GE(refused, at_least(20));
}

TEST_F(VerifierCorpus, SerialAndParallelOutcomesEqualCheckProof) {
  for (const unsigned workers : {1u, 3u}) {
    ProofVerifier verifier(judge::Limits{}, workers, 0);
    EXPECT_EQ(describe_all(verifier.verify(pointers(*submissions_))), *expected_)
        << workers << " workers";
  }
}

TEST_F(VerifierCorpus, AnyNumberOfWorkersGivesTheSameOutcomesAndCounters) {
  ProofVerifier serial(judge::Limits{}, 1, 0);
  ASSERT_EQ(describe_all(serial.verify(pointers(*submissions_))), *expected_);
  for (const unsigned workers : {2u, 8u}) {
    ProofVerifier verifier(judge::Limits{}, workers, 0);
    EXPECT_EQ(describe_all(verifier.verify(pointers(*submissions_))), *expected_)
        << workers << " workers";
    EXPECT_EQ(verifier.counters(), serial.counters()) << workers << " workers";
  }
}

// With few programs per worker the units, not the programs, are spread over
// the workers; refusals and results stay check_proof's.
TEST_F(VerifierCorpus, FewProgramsPerWorkerGiveTheSameOutcomes) {
  const auto all = pointers(*submissions_);
  for (std::size_t from = 0; from < all.size(); from += 3) {
    const std::size_t to = std::min(all.size(), from + 3);
    const std::vector<const SubmitProof*> few(all.begin() + static_cast<std::ptrdiff_t>(from),
                                              all.begin() + static_cast<std::ptrdiff_t>(to));
    ProofVerifier verifier(judge::Limits{}, 4, 0);
    const auto outcomes = describe_all(verifier.verify(few));
    const std::vector<std::string> expected(expected_->begin() + static_cast<std::ptrdiff_t>(from),
                                            expected_->begin() + static_cast<std::ptrdiff_t>(to));
    EXPECT_EQ(outcomes, expected) << "submissions " << from << " to " << to;
  }
}

TEST_F(VerifierCorpus, AWorkerKilledWhileJudgingCostsOnlyItsProgram) {
  std::vector<SubmitProof> submissions = *submissions_;
  const std::size_t doomed_index = submissions.size() / 2;
  submissions.insert(submissions.begin() + static_cast<std::ptrdiff_t>(doomed_index),
                     SubmitProof{testing::proved_transfer(4242), WorkUnits(0)});
  const pid_t test_process = ::getpid();
  const judge::UnitProver prover = [test_process](const judge::CheckedUnit& unit) {
    if (unit.name == "transfer_4242" && ::getpid() != test_process) ::raise(SIGKILL);
    return judge::prove_unit(unit);
  };
  for (const unsigned workers : {2u, 3u}) {
    const auto outcomes =
        judge_submissions(pointers(submissions), judge::Limits{}, workers, prover);
    ASSERT_EQ(outcomes.size(), submissions.size());
    for (std::size_t i = 0, k = 0; i < outcomes.size(); ++i) {
      if (i == doomed_index) {
        ASSERT_TRUE(outcomes[i]);
        EXPECT_EQ(outcomes[i]->verdict, judge::Verdict::kUnknown);
        EXPECT_FALSE(outcomes[i]->conclusive);
        EXPECT_EQ(outcomes[i]->work, WorkUnits(0));
        ASSERT_EQ(outcomes[i]->units.size(), 1u);
        EXPECT_TRUE(outcomes[i]->units[0].stopped_by_local_limit);
        EXPECT_EQ(outcomes[i]->units[0].name, "transfer_4242");
        continue;
      }
      EXPECT_EQ(describe(outcomes[i]), (*expected_)[k]) << "submission " << i;
      ++k;
    }
  }
  // In this process the same prover proves: nothing is lost.
  const auto serial = judge_submissions(pointers(submissions), judge::Limits{}, 1, prover);
  EXPECT_EQ(describe(serial[doomed_index]),
            describe(check_proof(submissions[doomed_index], judge::Limits{})));
}

TEST_F(VerifierCorpus, OrderOfSubmissionsChangesNoOutcome) {
  auto reversed = pointers(*submissions_);
  std::reverse(reversed.begin(), reversed.end());
  ProofVerifier verifier(judge::Limits{}, 2, 0);
  auto outcomes = describe_all(verifier.verify(reversed));
  std::reverse(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, *expected_);
}

TEST_F(VerifierCorpus, CacheHitsReturnIdenticalOutcomesAndAreCounted) {
  ProofVerifier verifier(judge::Limits{}, 2, 1000);
  const auto first = describe_all(verifier.verify(pointers(*submissions_)));
  const VerifierCounters after_first = verifier.counters();
  EXPECT_EQ(after_first.cache_hits, 0u);
  EXPECT_GT(after_first.judged, 0u);
  EXPECT_EQ(after_first.judged + after_first.refused, submissions_->size());
  EXPECT_EQ(verifier.cache_size(), after_first.judged - after_first.inconclusive);

  const auto second = describe_all(verifier.verify(pointers(*submissions_)));
  EXPECT_EQ(second, first);
  EXPECT_EQ(second, *expected_);
  const VerifierCounters& after_second = verifier.counters();
  EXPECT_EQ(after_second.judged, after_first.judged);  // nothing judged again
  EXPECT_EQ(after_second.cache_hits, after_first.judged);
  EXPECT_EQ(after_second.refused, 2 * after_first.refused);  // refusals are not cached
}

TEST(ProofVerifierTest, ARepeatedProgramInOneCallIsJudgedOnce) {
  const SubmitProof proof{testing::proved_transfer(7), WorkUnits(0)};
  const SubmitProof* const twice[] = {&proof, &proof};
  ProofVerifier verifier(judge::Limits{}, 2, 0);
  auto outcomes = verifier.verify(twice);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(describe(outcomes[0]), describe(check_proof(proof, judge::Limits{})));
  EXPECT_EQ(describe(outcomes[1]), describe(outcomes[0]));
  EXPECT_EQ(verifier.counters().judged, 1u);
}

TEST(ProofVerifierTest, CacheIsBoundedAndEvictsTheLeastRecentlyUsed) {
  std::vector<SubmitProof> proofs;
  for (std::size_t i = 0; i < 5; ++i) proofs.push_back({testing::proved_transfer(i), WorkUnits(0)});
  ProofVerifier verifier(judge::Limits{}, 1, 3);
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(verifier.verify_one(proofs[i]));
  EXPECT_EQ(verifier.cache_size(), 3u);
  ASSERT_TRUE(verifier.verify_one(proofs[0]));  // a hit: 0 is now the most recent
  EXPECT_EQ(verifier.counters().cache_hits, 1u);
  ASSERT_TRUE(verifier.verify_one(proofs[3]));  // evicts 1, the least recently used
  EXPECT_EQ(verifier.cache_size(), 3u);
  EXPECT_TRUE(verifier.is_cached(proof_id(proofs[0])));
  EXPECT_FALSE(verifier.is_cached(proof_id(proofs[1])));
  EXPECT_TRUE(verifier.is_cached(proof_id(proofs[2])));
  EXPECT_TRUE(verifier.is_cached(proof_id(proofs[3])));
  ASSERT_TRUE(verifier.verify_one(proofs[4]));  // evicts 2
  EXPECT_FALSE(verifier.is_cached(proof_id(proofs[2])));
  EXPECT_EQ(verifier.cache_size(), 3u);
  EXPECT_EQ(verifier.counters().evicted, 2u);
  EXPECT_EQ(verifier.counters().judged, 5u);

  // A whole batch larger than the cache keeps the bound too.
  std::vector<SubmitProof> many;
  for (std::size_t i = 10; i < 20; ++i) many.push_back({testing::proved_transfer(i), WorkUnits(0)});
  ASSERT_EQ(verifier.verify(pointers(many)).size(), many.size());
  EXPECT_EQ(verifier.cache_size(), 3u);
  EXPECT_TRUE(verifier.is_cached(proof_id(many.back())));
  auto cached = verifier.cached(proof_id(many.back()));
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(describe(*cached), describe(check_proof(many.back(), judge::Limits{})));
}

TEST(ProofVerifierTest, ZeroCacheEntriesCachesNothing) {
  const SubmitProof proof{testing::proved_transfer(1), WorkUnits(0)};
  ProofVerifier verifier(judge::Limits{}, 1, 0);
  ASSERT_TRUE(verifier.verify_one(proof));
  ASSERT_TRUE(verifier.verify_one(proof));
  EXPECT_EQ(verifier.cache_size(), 0u);
  EXPECT_EQ(verifier.counters().judged, 2u);
  EXPECT_EQ(verifier.counters().cache_hits, 0u);
}

TEST(ProofVerifierTest, InconclusiveOutcomesAreNeverCached) {
  judge::Limits limits;
  limits.prover_time_guard_ms = 50;
  const SubmitProof cube{testing::kCube, WorkUnits(0)};
  const SubmitProof transfer{testing::proved_transfer(1), WorkUnits(0)};
  ProofVerifier verifier(limits, 2, 10);
  for (int round = 0; round < 2; ++round) {
    const SubmitProof* const both[] = {&cube, &transfer};
    auto outcomes = verifier.verify(both);
    ASSERT_TRUE(outcomes[0]) << outcomes[0].error().to_string();
    EXPECT_EQ(outcomes[0]->verdict, judge::Verdict::kUnknown);
    EXPECT_FALSE(outcomes[0]->conclusive);
    ASSERT_TRUE(outcomes[1]);
    EXPECT_TRUE(outcomes[1]->conclusive);
  }
  EXPECT_FALSE(verifier.is_cached(proof_id(cube)));
  EXPECT_TRUE(verifier.is_cached(proof_id(transfer)));
  EXPECT_EQ(verifier.counters().inconclusive, 2u);
  EXPECT_EQ(verifier.counters().judged, 3u);  // the cube twice, the transfer once
  EXPECT_EQ(verifier.counters().cache_hits, 1u);
}

TEST(ProofVerifierTest, RefusedProgramsGiveCheckProofsErrorAndAreNotCached) {
  const SubmitProof invalid{"intent x( {", WorkUnits(0)};
  const SubmitProof empty{"// nothing to verify\n", WorkUnits(0)};
  ProofVerifier verifier(judge::Limits{}, 2, 10);
  for (const SubmitProof* submission : {&invalid, &empty}) {
    auto outcome = verifier.verify_one(*submission);
    auto expected = check_proof(*submission, judge::Limits{});
    ASSERT_FALSE(outcome);
    ASSERT_FALSE(expected);
    EXPECT_EQ(outcome.error().code, expected.error().code);
    EXPECT_EQ(outcome.error().message, expected.error().message);
  }
  auto again = verifier.verify_one(invalid);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kSyntax);
  EXPECT_NE(again.error().message.find("line 1, column"), std::string::npos);
  EXPECT_EQ(verifier.counters().refused, 3u);
  EXPECT_EQ(verifier.cache_size(), 0u);
}

TEST(ProofVerifierTest, AnEmptyCallJudgesNothing) {
  ProofVerifier verifier(judge::Limits{}, 2, 10);
  EXPECT_TRUE(verifier.verify({}).empty());
  EXPECT_EQ(verifier.counters(), VerifierCounters{});
}

}  // namespace
TEST(ProofVerifierTest, JudgingStopsOnceTheWorkPassesTheCeiling) {
  std::vector<SubmitProof> proofs;
  for (std::size_t i = 0; i < 24; ++i) {
    proofs.push_back({testing::proved_transfer(300 + i), WorkUnits(0)});
  }
  std::vector<const SubmitProof*> pointers;
  for (const auto& proof : proofs) pointers.push_back(&proof);
  ProofVerifier unbounded(judge::Limits{}, 1, 0);
  const auto all = unbounded.verify(pointers);
  std::uint64_t total = 0;
  for (const auto& outcome : all) {
    ASSERT_TRUE(outcome.has_value());
    total += outcome->work.value();
  }
  for (unsigned workers : {1u, 2u}) {
    SCOPED_TRACE(workers);
    // A ceiling at the full sum stops nothing, and changes no outcome.
    ProofVerifier at_sum(judge::Limits{}, workers, 0);
    const auto same = at_sum.verify(pointers, WorkUnits(total));
    for (std::size_t i = 0; i < same.size(); ++i) {
      ASSERT_TRUE(same[i].has_value());
      EXPECT_EQ(same[i]->work, all[i]->work);
    }
    EXPECT_EQ(at_sum.counters().stopped_at_work_ceiling, 0u);
    // A quarter of it: some programs are left unjudged, refused as such.
    ProofVerifier quarter(judge::Limits{}, workers, 0);
    const auto cut = quarter.verify(pointers, WorkUnits(total / 4));
    std::size_t not_judged = 0;
    for (const auto& outcome : cut) {
      if (outcome) continue;
      ++not_judged;
      EXPECT_EQ(outcome.error().code, ErrorCode::kLimit);
      EXPECT_NE(outcome.error().message.find("not judged"), std::string::npos);
    }
    EXPECT_GT(not_judged, 0u);
    EXPECT_LT(quarter.counters().judged, proofs.size());
    EXPECT_EQ(quarter.counters().stopped_at_work_ceiling, 1u);
  }
}

}  // namespace aethel::ledger
