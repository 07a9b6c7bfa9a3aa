#include "ledger/block_payload.h"

#include <string>

#include "core/try.h"
#include "crypto/sha256.h"

namespace aethel::ledger {
namespace {

constexpr EnvelopeHeader kEnvelope{kBlockPayloadFormatVersion, kBlockPayloadTypeTag};
// A length prefix and the smallest transaction (an evidence transaction with
// no evidence bytes and no proof).
constexpr std::size_t kMinEncodedTransaction = 4 + 2 + 1 + 4 + 1 + 8 + 8 + 1 + 32 + 64;

Result<consensus::CertificatePtr> read_certificate(Decoder& decoder, std::size_t max_signatures) {
  consensus::Certificate certificate;
  AETHEL_TRY_ASSIGN(certificate, consensus::decode_certificate(decoder, max_signatures));
  return std::make_shared<const consensus::Certificate>(std::move(certificate));
}

Result<Transaction> read_transaction(Decoder& decoder) {
  const std::size_t offset = decoder.offset();
  Bytes bytes;
  AETHEL_TRY_ASSIGN(bytes, decoder.read_bytes("transaction", kMaxTransactionBytes));
  auto transaction = decode_transaction(bytes);
  if (!transaction) {
    return fail(transaction.error().code, "transaction at offset " + std::to_string(offset) + ": " +
                                              transaction.error().message);
  }
  return std::move(*transaction);
}

Result<BlockPayload> read_payload(Decoder& decoder, const BlockPayloadLimits& limits) {
  BlockPayload payload;
  AETHEL_TRY(decoder.expect_envelope(kEnvelope));
  const std::size_t presence_offset = decoder.offset();
  bool present = false;
  AETHEL_TRY_ASSIGN(present, decoder.read_bool("payload.parent_commit"));
  if (present) {
    auto certificate = read_certificate(decoder, limits.max_certificate_signatures);
    if (!certificate) {
      return fail(certificate.error().code, "payload.parent_commit (from offset " +
                                                std::to_string(presence_offset) +
                                                "): " + certificate.error().message);
    }
    payload.parent_commit = std::move(*certificate);
  }
  AETHEL_TRY_ASSIGN(payload.transactions,
                    decoder.read_vector("payload.transactions", limits.max_transactions,
                                        kMinEncodedTransaction, read_transaction));
  return payload;
}

}  // namespace

bool operator==(const BlockPayload& a, const BlockPayload& b) {
  const bool same_commit = (a.parent_commit == nullptr && b.parent_commit == nullptr) ||
                           (a.parent_commit != nullptr && b.parent_commit != nullptr &&
                            *a.parent_commit == *b.parent_commit);
  return same_commit && a.transactions == b.transactions;
}

BlockPayloadLimits payload_limits(const ChainParams& params) {
  BlockPayloadLimits limits;
  limits.max_transactions = params.max_block_transactions;
  limits.max_bytes = params.max_block_bytes;
  return limits;
}

Bytes encode_block_payload(const BlockPayload& payload) {
  Encoder encoder;
  encoder.put_envelope(kEnvelope);
  encoder.put_bool(payload.parent_commit != nullptr);
  if (payload.parent_commit != nullptr) {
    consensus::encode_certificate(encoder, *payload.parent_commit);
  }
  encoder.put_vector(payload.transactions, [](Encoder& out, const Transaction& transaction) {
    out.put_bytes(encode_transaction(transaction));
  });
  return std::move(encoder).take();
}

Result<BlockPayload> decode_block_payload(ByteView bytes, const BlockPayloadLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return fail(ErrorCode::kOversize, "block payload of " + std::to_string(bytes.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(limits.max_bytes));
  }
  return decode_whole(bytes, [&limits](Decoder& decoder) { return read_payload(decoder, limits); });
}

Hash256 payload_digest(const BlockPayload& payload) {
  return crypto::sha256(encode_block_payload(payload));
}

std::vector<const SubmitProof*> programs_of(const BlockPayload& payload) {
  std::vector<const SubmitProof*> programs;
  for (const Transaction& transaction : payload.transactions) {
    if (const auto* proof = std::get_if<SubmitProof>(&transaction.payload)) {
      programs.push_back(proof);
    } else if (const auto* evidence = std::get_if<SubmitEvidence>(&transaction.payload)) {
      if (evidence->proof) programs.push_back(&*evidence->proof);
    }
  }
  return programs;
}

consensus::ClaimedVerdict claimed_verdict_of(judge::Verdict verdict) noexcept {
  switch (verdict) {
    case judge::Verdict::kProved: return consensus::ClaimedVerdict::kProved;
    case judge::Verdict::kRefuted: return consensus::ClaimedVerdict::kRefuted;
    case judge::Verdict::kUnknown: return consensus::ClaimedVerdict::kUnknown;
  }
  return consensus::ClaimedVerdict::kUnknown;
}

Result<std::vector<consensus::Claim>> claims_of(const BlockPayload& payload,
                                                const VerifiedProofs& proofs) {
  std::vector<consensus::Claim> claims;
  for (std::size_t index = 0; index < payload.transactions.size(); ++index) {
    const auto* proof = std::get_if<SubmitProof>(&payload.transactions[index].payload);
    if (proof == nullptr) continue;
    const Hash256 id = proof_id(*proof);
    const auto found = proofs.find(id);
    if (found == proofs.end()) {
      return fail(ErrorCode::kNotFound, "transaction " + std::to_string(index) + ": proof " +
                                            id.hex() + " has no verified outcome");
    }
    claims.push_back(
        consensus::Claim{id, claimed_verdict_of(found->second.verdict), found->second.difficulty});
  }
  return claims;
}

}  // namespace aethel::ledger
