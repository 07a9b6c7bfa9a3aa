// The application content of a block: the commit certificate of the parent
// block (which decides the parent's rewards) and the full transactions.
//
// consensus::Block::payload_digest is payload_digest(): SHA-256 of the
// canonical encoding below. A block's claims are derived from its payload
// (claims_of), one per SubmitProof in transaction order, so a validator that
// holds the payload can check every claim the block makes.
//
// Wire format (core/encoding.h): envelope {kBlockPayloadFormatVersion,
// kBlockPayloadTypeTag}; an optional commit certificate
// (consensus::encode_certificate); a vector of transactions, each as a byte
// string holding encode_transaction().
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "consensus/block.h"
#include "consensus/messages.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "judge/verdict.h"
#include "ledger/chain_params.h"
#include "ledger/transaction.h"

namespace aethel::ledger {

inline constexpr std::uint8_t kBlockPayloadFormatVersion = 1;
inline constexpr std::uint8_t kBlockPayloadTypeTag = 0x50;  // 'P'

struct BlockPayload {
  // The commit certificate of block height - 1: absent at height 1, required
  // above. Shared, because a certificate holds up to one signature per
  // validator and a signature checker may remember it by identity.
  consensus::CertificatePtr parent_commit;
  std::vector<Transaction> transactions;
};

// Equal certificates (by value, or both absent) and equal transactions.
bool operator==(const BlockPayload& a, const BlockPayload& b);

// Bounds applied while decoding, before anything is allocated.
struct BlockPayloadLimits {
  std::size_t max_transactions = 1'000;
  std::size_t max_bytes = 8 * 1024 * 1024;
  std::size_t max_certificate_signatures = consensus::kMaxValidators;
};

BlockPayloadLimits payload_limits(const ChainParams& params);

Bytes encode_block_payload(const BlockPayload& payload);
// Refuses, naming the field and offset (and the transaction index inside
// the list): more bytes than limits.max_bytes, truncation, trailing bytes,
// an unknown envelope, more transactions or certificate signatures than
// the limits, and any transaction decode_transaction() refuses.
Result<BlockPayload> decode_block_payload(ByteView bytes, const BlockPayloadLimits& limits);

// SHA-256 of encode_block_payload(payload).
Hash256 payload_digest(const BlockPayload& payload);

// The verifier's outcome for one program (a SubmitProof or an evidence
// proof). Execution never runs the judge: the caller judges every program
// the payload carries (programs_of) and passes the outcomes in.
struct VerifiedProof {
  Hash256 proof_id;
  judge::Verdict verdict = judge::Verdict::kUnknown;
  WorkUnits work;
  Difficulty difficulty;

  friend bool operator==(const VerifiedProof&, const VerifiedProof&) = default;
};

using VerifiedProofs = std::map<Hash256, VerifiedProof>;

// Every program the payload asks validators to judge, in transaction order:
// each SubmitProof and each evidence proof (one entry per transaction that
// carries one; the same program may appear twice).
std::vector<const SubmitProof*> programs_of(const BlockPayload& payload);

consensus::ClaimedVerdict claimed_verdict_of(judge::Verdict verdict) noexcept;

// One claim per SubmitProof, in transaction order, with the verdict and
// difficulty of its outcome in `proofs`. Refuses (kNotFound) a SubmitProof
// with no outcome, naming the transaction index.
Result<std::vector<consensus::Claim>> claims_of(const BlockPayload& payload,
                                                const VerifiedProofs& proofs);

}  // namespace aethel::ledger
