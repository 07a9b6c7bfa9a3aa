// Consensus messages, their canonical encoding, and what each signs.
//
// Every message is signed by its sender with Ed25519 in a signing domain of
// its own (crypto/signing_domain.h), over compact "signing bytes" that begin
// with the chain identifier, so a signature is valid for one purpose on one
// chain only. Certificates are lists of such signatures and are shared, never
// copied: messages hold them through std::shared_ptr<const ...>.
//
// Wire format: envelope {kMessageFormatVersion, MessageType}, then the
// message's fields in declaration order (core/encoding.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "consensus/block.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/types.h"
#include "crypto/ed25519.h"
#include "crypto/signing_domain.h"

namespace aethel::consensus {

// What a signed vote is for. kCheckpoint votes carry view 0 and the
// application's state digest after executing `height` in place of a block
// digest.
enum class VotePhase : std::uint8_t { kPrepare = 0, kCommit = 1, kCheckpoint = 2 };

const char* vote_phase_name(VotePhase phase) noexcept;
crypto::SigningDomain signing_domain_of(VotePhase phase) noexcept;

// PREPARE, COMMIT or CHECKPOINT from one validator.
struct Vote {
  VotePhase phase = VotePhase::kPrepare;
  View view;
  Height height;
  Hash256 digest;  // block digest, or state digest for kCheckpoint
  ValidatorIndex voter;
  crypto::Signature signature;

  friend bool operator==(const Vote&, const Vote&) = default;
};

// One signer's signature inside a certificate.
struct CertificateSignature {
  ValidatorIndex signer;
  crypto::Signature signature;

  friend bool operator==(const CertificateSignature&, const CertificateSignature&) = default;
};

// Votes of more than 2/3 of stake for the same (phase, view, height,
// digest), signers strictly increasing. A kPrepare certificate is PBFT's
// "prepared" predicate; a kCommit certificate proves a block final; a
// kCheckpoint certificate makes a checkpoint stable.
struct Certificate {
  VotePhase phase = VotePhase::kPrepare;
  View view;
  Height height;
  Hash256 digest;
  std::vector<CertificateSignature> signatures;

  friend bool operator==(const Certificate&, const Certificate&) = default;
};

using CertificatePtr = std::shared_ptr<const Certificate>;

// The vote a certificate entry stands for.
Vote vote_in_certificate(const Certificate& certificate, const CertificateSignature& entry);

// Structure only, no signature is checked: refuses (kInvalidArgument) a
// signer outside the set, signers not strictly increasing, and a signer
// stake sum below a quorum.
Result<void> check_certificate_structure(const ValidatorSet& validators,
                                         const Certificate& certificate);

// PRE-PREPARE: the leader of `view` proposes `block` for block->height.
struct PrePrepare {
  View view;
  BlockPtr block;
  ValidatorIndex leader;
  crypto::Signature signature;  // over pre_prepare_signing_bytes
};

// A certificate broadcast by the collector (collector vote pattern) or
// forwarded to a lagging replica.
struct CertificateMessage {
  CertificatePtr certificate;
  ValidatorIndex sender;  // informational; the certificate authenticates itself
};

// PBFT's P-set entry in compact form: the block `digest` was prepared at
// `height` in `view`.
struct PreparedEntry {
  Height height;
  View view;
  Hash256 digest;

  friend bool operator==(const PreparedEntry&, const PreparedEntry&) = default;
};

// What a VIEW-CHANGE signs: the sender's stable checkpoint and the prepared
// entries above it, heights strictly increasing.
struct ViewChangeSummary {
  View new_view;
  Height stable_height;
  Hash256 stable_state_digest;  // zero when stable_height is 0
  std::vector<PreparedEntry> prepared;
  ValidatorIndex sender;

  friend bool operator==(const ViewChangeSummary&, const ViewChangeSummary&) = default;
};

struct SignedViewChangeSummary {
  ViewChangeSummary summary;
  crypto::Signature signature;  // over view_change_signing_bytes

  friend bool operator==(const SignedViewChangeSummary&, const SignedViewChangeSummary&) = default;
};

// A prepared block with the prepare certificate that proves it.
struct PreparedProof {
  BlockPtr block;
  CertificatePtr prepare_certificate;
};

// VIEW-CHANGE: the signed summary with the proofs behind it: the stable
// checkpoint certificate (absent when stable_height is 0) and one proof per
// prepared entry, in the same order.
struct ViewChange {
  SignedViewChangeSummary signed_summary;
  CertificatePtr stable_checkpoint;
  std::vector<PreparedProof> proofs;
};

// NEW-VIEW: the new leader's proof that it re-proposes every block that may
// have committed. It holds the signed summaries of view changes from more
// than 2/3 of stake, the highest stable checkpoint certificate among them,
// and the re-proposals: for each height from the highest stable checkpoint
// + 1 upward, the block of the highest-view prepared entry, contiguous
// (new_view_reproposals() computes them). Each re-proposal counts as the
// leader's PRE-PREPARE for its height in `view`.
struct NewView {
  View view;
  ValidatorIndex leader;
  std::vector<SignedViewChangeSummary> view_changes;  // senders strictly increasing
  CertificatePtr stable_checkpoint;                   // absent when its height is 0
  std::vector<PreparedProof> reproposals;
  crypto::Signature signature;  // over new_view_signing_bytes
};

// VIEW-CHANGE certificate: the signed summaries of VIEW-CHANGEs from more
// than 2/3 of stake, each asking for `view` or a later view, senders
// strictly increasing. It proves what a replica must hold before its timer
// may move it past `view` (the pacing rule in docs/consensus.md) without
// the replica receiving those VIEW-CHANGEs itself. In the collector pattern
// VIEW-CHANGEs go to a few leaders only, and the first of them that holds
// a quorum broadcasts this certificate, as a collector broadcasts a vote
// certificate. It carries no signature of its own (every summary is
// signed) and no proofs: it paces view changes, it does not build a
// NEW-VIEW.
struct ViewChangeCertificate {
  View view;
  ValidatorIndex sender;  // informational; the summaries authenticate themselves
  std::vector<SignedViewChangeSummary> view_changes;
};

using Message =
    std::variant<PrePrepare, Vote, CertificateMessage, ViewChange, NewView, ViewChangeCertificate>;
using MessagePtr = std::shared_ptr<const Message>;

enum class MessageType : std::uint8_t {
  kPrePrepare = 1,
  kVote = 2,
  kCertificate = 3,
  kViewChange = 4,
  kNewView = 5,
  kViewChangeCertificate = 6,
};
inline constexpr std::uint8_t kMessageFormatVersion = 1;

MessageType message_type(const Message& message) noexcept;
const char* message_type_name(MessageType type) noexcept;
// The validator that signed the message (for a certificate message: the
// sender that forwarded it).
ValidatorIndex message_sender(const Message& message) noexcept;

// Bounds applied while decoding, before anything is allocated.
struct DecodeLimits {
  std::size_t max_claims = kMaxClaimsPerBlock;
  std::size_t max_signatures = kMaxValidators;    // per certificate
  std::size_t max_view_changes = kMaxValidators;  // summaries in a NEW-VIEW or certificate
  std::size_t max_prepared_entries = 1024;        // per VIEW-CHANGE and re-proposals
};

Bytes encode_message(const Message& message);
// Refuses malformed bytes with an error naming the field and offset. Checks
// form only (lengths, tags, ordering, a proof per prepared entry): no
// signature, membership or quorum is checked here.
Result<Message> decode_message(ByteView bytes, const DecodeLimits& limits = {});

void encode_certificate(Encoder& encoder, const Certificate& certificate);
Result<Certificate> decode_certificate(Decoder& decoder, std::size_t max_signatures);
// Size in bytes of the certificate's encoding, computed without encoding.
std::size_t encoded_certificate_size(const Certificate& certificate) noexcept;
// Size in bytes of encode_message(message), for transport models.
std::size_t encoded_message_size(const Message& message);

// Pieces of messages, for evidence and persistent state.
void encode_vote(Encoder& encoder, const Vote& vote);
Result<Vote> decode_vote(Decoder& decoder);
void encode_pre_prepare(Encoder& encoder, const PrePrepare& message);
Result<PrePrepare> decode_pre_prepare(Decoder& decoder, const DecodeLimits& limits);
void encode_prepared_proof(Encoder& encoder, const PreparedProof& proof);
// Also refuses a certificate that is not a prepare certificate for the
// block's height (the digest is not checked: that needs hashing).
Result<PreparedProof> decode_prepared_proof(Decoder& decoder, const DecodeLimits& limits);

// --- What each message signs ---------------------------------------------

Bytes vote_signing_bytes(const Hash256& chain_id, VotePhase phase, View view, Height height,
                         const Hash256& digest);
Bytes pre_prepare_signing_bytes(const Hash256& chain_id, View view, Height height,
                                const Hash256& block_digest);
Bytes view_change_signing_bytes(const Hash256& chain_id, const ViewChangeSummary& summary);
// Covers the view, the leader, every summary (by SHA-256 of their encoding),
// the stable checkpoint's height and digest, and the re-proposed blocks'
// (height, view, digest).
Bytes new_view_signing_bytes(const Hash256& chain_id, const NewView& new_view);

// --- Signing (used by the replica, tests and simulated Byzantine nodes) ---

Vote sign_vote(const Hash256& chain_id, const crypto::SecretKey& key, VotePhase phase, View view,
               Height height, const Hash256& digest, ValidatorIndex voter);
PrePrepare sign_pre_prepare(const Hash256& chain_id, const crypto::SecretKey& key, View view,
                            BlockPtr block, ValidatorIndex leader);
SignedViewChangeSummary sign_view_change_summary(const Hash256& chain_id,
                                                 const crypto::SecretKey& key,
                                                 ViewChangeSummary summary);
// Fills new_view.signature.
void sign_new_view(const Hash256& chain_id, const crypto::SecretKey& key, NewView& new_view);

// The re-proposals a set of view-change summaries implies, as (height,
// view, digest) of the chosen prepared entries: starting at the highest
// stable height + 1, for each height the entry with the highest view among
// all summaries, stopping at the first height that no summary has prepared.
// Two entries with the same height and view but different digests cannot
// both be proven (quorum intersection); the lower digest is chosen so the
// function stays total, and its proof will fail.
struct NewViewPlan {
  Height stable_height;
  Hash256 stable_state_digest;
  std::vector<PreparedEntry> reproposals;

  friend bool operator==(const NewViewPlan&, const NewViewPlan&) = default;
};
NewViewPlan plan_new_view(const std::vector<SignedViewChangeSummary>& view_changes);

}  // namespace aethel::consensus
