// Linear view changes in the collector pattern: a replica waiting for a
// quorum of VIEW-CHANGEs sends its own again to the new leader and a window
// of relays (the leaders of the next views), never to everyone; the first
// relay holding a quorum broadcasts a VIEW-CHANGE certificate, which lets
// every replica move on (PBFT's pacing rule) or join the view.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "tests/consensus/cluster.h"
#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

constexpr std::uint64_t kLastView = ~0ULL;

ViewChange view_change(const ReplicaFixture& f, std::size_t sender, std::uint64_t new_view) {
  ViewChangeSummary summary;
  summary.new_view = View(new_view);
  summary.sender = ValidatorIndex(sender);
  ViewChange change;
  change.signed_summary = sign_view_change_summary(f.config().chain_id, f.key(sender), summary);
  return change;
}

// Signed summaries of `senders` (in index order), each asking for `view`.
ViewChangeCertificate view_change_certificate(const ReplicaFixture& f, std::uint64_t view,
                                              std::vector<std::size_t> senders) {
  std::sort(senders.begin(), senders.end());
  ViewChangeCertificate certificate;
  certificate.view = View(view);
  certificate.sender = ValidatorIndex(senders.front());
  for (std::size_t sender : senders) {
    certificate.view_changes.push_back(view_change(f, sender, view).signed_summary);
  }
  return certificate;
}

FixtureOptions with_validators(std::size_t count, std::optional<std::size_t> self = std::nullopt) {
  FixtureOptions options;
  options.validators = count;
  options.self = self;
  return options;
}

// Ten validators of equal stake: a quorum is seven.
constexpr std::size_t kValidators = 10;
constexpr std::size_t kQuorum = 7;

// The first validator that leads none of views 0 to `through`, so that
// every VIEW-CHANGE it sends goes somewhere else.
FixtureOptions collector_options(std::uint64_t through = 1,
                                 VotePattern pattern = VotePattern::kCollector) {
  ReplicaFixture probe(with_validators(kValidators));
  FixtureOptions options;
  options.validators = kValidators;
  options.pattern = pattern;
  for (std::size_t i = 0; i < kValidators; ++i) {
    bool leads = false;
    for (std::uint64_t v = 0; v <= through; ++v) leads = leads || probe.leader(View(v)) == i;
    if (!leads) {
      options.self = i;
      break;
    }
  }
  EXPECT_TRUE(options.self.has_value()) << "every validator leads one of views 0 to " << through;
  return options;
}

// The first `count` validators other than the replica under test.
std::vector<std::size_t> some_others(const ReplicaFixture& f, std::size_t count) {
  std::vector<std::size_t> others = f.others(f.self(), f.self());
  others.resize(count);
  return others;
}

// Where the VIEW-CHANGEs in `actions` went: kAll for a broadcast.
constexpr std::size_t kAll = ~std::size_t{0};
std::vector<std::size_t> view_change_destinations(const Actions& actions) {
  std::vector<std::size_t> destinations;
  for (const Action& action : actions) {
    if (const auto* send = std::get_if<Send>(&action)) {
      if (std::holds_alternative<ViewChange>(*send->message)) {
        destinations.push_back(static_cast<std::size_t>(send->to.value()));
      }
    } else if (const auto* broadcast = std::get_if<Broadcast>(&action)) {
      if (std::holds_alternative<ViewChange>(*broadcast->message)) destinations.push_back(kAll);
    }
  }
  return destinations;
}

std::vector<std::size_t> relays_without(const ReplicaFixture& f, std::uint64_t view,
                                        std::uint64_t round, std::size_t self) {
  std::vector<std::size_t> expected;
  for (ValidatorIndex relay : view_change_relays(f.validators(), View(view), round)) {
    if (relay.value() != self) expected.push_back(static_cast<std::size_t>(relay.value()));
  }
  return expected;
}

// --- Who the relays are ---------------------------------------------------

struct RelayCase {
  std::string name;
  std::uint64_t view;
  std::uint64_t round;
  std::vector<std::uint64_t> views;  // whose leaders, in order, before removing repeats
};

TEST(ViewChangeRelays, TheNewLeaderTheNextLeadersAndTheRoundsOwnWindow) {
  const std::vector<RelayCase> cases = {
      {"first round: the new leader and the next three", 10, 1, {10, 11, 12, 13}},
      {"second round: and the window after them", 10, 2, {10, 11, 12, 13, 14, 15, 16}},
      {"third round: the nearest again, the second window no more",
       10,
       3,
       {10, 11, 12, 13, 17, 18, 19}},
      {"view 0", 0, 1, {0, 1, 2, 3}},
      {"the last view has no later leaders", kLastView, 1, {kLastView}},
      {"windows stop at the last view",
       kLastView - 2,
       2,
       {kLastView - 2, kLastView - 1, kLastView}},
      {"a window wholly past the last view adds nothing",
       kLastView - 5,
       3,
       {kLastView - 5, kLastView - 4, kLastView - 3, kLastView - 2}},
      {"a huge round does not overflow", 7, kLastView, {7, 8, 9, 10}},
  };
  ReplicaFixture fixture(with_validators(50));
  const ValidatorSet& validators = fixture.validators();
  for (const RelayCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    std::vector<ValidatorIndex> expected;
    for (std::uint64_t v : test_case.views) {
      const ValidatorIndex leader = validators.leader_for_view(View(v));
      if (std::find(expected.begin(), expected.end(), leader) == expected.end()) {
        expected.push_back(leader);
      }
    }
    EXPECT_EQ(view_change_relays(validators, View(test_case.view), test_case.round), expected);
  }
}

TEST(ViewChangeRelays, AreDistinctAndFewWhateverTheSetSize) {
  for (std::size_t size : {std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{50}}) {
    ReplicaFixture fixture(with_validators(size, 0));
    for (std::uint64_t round = 1; round <= 20; ++round) {
      const auto relays = view_change_relays(fixture.validators(), View(5), round);
      auto sorted = relays;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
      EXPECT_LE(relays.size(), 1 + 2 * kViewChangeRelaysPerWindow);
      EXPECT_LE(relays.size(), size);
      EXPECT_EQ(relays.front(), fixture.validators().leader_for_view(View(5)));
    }
  }
}

// --- Where a replica sends its VIEW-CHANGE -------------------------------

struct ResendCase {
  std::string name;
  VotePattern pattern;
  int timeouts_in_view_change;  // timer expiries after the first VIEW-CHANGE
  // The expected destinations of the VIEW-CHANGEs sent by the last expiry.
  std::function<std::vector<std::size_t>(const ReplicaFixture&)> expected;
};

TEST(ViewChange, ResendTargetsFollowTheVotePattern) {
  const std::vector<ResendCase> cases = {
      {"all-to-all: the first VIEW-CHANGE is broadcast", VotePattern::kAllToAll, 0,
       [](const ReplicaFixture&) { return std::vector<std::size_t>{kAll}; }},
      {"all-to-all: so is every resend", VotePattern::kAllToAll, 2,
       [](const ReplicaFixture&) { return std::vector<std::size_t>{kAll}; }},
      {"collector: the first VIEW-CHANGE goes to the new leader only", VotePattern::kCollector, 0,
       [](const ReplicaFixture& f) { return std::vector<std::size_t>{f.leader(View(1))}; }},
      {"collector: the first resend goes to the leader and the nearest relays",
       VotePattern::kCollector, 1,
       [](const ReplicaFixture& f) { return relays_without(f, 1, 1, f.self()); }},
      {"collector: the second adds the next window", VotePattern::kCollector, 2,
       [](const ReplicaFixture& f) { return relays_without(f, 1, 2, f.self()); }},
      {"collector: the fifth probes its own window", VotePattern::kCollector, 5,
       [](const ReplicaFixture& f) { return relays_without(f, 1, 5, f.self()); }},
  };
  for (const ResendCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    ReplicaFixture fixture(collector_options(1, test_case.pattern));
    Actions actions = fixture.step(TimerFired{TimerKind::kView});
    for (int i = 0; i < test_case.timeouts_in_view_change; ++i) {
      actions = fixture.step(TimerFired{TimerKind::kView});
    }
    EXPECT_EQ(fixture.replica().view(), View(1));
    EXPECT_TRUE(fixture.replica().in_view_change());
    EXPECT_EQ(view_change_destinations(actions), test_case.expected(fixture));
    EXPECT_TRUE(sent<ViewChangeCertificate>(actions).empty());
  }
}

// Once the quorum is held, only the new leader still needs the VIEW-CHANGE
// (for its NEW-VIEW): the resends of a patience longer than one timer go
// to it alone.
TEST(ViewChange, WithTheQuorumHeldResendsGoToTheNewLeaderOnly) {
  ReplicaFixture fixture(collector_options(8));
  // Seven failed views bring the timer to its cap (as in the all-to-all
  // test of patience); a certificate gives the quorum each time.
  for (std::uint64_t failed = 1; failed <= 7; ++failed) {
    fixture.step(TimerFired{TimerKind::kView});
    ASSERT_EQ(fixture.replica().view(), View(failed));
    fixture.receive(view_change_certificate(fixture, failed, some_others(fixture, kQuorum)));
  }
  const Actions resent = fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(7));
  EXPECT_EQ(view_change_destinations(resent), (std::vector<std::size_t>{fixture.leader(View(7))}));
}

// --- The VIEW-CHANGE certificate -------------------------------------------

// A relay (here: a replica that does not lead view 1) that receives enough
// VIEW-CHANGEs for its view broadcasts one certificate with just a quorum
// of their summaries, then no more; all-to-all never builds one.
TEST(ViewChange, ARelayHoldingAQuorumBroadcastsOneCertificate) {
  for (VotePattern pattern : {VotePattern::kCollector, VotePattern::kAllToAll}) {
    SCOPED_TRACE(vote_pattern_name(pattern));
    ReplicaFixture fixture(collector_options(1, pattern));
    fixture.step(TimerFired{TimerKind::kView});
    std::vector<ViewChangeCertificate> broadcast;
    for (std::size_t sender : fixture.others(fixture.self(), fixture.self())) {
      const Actions actions = fixture.receive(view_change(fixture, sender, 1));
      for (const auto& certificate : sent<ViewChangeCertificate>(actions)) {
        broadcast.push_back(certificate);
        EXPECT_EQ(actions_of<Broadcast>(actions).size(), 1u);
      }
    }
    if (pattern == VotePattern::kAllToAll) {
      EXPECT_TRUE(broadcast.empty());
      continue;
    }
    ASSERT_EQ(broadcast.size(), 1u);
    const ViewChangeCertificate& certificate = broadcast[0];
    EXPECT_EQ(certificate.view, View(1));
    EXPECT_EQ(certificate.sender.value(), fixture.self());
    ASSERT_EQ(certificate.view_changes.size(), kQuorum);
    for (std::size_t i = 1; i < kQuorum; ++i) {
      EXPECT_LT(certificate.view_changes[i - 1].summary.sender,
                certificate.view_changes[i].summary.sender);
    }
    // Another replica accepts it.
    FixtureOptions other = collector_options(1);
    other.self = fixture.others(fixture.self(), fixture.leader(View(1)))[0];
    ReplicaFixture receiver(other);
    receiver.step(TimerFired{TimerKind::kView});
    receiver.receive(certificate);
    EXPECT_EQ(receiver.replica().stats().refused_total(), 0u);
  }
}

// The new leader that can send its NEW-VIEW sends that, not a certificate.
TEST(ViewChange, TheNewLeaderSendsItsNewViewNotACertificate) {
  ReplicaFixture probe(with_validators(kValidators));
  FixtureOptions options;
  options.validators = kValidators;
  options.pattern = VotePattern::kCollector;
  options.self = probe.leader(View(1));
  if (*options.self == probe.leader0()) GTEST_SKIP() << "views 0 and 1 share a leader";
  ReplicaFixture fixture(options);
  fixture.step(TimerFired{TimerKind::kView});
  std::size_t new_views = 0;
  for (std::size_t sender : some_others(fixture, kQuorum - 1)) {
    const Actions actions = fixture.receive(view_change(fixture, sender, 1));
    EXPECT_TRUE(sent<ViewChangeCertificate>(actions).empty());
    new_views += sent<NewView>(actions).size();
  }
  EXPECT_EQ(new_views, 1u);
}

// Without a quorum a replica waits in its view change (resending); with a
// certificate its timer moves it on.
TEST(ViewChange, ACertificateLetsAWaitingReplicaMoveOn) {
  ReplicaFixture fixture(collector_options(2));
  fixture.step(TimerFired{TimerKind::kView});
  fixture.step(TimerFired{TimerKind::kView});
  ASSERT_EQ(fixture.replica().view(), View(1));
  const Actions accepted =
      fixture.receive(view_change_certificate(fixture, 1, some_others(fixture, kQuorum)));
  EXPECT_EQ(fixture.replica().stats().refused_total(), 0u);
  EXPECT_FALSE(actions_of<StartTimer>(accepted).empty());
  // A second certificate for the view is not checked again.
  const std::uint64_t checked = fixture.replica().stats().signatures_verified;
  fixture.receive(view_change_certificate(fixture, 1, some_others(fixture, kQuorum)));
  EXPECT_EQ(fixture.refused(Refusal::kDuplicate), 1u);
  EXPECT_EQ(fixture.replica().stats().signatures_verified, checked);
  const Actions moved = fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(2));
  EXPECT_EQ(view_change_destinations(moved), (std::vector<std::size_t>{fixture.leader(View(2))}));
}

// A certificate for a later view is a quorum asking for it (more than the
// weak quorum the joining rule needs): a replica in an earlier view joins
// it, already holding the quorum its timer needs.
TEST(ViewChange, ACertificateForALaterViewIsJoined) {
  ReplicaFixture fixture(collector_options(4));
  const Actions joined =
      fixture.receive(view_change_certificate(fixture, 3, some_others(fixture, kQuorum)));
  EXPECT_EQ(fixture.replica().view(), View(3));
  EXPECT_TRUE(fixture.replica().in_view_change());
  EXPECT_EQ(view_change_destinations(joined), (std::vector<std::size_t>{fixture.leader(View(3))}));
  fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(4));
}

struct BadCertificateCase {
  std::string name;
  std::function<ViewChangeCertificate(const ReplicaFixture&)> build;
  Refusal refusal;
};

TEST(ViewChange, CertificatesThatProveNoQuorumAreRefused) {
  const std::vector<BadCertificateCase> cases = {
      {"a forged summary signature",
       [](const ReplicaFixture& f) {
         auto c = view_change_certificate(f, 1, some_others(f, kQuorum));
         c.view_changes.back().signature = c.view_changes.front().signature;
         return c;
       },
       Refusal::kBadSignature},
      {"summaries from less than 2/3 of stake",
       [](const ReplicaFixture& f) {
         return view_change_certificate(f, 1, some_others(f, kQuorum - 1));
       },
       Refusal::kInvalidViewChange},
      {"a summary for an earlier view than the certificate's",
       [](const ReplicaFixture& f) {
         auto c = view_change_certificate(f, 1, some_others(f, kQuorum));
         c.view_changes[2] =
             view_change(f, c.view_changes[2].summary.sender.value(), 0).signed_summary;
         return c;
       },
       Refusal::kInvalidViewChange},
      {"senders out of order",
       [](const ReplicaFixture& f) {
         auto c = view_change_certificate(f, 1, some_others(f, kQuorum));
         std::swap(c.view_changes[0], c.view_changes[1]);
         return c;
       },
       Refusal::kInvalidViewChange},
      {"a repeated sender",
       [](const ReplicaFixture& f) {
         auto c = view_change_certificate(f, 1, some_others(f, kQuorum));
         c.view_changes[1] = c.view_changes[0];
         return c;
       },
       Refusal::kInvalidViewChange},
      {"a summary from outside the validator set",
       [](const ReplicaFixture& f) {
         auto c = view_change_certificate(f, 1, some_others(f, kQuorum));
         c.view_changes.back().summary.sender = ValidatorIndex(kValidators);
         return c;
       },
       Refusal::kInvalidViewChange},
      {"a certificate for a view far ahead",
       [](const ReplicaFixture& f) {
         return view_change_certificate(f, kLastView, some_others(f, kQuorum));
       },
       Refusal::kInvalidViewChange},
      {"a certificate for a view already left",
       [](const ReplicaFixture& f) {
         return view_change_certificate(f, 0, some_others(f, kQuorum));
       },
       Refusal::kStaleView},
  };
  for (const BadCertificateCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    ReplicaFixture fixture(collector_options(2));
    fixture.step(TimerFired{TimerKind::kView});
    fixture.receive(test_case.build(fixture));
    EXPECT_EQ(fixture.refused(test_case.refusal), 1u);
    EXPECT_EQ(fixture.replica().stats().refused_total(), 1u);
    // Still waiting for a quorum: the timer resends and stays.
    fixture.step(TimerFired{TimerKind::kView});
    EXPECT_EQ(fixture.replica().view(), View(1));
    EXPECT_TRUE(fixture.replica().in_view_change());
  }
}

// A forged certificate costs its quorum of signature checks once; sent
// again it is refused by its hash.
TEST(ViewChange, AReplayedForgedCertificateCostsNoSignatureChecks) {
  ReplicaFixture fixture(collector_options(2));
  fixture.step(TimerFired{TimerKind::kView});
  auto forged = view_change_certificate(fixture, 1, some_others(fixture, kQuorum));
  forged.view_changes.back().signature = forged.view_changes.front().signature;
  fixture.receive(forged);
  const std::uint64_t checked = fixture.replica().stats().signatures_verified;
  fixture.receive(forged);
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 2u);
  EXPECT_EQ(fixture.replica().stats().signatures_verified, checked);
}

// A replica that sends its VIEW-CHANGE to a holder of the certificate a
// timeout after it was broadcast missed it: it gets the certificate, once
// per timeout_min_ms. Sooner, the broadcast is still on its way.
TEST(ViewChange, AReplicaThatMissedTheCertificateGetsItFromAHolder) {
  ReplicaFixture fixture(collector_options(1));
  fixture.step(TimerFired{TimerKind::kView});
  const auto senders = fixture.others(fixture.self(), fixture.self());
  const std::size_t late = senders.back();
  for (std::size_t i = 0; i + 1 < senders.size(); ++i) {
    fixture.receive(view_change(fixture, senders[i], 1));
  }
  ASSERT_FALSE(fixture.replica().stats().refused_total());
  const auto certificates_to = [](const Actions& actions) {
    std::vector<std::size_t> to;
    for (const Send& send : actions_of<Send>(actions)) {
      if (std::holds_alternative<ViewChangeCertificate>(*send.message)) {
        to.push_back(static_cast<std::size_t>(send.to.value()));
      }
    }
    return to;
  };
  // The last VIEW-CHANGE arrives with the broadcast: no certificate for it.
  EXPECT_TRUE(certificates_to(fixture.receive(view_change(fixture, late, 1))).empty());
  // It asks again a timeout later.
  fixture.now_ms += fixture.config().timeout_min_ms;
  EXPECT_EQ(certificates_to(fixture.receive(view_change(fixture, late, 1))),
            (std::vector<std::size_t>{late}));
  EXPECT_TRUE(certificates_to(fixture.receive(view_change(fixture, late, 1))).empty());
  // A forged copy earns nothing, even once the limit has passed.
  fixture.now_ms += fixture.config().timeout_min_ms;
  ViewChange forged = view_change(fixture, late, 1);
  forged.signed_summary.signature = view_change(fixture, senders[0], 1).signed_summary.signature;
  EXPECT_TRUE(certificates_to(fixture.receive(forged)).empty());
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 1u);
}

// Seven validators, two of them silent: the leaders of views 0 and 1. The
// VIEW-CHANGEs for view 1 reach only its silent leader; the replicas send
// them again to the relays, one of which broadcasts a certificate, and
// all move on to view 2 and beyond. No replica ever broadcasts a
// VIEW-CHANGE, and the cluster commits.
TEST(ViewChangeCluster, SilentLeadersAreReplacedWithoutBroadcastViewChanges) {
  Cluster cluster(cluster_options(7, VotePattern::kCollector));
  const std::size_t silent0 = cluster.validators()->leader_for_view(View(0)).value();
  const std::size_t silent1 = cluster.validators()->leader_for_view(View(1)).value();
  if (silent0 == silent1) GTEST_SKIP() << "views 0 and 1 share a leader";
  const auto silent = [&](std::size_t node) { return node == silent0 || node == silent1; };
  cluster.set_drop_filter(
      [&](std::size_t from, std::size_t to, const Message&) { return silent(from) || silent(to); });
  cluster.start();
  bool committed = false;
  while (!committed && cluster.now_ms() < 300'000) {
    cluster.run_until(cluster.now_ms() + 1'000);
    committed = true;
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      committed = committed && (silent(i) || cluster.committed(i).size() >= 3);
    }
  }
  EXPECT_TRUE(committed) << cluster.trace_text();
  std::size_t certificates = 0;
  for (const std::string& line : cluster.trace()) {
    EXPECT_EQ(line.find("-> all VIEW-CHANGE to"), std::string::npos) << line;
    if (line.find("-> all VIEW-CHANGE-CERTIFICATE v1") != std::string::npos) ++certificates;
  }
  EXPECT_GE(certificates, 1u);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (!silent(i)) {
      EXPECT_GE(cluster.replica(i).view(), View(2)) << "r" << i;
    }
  }
  EXPECT_TRUE(cluster.double_signs().empty());
}

}  // namespace
}  // namespace aethel::consensus::testing
