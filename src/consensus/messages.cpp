#include "consensus/messages.h"

#include <algorithm>
#include <map>
#include <string>

#include "core/assert.h"
#include "core/try.h"
#include "crypto/sha256.h"

namespace aethel::consensus {
namespace {

constexpr std::size_t kSignatureSize = crypto::Signature::kSize;
// signer u32 + signature
constexpr std::size_t kCertificateEntrySize = 4 + kSignatureSize;
// phase, view, height, digest, signature count
constexpr std::size_t kCertificateHeaderSize = 1 + 8 + 8 + Hash256::kSize + 4;
// height, view, digest
constexpr std::size_t kPreparedEntrySize = 8 + 8 + Hash256::kSize;
// new view, stable height, stable digest, entry count, sender
constexpr std::size_t kSummaryFixedSize = 8 + 8 + Hash256::kSize + 4 + 8;
// smallest block: fixed fields and an empty claim list
constexpr std::size_t kMinBlockSize = 8 + 8 + Hash256::kSize + 8 + 8 + 4 + Hash256::kSize;

std::string at_offset(const Decoder& decoder) {
  return " at offset " + std::to_string(decoder.offset());
}

Result<VotePhase> decode_phase(Decoder& decoder, std::string_view field) {
  std::uint8_t byte = 0;
  AETHEL_TRY_ASSIGN(byte, decoder.read_u8(field));
  if (byte > static_cast<std::uint8_t>(VotePhase::kCheckpoint)) {
    return fail(ErrorCode::kBadTag, std::string(field) + ": unknown vote phase " +
                                        std::to_string(byte) + " at offset " +
                                        std::to_string(decoder.offset() - 1));
  }
  return static_cast<VotePhase>(byte);
}

Result<CertificateSignature> decode_certificate_signature(Decoder& decoder) {
  CertificateSignature entry;
  std::uint32_t signer = 0;
  AETHEL_TRY_ASSIGN(signer, decoder.read_u32("certificate.signer"));
  entry.signer = ValidatorIndex(signer);
  AETHEL_TRY_ASSIGN(entry.signature,
                    decoder.read_fixed<crypto::Signature>("certificate.signature"));
  return entry;
}

}  // namespace

void encode_vote(Encoder& encoder, const Vote& vote) {
  encoder.put_u8(static_cast<std::uint8_t>(vote.phase))
      .put_strong(vote.view)
      .put_strong(vote.height)
      .put_fixed(vote.digest)
      .put_strong(vote.voter)
      .put_fixed(vote.signature);
}

Result<Vote> decode_vote(Decoder& decoder) {
  Vote vote;
  AETHEL_TRY_ASSIGN(vote.phase, decode_phase(decoder, "vote.phase"));
  AETHEL_TRY_ASSIGN(vote.view, decoder.read_strong<View>("vote.view"));
  AETHEL_TRY_ASSIGN(vote.height, decoder.read_strong<Height>("vote.height"));
  AETHEL_TRY_ASSIGN(vote.digest, decoder.read_fixed<Hash256>("vote.digest"));
  AETHEL_TRY_ASSIGN(vote.voter, decoder.read_strong<ValidatorIndex>("vote.voter"));
  AETHEL_TRY_ASSIGN(vote.signature, decoder.read_fixed<crypto::Signature>("vote.signature"));
  return vote;
}

namespace {

Result<BlockPtr> decode_block_ptr(Decoder& decoder, std::size_t max_claims) {
  Block block;
  AETHEL_TRY_ASSIGN(block, decode_block(decoder, max_claims));
  return std::make_shared<const Block>(std::move(block));
}

Result<CertificatePtr> decode_certificate_ptr(Decoder& decoder, std::size_t max_signatures) {
  Certificate certificate;
  AETHEL_TRY_ASSIGN(certificate, decode_certificate(decoder, max_signatures));
  return std::make_shared<const Certificate>(std::move(certificate));
}

void encode_summary(Encoder& encoder, const ViewChangeSummary& summary) {
  encoder.put_strong(summary.new_view)
      .put_strong(summary.stable_height)
      .put_fixed(summary.stable_state_digest);
  encoder.put_vector(summary.prepared, [](Encoder& out, const PreparedEntry& entry) {
    out.put_strong(entry.height).put_strong(entry.view).put_fixed(entry.digest);
  });
  encoder.put_strong(summary.sender);
}

Result<PreparedEntry> decode_prepared_entry(Decoder& decoder) {
  PreparedEntry entry;
  AETHEL_TRY_ASSIGN(entry.height, decoder.read_strong<Height>("prepared.height"));
  AETHEL_TRY_ASSIGN(entry.view, decoder.read_strong<View>("prepared.view"));
  AETHEL_TRY_ASSIGN(entry.digest, decoder.read_fixed<Hash256>("prepared.digest"));
  return entry;
}

Result<ViewChangeSummary> decode_summary(Decoder& decoder, const DecodeLimits& limits) {
  ViewChangeSummary summary;
  AETHEL_TRY_ASSIGN(summary.new_view, decoder.read_strong<View>("summary.new_view"));
  AETHEL_TRY_ASSIGN(summary.stable_height, decoder.read_strong<Height>("summary.stable_height"));
  AETHEL_TRY_ASSIGN(summary.stable_state_digest,
                    decoder.read_fixed<Hash256>("summary.stable_state_digest"));
  AETHEL_TRY_ASSIGN(summary.prepared,
                    decoder.read_vector("summary.prepared", limits.max_prepared_entries,
                                        kPreparedEntrySize, decode_prepared_entry));
  AETHEL_TRY_ASSIGN(summary.sender, decoder.read_strong<ValidatorIndex>("summary.sender"));
  for (std::size_t i = 0; i < summary.prepared.size(); ++i) {
    const PreparedEntry& entry = summary.prepared[i];
    const bool increasing = i == 0 ? entry.height > summary.stable_height
                                   : entry.height > summary.prepared[i - 1].height;
    if (!increasing) {
      return fail(ErrorCode::kNonCanonical, "summary.prepared[" + std::to_string(i) +
                                                "]: heights must increase above the stable height" +
                                                at_offset(decoder));
    }
  }
  return summary;
}

void encode_signed_summary(Encoder& encoder, const SignedViewChangeSummary& signed_summary) {
  encode_summary(encoder, signed_summary.summary);
  encoder.put_fixed(signed_summary.signature);
}

Result<SignedViewChangeSummary> decode_signed_summary(Decoder& decoder,
                                                      const DecodeLimits& limits) {
  SignedViewChangeSummary signed_summary;
  AETHEL_TRY_ASSIGN(signed_summary.summary, decode_summary(decoder, limits));
  AETHEL_TRY_ASSIGN(signed_summary.signature,
                    decoder.read_fixed<crypto::Signature>("summary.signature"));
  return signed_summary;
}

void encode_optional_certificate(Encoder& encoder, const CertificatePtr& certificate) {
  encoder.put_bool(certificate != nullptr);
  if (certificate) encode_certificate(encoder, *certificate);
}

Result<CertificatePtr> decode_optional_certificate(Decoder& decoder, std::string_view field,
                                                   std::size_t max_signatures) {
  bool present = false;
  AETHEL_TRY_ASSIGN(present, decoder.read_bool(field));
  if (!present) return CertificatePtr();
  return decode_certificate_ptr(decoder, max_signatures);
}

}  // namespace

void encode_prepared_proof(Encoder& encoder, const PreparedProof& proof) {
  AETHEL_ASSERT(proof.block != nullptr && proof.prepare_certificate != nullptr);
  encode_block(encoder, *proof.block);
  encode_certificate(encoder, *proof.prepare_certificate);
}

Result<PreparedProof> decode_prepared_proof(Decoder& decoder, const DecodeLimits& limits) {
  PreparedProof proof;
  AETHEL_TRY_ASSIGN(proof.block, decode_block_ptr(decoder, limits.max_claims));
  AETHEL_TRY_ASSIGN(proof.prepare_certificate,
                    decode_certificate_ptr(decoder, limits.max_signatures));
  if (proof.prepare_certificate->phase != VotePhase::kPrepare ||
      proof.prepare_certificate->height != proof.block->height) {
    return fail(ErrorCode::kInvalidArgument,
                "prepared proof: the certificate is not a prepare certificate for the "
                "block's height" +
                    at_offset(decoder));
  }
  return proof;
}

namespace {

// Proofs must match their entries one to one, in order.
Result<void> check_proofs_match(const std::vector<PreparedEntry>& entries,
                                const std::vector<PreparedProof>& proofs, const Decoder& decoder) {
  if (entries.size() != proofs.size()) {
    return fail(ErrorCode::kInvalidArgument,
                "view change: " + std::to_string(entries.size()) + " prepared entries but " +
                    std::to_string(proofs.size()) + " proofs" + at_offset(decoder));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Certificate& certificate = *proofs[i].prepare_certificate;
    if (certificate.height != entries[i].height || certificate.view != entries[i].view ||
        certificate.digest != entries[i].digest) {
      return fail(ErrorCode::kInvalidArgument, "view change: proof " + std::to_string(i) +
                                                   " does not prove its entry" +
                                                   at_offset(decoder));
    }
  }
  return {};
}

}  // namespace

void encode_pre_prepare(Encoder& encoder, const PrePrepare& message) {
  AETHEL_ASSERT(message.block != nullptr);
  encoder.put_strong(message.view).put_strong(message.leader).put_fixed(message.signature);
  encode_block(encoder, *message.block);
}

Result<PrePrepare> decode_pre_prepare(Decoder& decoder, const DecodeLimits& limits) {
  PrePrepare message;
  AETHEL_TRY_ASSIGN(message.view, decoder.read_strong<View>("pre_prepare.view"));
  AETHEL_TRY_ASSIGN(message.leader, decoder.read_strong<ValidatorIndex>("pre_prepare.leader"));
  AETHEL_TRY_ASSIGN(message.signature,
                    decoder.read_fixed<crypto::Signature>("pre_prepare.signature"));
  AETHEL_TRY_ASSIGN(message.block, decode_block_ptr(decoder, limits.max_claims));
  return message;
}

namespace {

Result<CertificateMessage> decode_certificate_message(Decoder& decoder,
                                                      const DecodeLimits& limits) {
  CertificateMessage message;
  AETHEL_TRY_ASSIGN(message.sender,
                    decoder.read_strong<ValidatorIndex>("certificate_message.sender"));
  AETHEL_TRY_ASSIGN(message.certificate, decode_certificate_ptr(decoder, limits.max_signatures));
  return message;
}

Result<ViewChange> decode_view_change(Decoder& decoder, const DecodeLimits& limits) {
  ViewChange message;
  AETHEL_TRY_ASSIGN(message.signed_summary, decode_signed_summary(decoder, limits));
  AETHEL_TRY_ASSIGN(
      message.stable_checkpoint,
      decode_optional_certificate(decoder, "view_change.stable_checkpoint", limits.max_signatures));
  AETHEL_TRY_ASSIGN(
      message.proofs,
      decoder.read_vector("view_change.proofs", limits.max_prepared_entries, kMinBlockSize,
                          [&](Decoder& d) { return decode_prepared_proof(d, limits); }));
  AETHEL_TRY(check_proofs_match(message.signed_summary.summary.prepared, message.proofs, decoder));
  return message;
}

// Signed summaries, senders strictly increasing.
Result<std::vector<SignedViewChangeSummary>> decode_summaries(Decoder& decoder,
                                                              std::string_view field,
                                                              const DecodeLimits& limits) {
  std::vector<SignedViewChangeSummary> summaries;
  AETHEL_TRY_ASSIGN(
      summaries,
      decoder.read_vector(field, limits.max_view_changes, kSummaryFixedSize + kSignatureSize,
                          [&](Decoder& d) { return decode_signed_summary(d, limits); }));
  for (std::size_t i = 1; i < summaries.size(); ++i) {
    if (summaries[i].summary.sender <= summaries[i - 1].summary.sender) {
      return fail(ErrorCode::kNonCanonical, std::string(field) + "[" + std::to_string(i) +
                                                "]: senders must be strictly increasing" +
                                                at_offset(decoder));
    }
  }
  return summaries;
}

Result<ViewChangeCertificate> decode_view_change_certificate(Decoder& decoder,
                                                             const DecodeLimits& limits) {
  ViewChangeCertificate message;
  AETHEL_TRY_ASSIGN(message.view, decoder.read_strong<View>("view_change_certificate.view"));
  AETHEL_TRY_ASSIGN(message.sender,
                    decoder.read_strong<ValidatorIndex>("view_change_certificate.sender"));
  AETHEL_TRY_ASSIGN(message.view_changes,
                    decode_summaries(decoder, "view_change_certificate.view_changes", limits));
  return message;
}

Result<NewView> decode_new_view(Decoder& decoder, const DecodeLimits& limits) {
  NewView message;
  AETHEL_TRY_ASSIGN(message.view, decoder.read_strong<View>("new_view.view"));
  AETHEL_TRY_ASSIGN(message.leader, decoder.read_strong<ValidatorIndex>("new_view.leader"));
  AETHEL_TRY_ASSIGN(message.view_changes,
                    decode_summaries(decoder, "new_view.view_changes", limits));
  AETHEL_TRY_ASSIGN(
      message.stable_checkpoint,
      decode_optional_certificate(decoder, "new_view.stable_checkpoint", limits.max_signatures));
  AETHEL_TRY_ASSIGN(
      message.reproposals,
      decoder.read_vector("new_view.reproposals", limits.max_prepared_entries, kMinBlockSize,
                          [&](Decoder& d) { return decode_prepared_proof(d, limits); }));
  AETHEL_TRY_ASSIGN(message.signature, decoder.read_fixed<crypto::Signature>("new_view.signature"));
  return message;
}

constexpr std::array<std::uint8_t, 1> kSupportedVersions = {kMessageFormatVersion};
constexpr std::array<std::uint8_t, 6> kMessageTags = {
    static_cast<std::uint8_t>(MessageType::kPrePrepare),
    static_cast<std::uint8_t>(MessageType::kVote),
    static_cast<std::uint8_t>(MessageType::kCertificate),
    static_cast<std::uint8_t>(MessageType::kViewChange),
    static_cast<std::uint8_t>(MessageType::kNewView),
    static_cast<std::uint8_t>(MessageType::kViewChangeCertificate),
};

std::size_t encoded_block_size(const Block& block) noexcept {
  return kMinBlockSize + block.claims.size() * (Hash256::kSize + 1 + 8);
}

std::size_t encoded_summary_size(const ViewChangeSummary& summary) noexcept {
  return kSummaryFixedSize + summary.prepared.size() * kPreparedEntrySize;
}

std::size_t encoded_proofs_size(const std::vector<PreparedProof>& proofs) noexcept {
  std::size_t size = 4;
  for (const PreparedProof& proof : proofs) {
    size += encoded_block_size(*proof.block) + encoded_certificate_size(*proof.prepare_certificate);
  }
  return size;
}

std::size_t encoded_optional_certificate_size(const CertificatePtr& certificate) noexcept {
  return 1 + (certificate ? encoded_certificate_size(*certificate) : 0);
}

Hash256 summaries_digest(const std::vector<SignedViewChangeSummary>& summaries) {
  Encoder encoder;
  encoder.put_vector(summaries, encode_signed_summary);
  return crypto::sha256(encoder.bytes());
}

}  // namespace

const char* vote_phase_name(VotePhase phase) noexcept {
  switch (phase) {
    case VotePhase::kPrepare: return "prepare";
    case VotePhase::kCommit: return "commit";
    case VotePhase::kCheckpoint: return "checkpoint";
  }
  return "?";
}

crypto::SigningDomain signing_domain_of(VotePhase phase) noexcept {
  switch (phase) {
    case VotePhase::kPrepare: return crypto::SigningDomain::kConsensusPrepare;
    case VotePhase::kCommit: return crypto::SigningDomain::kConsensusCommit;
    case VotePhase::kCheckpoint: return crypto::SigningDomain::kConsensusCheckpoint;
  }
  AETHEL_UNREACHABLE("vote phase without a signing domain");
}

Vote vote_in_certificate(const Certificate& certificate, const CertificateSignature& entry) {
  return Vote{certificate.phase,  certificate.view, certificate.height,
              certificate.digest, entry.signer,     entry.signature};
}

Result<void> check_certificate_structure(const ValidatorSet& validators,
                                         const Certificate& certificate) {
  Stake signed_stake;
  for (std::size_t i = 0; i < certificate.signatures.size(); ++i) {
    const ValidatorIndex signer = certificate.signatures[i].signer;
    if (!validators.contains(signer)) {
      return fail(ErrorCode::kInvalidArgument,
                  "certificate: signer " + std::to_string(signer.value()) + " is not a validator");
    }
    if (i > 0 && signer <= certificate.signatures[i - 1].signer) {
      return fail(ErrorCode::kInvalidArgument,
                  "certificate: signers not strictly increasing at entry " + std::to_string(i));
    }
    signed_stake += validators.at(signer).stake;
  }
  if (!validators.is_quorum(signed_stake)) {
    return fail(ErrorCode::kInvalidArgument,
                "certificate: signed stake " + std::to_string(signed_stake.value()) +
                    " is below the quorum " + std::to_string(validators.quorum_stake().value()));
  }
  return {};
}

MessageType message_type(const Message& message) noexcept {
  switch (message.index()) {
    case 0: return MessageType::kPrePrepare;
    case 1: return MessageType::kVote;
    case 2: return MessageType::kCertificate;
    case 3: return MessageType::kViewChange;
    case 4: return MessageType::kNewView;
    default: return MessageType::kViewChangeCertificate;
  }
}

const char* message_type_name(MessageType type) noexcept {
  switch (type) {
    case MessageType::kPrePrepare: return "PRE-PREPARE";
    case MessageType::kVote: return "VOTE";
    case MessageType::kCertificate: return "CERTIFICATE";
    case MessageType::kViewChange: return "VIEW-CHANGE";
    case MessageType::kNewView: return "NEW-VIEW";
    case MessageType::kViewChangeCertificate: return "VIEW-CHANGE-CERTIFICATE";
  }
  return "?";
}

ValidatorIndex message_sender(const Message& message) noexcept {
  struct Visitor {
    ValidatorIndex operator()(const PrePrepare& m) const { return m.leader; }
    ValidatorIndex operator()(const Vote& m) const { return m.voter; }
    ValidatorIndex operator()(const CertificateMessage& m) const { return m.sender; }
    ValidatorIndex operator()(const ViewChange& m) const { return m.signed_summary.summary.sender; }
    ValidatorIndex operator()(const NewView& m) const { return m.leader; }
    ValidatorIndex operator()(const ViewChangeCertificate& m) const { return m.sender; }
  };
  return std::visit(Visitor{}, message);
}

void encode_certificate(Encoder& encoder, const Certificate& certificate) {
  encoder.put_u8(static_cast<std::uint8_t>(certificate.phase))
      .put_strong(certificate.view)
      .put_strong(certificate.height)
      .put_fixed(certificate.digest);
  encoder.put_vector(certificate.signatures, [](Encoder& out, const CertificateSignature& entry) {
    AETHEL_ASSERT(entry.signer.value() <= 0xffff'ffffULL);
    out.put_u32(static_cast<std::uint32_t>(entry.signer.value())).put_fixed(entry.signature);
  });
}

Result<Certificate> decode_certificate(Decoder& decoder, std::size_t max_signatures) {
  Certificate certificate;
  AETHEL_TRY_ASSIGN(certificate.phase, decode_phase(decoder, "certificate.phase"));
  AETHEL_TRY_ASSIGN(certificate.view, decoder.read_strong<View>("certificate.view"));
  AETHEL_TRY_ASSIGN(certificate.height, decoder.read_strong<Height>("certificate.height"));
  AETHEL_TRY_ASSIGN(certificate.digest, decoder.read_fixed<Hash256>("certificate.digest"));
  AETHEL_TRY_ASSIGN(certificate.signatures,
                    decoder.read_vector("certificate.signatures", max_signatures,
                                        kCertificateEntrySize, decode_certificate_signature));
  for (std::size_t i = 1; i < certificate.signatures.size(); ++i) {
    if (certificate.signatures[i].signer <= certificate.signatures[i - 1].signer) {
      return fail(ErrorCode::kNonCanonical, "certificate.signatures[" + std::to_string(i) +
                                                "]: signers must be strictly increasing" +
                                                at_offset(decoder));
    }
  }
  return certificate;
}

std::size_t encoded_certificate_size(const Certificate& certificate) noexcept {
  return kCertificateHeaderSize + certificate.signatures.size() * kCertificateEntrySize;
}

std::size_t encoded_message_size(const Message& message) {
  constexpr std::size_t kEnvelope = 2;
  struct Visitor {
    std::size_t operator()(const PrePrepare& m) const {
      return 8 + 8 + kSignatureSize + encoded_block_size(*m.block);
    }
    std::size_t operator()(const Vote&) const {
      return 1 + 8 + 8 + Hash256::kSize + 8 + kSignatureSize;
    }
    std::size_t operator()(const CertificateMessage& m) const {
      return 8 + encoded_certificate_size(*m.certificate);
    }
    std::size_t operator()(const ViewChange& m) const {
      return encoded_summary_size(m.signed_summary.summary) + kSignatureSize +
             encoded_optional_certificate_size(m.stable_checkpoint) + encoded_proofs_size(m.proofs);
    }
    std::size_t operator()(const NewView& m) const {
      std::size_t size = 8 + 8 + 4;
      for (const SignedViewChangeSummary& s : m.view_changes) {
        size += encoded_summary_size(s.summary) + kSignatureSize;
      }
      return size + encoded_optional_certificate_size(m.stable_checkpoint) +
             encoded_proofs_size(m.reproposals) + kSignatureSize;
    }
    std::size_t operator()(const ViewChangeCertificate& m) const {
      std::size_t size = 8 + 8 + 4;
      for (const SignedViewChangeSummary& s : m.view_changes) {
        size += encoded_summary_size(s.summary) + kSignatureSize;
      }
      return size;
    }
  };
  return kEnvelope + std::visit(Visitor{}, message);
}

Bytes encode_message(const Message& message) {
  Encoder encoder;
  encoder.put_envelope({kMessageFormatVersion, static_cast<std::uint8_t>(message_type(message))});
  struct Visitor {
    Encoder& out;
    void operator()(const PrePrepare& m) const { encode_pre_prepare(out, m); }
    void operator()(const Vote& m) const { encode_vote(out, m); }
    void operator()(const CertificateMessage& m) const {
      AETHEL_ASSERT(m.certificate != nullptr);
      out.put_strong(m.sender);
      encode_certificate(out, *m.certificate);
    }
    void operator()(const ViewChange& m) const {
      encode_signed_summary(out, m.signed_summary);
      encode_optional_certificate(out, m.stable_checkpoint);
      out.put_vector(m.proofs, encode_prepared_proof);
    }
    void operator()(const NewView& m) const {
      out.put_strong(m.view).put_strong(m.leader);
      out.put_vector(m.view_changes, encode_signed_summary);
      encode_optional_certificate(out, m.stable_checkpoint);
      out.put_vector(m.reproposals, encode_prepared_proof);
      out.put_fixed(m.signature);
    }
    void operator()(const ViewChangeCertificate& m) const {
      out.put_strong(m.view).put_strong(m.sender);
      out.put_vector(m.view_changes, encode_signed_summary);
    }
  };
  std::visit(Visitor{encoder}, message);
  return std::move(encoder).take();
}

Result<Message> decode_message(ByteView bytes, const DecodeLimits& limits) {
  return decode_whole(bytes, [&](Decoder& decoder) -> Result<Message> {
    EnvelopeHeader header;
    AETHEL_TRY_ASSIGN(header, decoder.read_envelope(kSupportedVersions, kMessageTags));
    switch (static_cast<MessageType>(header.type_tag)) {
      case MessageType::kPrePrepare: {
        PrePrepare m;
        AETHEL_TRY_ASSIGN(m, decode_pre_prepare(decoder, limits));
        return Message(std::move(m));
      }
      case MessageType::kVote: {
        Vote m;
        AETHEL_TRY_ASSIGN(m, decode_vote(decoder));
        return Message(m);
      }
      case MessageType::kCertificate: {
        CertificateMessage m;
        AETHEL_TRY_ASSIGN(m, decode_certificate_message(decoder, limits));
        return Message(std::move(m));
      }
      case MessageType::kViewChange: {
        ViewChange m;
        AETHEL_TRY_ASSIGN(m, decode_view_change(decoder, limits));
        return Message(std::move(m));
      }
      case MessageType::kNewView: {
        NewView m;
        AETHEL_TRY_ASSIGN(m, decode_new_view(decoder, limits));
        return Message(std::move(m));
      }
      case MessageType::kViewChangeCertificate: {
        ViewChangeCertificate m;
        AETHEL_TRY_ASSIGN(m, decode_view_change_certificate(decoder, limits));
        return Message(std::move(m));
      }
    }
    return fail(ErrorCode::kBadTag, "message: unknown type");
  });
}

// --- Signing bytes ---------------------------------------------------------

Bytes vote_signing_bytes(const Hash256& chain_id, VotePhase phase, View view, Height height,
                         const Hash256& digest) {
  Encoder encoder;
  encoder.put_fixed(chain_id)
      .put_u8(static_cast<std::uint8_t>(phase))
      .put_strong(view)
      .put_strong(height)
      .put_fixed(digest);
  return std::move(encoder).take();
}

Bytes pre_prepare_signing_bytes(const Hash256& chain_id, View view, Height height,
                                const Hash256& block_digest) {
  Encoder encoder;
  encoder.put_fixed(chain_id).put_strong(view).put_strong(height).put_fixed(block_digest);
  return std::move(encoder).take();
}

Bytes view_change_signing_bytes(const Hash256& chain_id, const ViewChangeSummary& summary) {
  Encoder encoder;
  encoder.put_fixed(chain_id);
  encode_summary(encoder, summary);
  return std::move(encoder).take();
}

Bytes new_view_signing_bytes(const Hash256& chain_id, const NewView& new_view) {
  Encoder encoder;
  encoder.put_fixed(chain_id).put_strong(new_view.view).put_strong(new_view.leader);
  encoder.put_fixed(summaries_digest(new_view.view_changes));
  if (new_view.stable_checkpoint) {
    encoder.put_strong(new_view.stable_checkpoint->height)
        .put_fixed(new_view.stable_checkpoint->digest);
  } else {
    encoder.put_strong(Height(0)).put_fixed(Hash256());
  }
  encoder.put_vector(new_view.reproposals, [](Encoder& out, const PreparedProof& proof) {
    AETHEL_ASSERT(proof.prepare_certificate != nullptr);
    const Certificate& certificate = *proof.prepare_certificate;
    out.put_strong(certificate.height).put_strong(certificate.view).put_fixed(certificate.digest);
  });
  return std::move(encoder).take();
}

// --- Signing -----------------------------------------------------------------

Vote sign_vote(const Hash256& chain_id, const crypto::SecretKey& key, VotePhase phase, View view,
               Height height, const Hash256& digest, ValidatorIndex voter) {
  const Bytes message = vote_signing_bytes(chain_id, phase, view, height, digest);
  return Vote{phase,  view,  height,
              digest, voter, crypto::sign(key, signing_domain_of(phase), message)};
}

PrePrepare sign_pre_prepare(const Hash256& chain_id, const crypto::SecretKey& key, View view,
                            BlockPtr block, ValidatorIndex leader) {
  AETHEL_ASSERT(block != nullptr);
  const Bytes message =
      pre_prepare_signing_bytes(chain_id, view, block->height, block_digest(*block));
  const crypto::Signature signature =
      crypto::sign(key, crypto::SigningDomain::kConsensusPrePrepare, message);
  return PrePrepare{view, std::move(block), leader, signature};
}

SignedViewChangeSummary sign_view_change_summary(const Hash256& chain_id,
                                                 const crypto::SecretKey& key,
                                                 ViewChangeSummary summary) {
  const Bytes message = view_change_signing_bytes(chain_id, summary);
  const crypto::Signature signature =
      crypto::sign(key, crypto::SigningDomain::kConsensusViewChange, message);
  return SignedViewChangeSummary{std::move(summary), signature};
}

void sign_new_view(const Hash256& chain_id, const crypto::SecretKey& key, NewView& new_view) {
  new_view.signature = crypto::sign(key, crypto::SigningDomain::kConsensusNewView,
                                    new_view_signing_bytes(chain_id, new_view));
}

NewViewPlan plan_new_view(const std::vector<SignedViewChangeSummary>& view_changes) {
  NewViewPlan plan;
  for (const SignedViewChangeSummary& signed_summary : view_changes) {
    const ViewChangeSummary& summary = signed_summary.summary;
    const bool higher = summary.stable_height > plan.stable_height;
    const bool same_lower_digest = summary.stable_height == plan.stable_height &&
                                   summary.stable_height != Height(0) &&
                                   summary.stable_state_digest < plan.stable_state_digest;
    if (higher || same_lower_digest) {
      plan.stable_height = summary.stable_height;
      plan.stable_state_digest = summary.stable_state_digest;
    }
  }
  // Per height, the entry with the highest view (then the lowest digest).
  std::map<Height, PreparedEntry> best;
  for (const SignedViewChangeSummary& signed_summary : view_changes) {
    for (const PreparedEntry& entry : signed_summary.summary.prepared) {
      if (entry.height <= plan.stable_height) continue;
      const auto [position, inserted] = best.emplace(entry.height, entry);
      if (inserted) continue;
      PreparedEntry& current = position->second;
      if (entry.view > current.view ||
          (entry.view == current.view && entry.digest < current.digest)) {
        current = entry;
      }
    }
  }
  Height next = plan.stable_height.next();
  for (const auto& [height, entry] : best) {
    if (height != next) break;
    plan.reproposals.push_back(entry);
    next = next.next();
  }
  return plan;
}

}  // namespace aethel::consensus
