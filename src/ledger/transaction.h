// Transactions: what accounts ask the ledger to do, signed by their sender.
//
// Wire format (core/encoding.h): envelope {kTransactionFormatVersion,
// kTransactionTypeTag}, the payload kind byte and its fields, fee, nonce, then
// the authorization: a kind byte and, for a sovereign sender, its Ed25519
// public key and signature. Authorization kind 1 is reserved for ghost
// (ring-signed) submissions, which this version refuses.
//
// The signature covers signing_bytes(): the chain identifier, the payload,
// fee, nonce and the sender's key, in the domain kProofSubmission for
// SubmitProof and kTransaction for every other kind, so a signature is valid
// for one transaction on one chain only. The transaction id hashes those
// same bytes: it does not depend on the signature, so no re-encoding of a
// signature can make a second id for one transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/types.h"
#include "crypto/ed25519.h"
#include "crypto/signing_domain.h"

namespace aethel::ledger {

inline constexpr std::uint8_t kTransactionFormatVersion = 1;
inline constexpr std::uint8_t kTransactionTypeTag = 0x54;  // 'T'

// Limits every node applies when decoding; a transaction over them is
// refused (kOversize / kLimit) before anything else is done with it.
inline constexpr std::size_t kMaxProgramBytes = 64 * 1024;  // the judge's source limit
inline constexpr std::size_t kMaxEvidenceBytes = 512 * 1024;
inline constexpr std::size_t kMaxTransactionBytes = 640 * 1024;

// An Aethel program to verify. `budget` caps the prover work, in Z3 resource
// units, the submitter pays the network for; zero asks for the judge's
// default.
struct SubmitProof {
  std::string program;
  WorkUnits budget;
  friend bool operator==(const SubmitProof&, const SubmitProof&) = default;
};

struct Transfer {
  crypto::PublicKey to;
  TokenAmount amount;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// Moves `amount` from the sender's balance into its validator stake.
struct StakeTokens {
  TokenAmount amount;
  friend bool operator==(const StakeTokens&, const StakeTokens&) = default;
};

// Starts returning `amount` of stake to the balance after the unbonding
// period; it stays slashable until then.
struct UnstakeTokens {
  TokenAmount amount;
  friend bool operator==(const UnstakeTokens&, const UnstakeTokens&) = default;
};

// Cryptographic evidence of a Byzantine act, in its canonical consensus
// encoding; block execution decodes and verifies it before slashing.
// Evidence of a false verdict (a false claim or a vote for one) carries the
// accused proof's program in `proof`, so that every validator can judge it:
// its proof id must be the accused claim's. Other kinds carry none.
struct SubmitEvidence {
  Bytes evidence;
  std::optional<SubmitProof> proof;
  friend bool operator==(const SubmitEvidence&, const SubmitEvidence&) = default;
};

using Payload = std::variant<SubmitProof, Transfer, StakeTokens, UnstakeTokens, SubmitEvidence>;

enum class PayloadKind : std::uint8_t {
  kSubmitProof = 0,
  kTransfer = 1,
  kStake = 2,
  kUnstake = 3,
  kEvidence = 4,
};

PayloadKind payload_kind(const Payload& payload) noexcept;
const char* payload_kind_name(PayloadKind kind) noexcept;

// A sender known by its Ed25519 key, which pays the fee and owns the nonce.
struct SovereignSender {
  crypto::PublicKey key;
  crypto::Signature signature;
  friend bool operator==(const SovereignSender&, const SovereignSender&) = default;
};

enum class AuthorizationKind : std::uint8_t {
  kSovereign = 0,
  kGhost = 1,  // reserved: a linkable ring signature over registered identities
};

struct Transaction {
  Payload payload;
  TokenAmount fee;
  Nonce nonce;  // exactly the sender account's next nonce
  SovereignSender sender;
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

struct TransactionIdTag;
using TransactionId = FixedBytes<TransactionIdTag, 32>;

// kProofSubmission for SubmitProof, kTransaction for every other kind.
crypto::SigningDomain transaction_signing_domain(const Payload& payload) noexcept;

// The bytes the sender signs (see the file comment).
Bytes signing_bytes(const Hash256& chain_id, const Transaction& transaction);
TransactionId transaction_id(const Hash256& chain_id, const Transaction& transaction);

// Fills in sender.key and sender.signature.
void sign_transaction(const Hash256& chain_id, const crypto::KeyPair& sender,
                      Transaction& transaction);
// kBadSignature when the signature does not verify for this chain.
Result<void> verify_transaction_signature(const Hash256& chain_id, const Transaction& transaction);

Bytes encode_transaction(const Transaction& transaction);
// Refuses, naming the field and offset: bytes over kMaxTransactionBytes,
// truncation, trailing bytes, unknown kinds, ghost authorization and fields
// over their limits. The program text is not parsed here; the judge does
// that when the proof is verified.
Result<Transaction> decode_transaction(ByteView bytes);

// The proof a SubmitProof registers: SHA-256 over a tag, the budget and the
// program, so one program with one budget has one id whoever submits it.
Hash256 proof_id(const SubmitProof& submission);

}  // namespace aethel::ledger
