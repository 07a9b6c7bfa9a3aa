#include "ledger/transaction.h"

#include <string>

#include "core/assert.h"
#include "core/try.h"
#include "crypto/sha256.h"
#include "crypto/signing_domain.h"

namespace aethel::ledger {
namespace {

constexpr EnvelopeHeader kEnvelope{kTransactionFormatVersion, kTransactionTypeTag};
constexpr std::string_view kProofIdTag = "aethel/proof-id/v1";

template <class>
[[maybe_unused]] inline constexpr bool kAlwaysFalse = false;

void encode_payload(Encoder& encoder, const Payload& payload) {
  encoder.put_u8(static_cast<std::uint8_t>(payload_kind(payload)));
  std::visit(
      [&](const auto& body) {
        using Body = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<Body, SubmitProof>) {
          encoder.put_strong(body.budget).put_string(body.program);
        } else if constexpr (std::is_same_v<Body, Transfer>) {
          encoder.put_fixed(body.to).put_strong(body.amount);
        } else if constexpr (std::is_same_v<Body, StakeTokens> ||
                             std::is_same_v<Body, UnstakeTokens>) {
          encoder.put_strong(body.amount);
        } else if constexpr (std::is_same_v<Body, SubmitEvidence>) {
          encoder.put_bytes(body.evidence);
          encoder.put_optional(body.proof, [](Encoder& out, const SubmitProof& proof) {
            out.put_strong(proof.budget).put_string(proof.program);
          });
        } else {
          static_assert(kAlwaysFalse<Body>, "every payload kind is encoded");
        }
      },
      payload);
}

// Everything but the signature, in wire order.
void encode_unsigned(Encoder& encoder, const Transaction& transaction) {
  encode_payload(encoder, transaction.payload);
  encoder.put_strong(transaction.fee).put_strong(transaction.nonce);
  encoder.put_u8(static_cast<std::uint8_t>(AuthorizationKind::kSovereign))
      .put_fixed(transaction.sender.key);
}

Result<SubmitProof> decode_evidence_proof(Decoder& decoder) {
  SubmitProof proof;
  AETHEL_TRY_ASSIGN(proof.budget, decoder.read_strong<WorkUnits>("evidence.proof.budget"));
  AETHEL_TRY_ASSIGN(proof.program, decoder.read_string("evidence.proof.program", kMaxProgramBytes));
  return proof;
}

Result<Payload> decode_payload(Decoder& decoder) {
  const std::size_t kind_offset = decoder.offset();
  std::uint8_t kind = 0;
  AETHEL_TRY_ASSIGN(kind, decoder.read_u8("payload.kind"));
  switch (static_cast<PayloadKind>(kind)) {
    case PayloadKind::kSubmitProof: {
      SubmitProof body;
      AETHEL_TRY_ASSIGN(body.budget, decoder.read_strong<WorkUnits>("submit_proof.budget"));
      AETHEL_TRY_ASSIGN(body.program,
                        decoder.read_string("submit_proof.program", kMaxProgramBytes));
      return body;
    }
    case PayloadKind::kTransfer: {
      Transfer body;
      AETHEL_TRY_ASSIGN(body.to, decoder.read_fixed<crypto::PublicKey>("transfer.to"));
      AETHEL_TRY_ASSIGN(body.amount, decoder.read_strong<TokenAmount>("transfer.amount"));
      return body;
    }
    case PayloadKind::kStake: {
      StakeTokens body;
      AETHEL_TRY_ASSIGN(body.amount, decoder.read_strong<TokenAmount>("stake.amount"));
      return body;
    }
    case PayloadKind::kUnstake: {
      UnstakeTokens body;
      AETHEL_TRY_ASSIGN(body.amount, decoder.read_strong<TokenAmount>("unstake.amount"));
      return body;
    }
    case PayloadKind::kEvidence: {
      SubmitEvidence body;
      AETHEL_TRY_ASSIGN(body.evidence, decoder.read_bytes("evidence.bytes", kMaxEvidenceBytes));
      AETHEL_TRY_ASSIGN(body.proof, decoder.read_optional("evidence.proof", decode_evidence_proof));
      return body;
    }
  }
  return fail(ErrorCode::kBadTag, "payload.kind: unknown transaction kind " + std::to_string(kind) +
                                      " at offset " + std::to_string(kind_offset));
}

Result<void> decode_authorization_kind(Decoder& decoder) {
  const std::size_t offset = decoder.offset();
  std::uint8_t kind = 0;
  AETHEL_TRY_ASSIGN(kind, decoder.read_u8("authorization.kind"));
  if (kind == static_cast<std::uint8_t>(AuthorizationKind::kSovereign)) return {};
  if (kind == static_cast<std::uint8_t>(AuthorizationKind::kGhost)) {
    return fail(ErrorCode::kBadTag,
                "authorization.kind: ghost submissions are not accepted by "
                "this version (at offset " +
                    std::to_string(offset) + ")");
  }
  return fail(ErrorCode::kBadTag, "authorization.kind: unknown kind " + std::to_string(kind) +
                                      " at offset " + std::to_string(offset));
}

Result<Transaction> decode_body(Decoder& decoder) {
  Transaction transaction;
  AETHEL_TRY(decoder.expect_envelope(kEnvelope));
  AETHEL_TRY_ASSIGN(transaction.payload, decode_payload(decoder));
  AETHEL_TRY_ASSIGN(transaction.fee, decoder.read_strong<TokenAmount>("fee"));
  AETHEL_TRY_ASSIGN(transaction.nonce, decoder.read_strong<Nonce>("nonce"));
  AETHEL_TRY(decode_authorization_kind(decoder));
  AETHEL_TRY_ASSIGN(transaction.sender.key, decoder.read_fixed<crypto::PublicKey>("sender.key"));
  AETHEL_TRY_ASSIGN(transaction.sender.signature,
                    decoder.read_fixed<crypto::Signature>("sender.signature"));
  return transaction;
}

}  // namespace

crypto::SigningDomain transaction_signing_domain(const Payload& payload) noexcept {
  return std::holds_alternative<SubmitProof>(payload) ? crypto::SigningDomain::kProofSubmission
                                                      : crypto::SigningDomain::kTransaction;
}

PayloadKind payload_kind(const Payload& payload) noexcept {
  return static_cast<PayloadKind>(payload.index());
}

const char* payload_kind_name(PayloadKind kind) noexcept {
  switch (kind) {
    case PayloadKind::kSubmitProof: return "submit-proof";
    case PayloadKind::kTransfer: return "transfer";
    case PayloadKind::kStake: return "stake";
    case PayloadKind::kUnstake: return "unstake";
    case PayloadKind::kEvidence: return "evidence";
  }
  AETHEL_UNREACHABLE("unknown payload kind");
}

Bytes signing_bytes(const Hash256& chain_id, const Transaction& transaction) {
  Encoder encoder;
  encoder.put_fixed(chain_id);
  encode_unsigned(encoder, transaction);
  return std::move(encoder).take();
}

TransactionId transaction_id(const Hash256& chain_id, const Transaction& transaction) {
  return TransactionId(crypto::sha256(signing_bytes(chain_id, transaction)).array());
}

void sign_transaction(const Hash256& chain_id, const crypto::KeyPair& sender,
                      Transaction& transaction) {
  transaction.sender.key = sender.public_key;
  transaction.sender.signature =
      crypto::sign(sender.secret_key, transaction_signing_domain(transaction.payload),
                   signing_bytes(chain_id, transaction));
}

Result<void> verify_transaction_signature(const Hash256& chain_id, const Transaction& transaction) {
  auto verified =
      crypto::verify(transaction.sender.key, transaction_signing_domain(transaction.payload),
                     signing_bytes(chain_id, transaction), transaction.sender.signature);
  if (!verified) {
    return fail(ErrorCode::kBadSignature,
                "transaction signature does not verify for sender " + transaction.sender.key.hex());
  }
  return {};
}

Bytes encode_transaction(const Transaction& transaction) {
  Encoder encoder;
  encoder.put_envelope(kEnvelope);
  encode_unsigned(encoder, transaction);
  encoder.put_fixed(transaction.sender.signature);
  return std::move(encoder).take();
}

Result<Transaction> decode_transaction(ByteView bytes) {
  if (bytes.size() > kMaxTransactionBytes) {
    return fail(ErrorCode::kOversize, "transaction of " + std::to_string(bytes.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxTransactionBytes));
  }
  return decode_whole(bytes, decode_body);
}

Hash256 proof_id(const SubmitProof& submission) {
  Encoder encoder;
  encoder.put_string(kProofIdTag).put_strong(submission.budget).put_string(submission.program);
  return crypto::sha256(std::move(encoder).take());
}

}  // namespace aethel::ledger
