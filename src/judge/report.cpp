#include "judge/report.h"

#include "fmt/format.h"

namespace aethel::judge {
namespace {

// The length of the well-formed UTF-8 sequence at `at`, or 0.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[at + i]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// JSON text must be UTF-8, and file names are arbitrary bytes: a byte that
// is not part of well-formed UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t length = utf8_length(text, i);
      if (length == 0) {
        out += "\\ufffd";
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_value(std::string& out, const ModelValue& value) {
  if (const auto* number = std::get_if<std::string>(&value)) {
    out += *number;  // decimal digits from the prover, exact
  } else if (const auto* flag = std::get_if<bool>(&value)) {
    out += *flag ? "true" : "false";
  } else {
    append_json_string(out, "<secret>");
  }
}

void append_result(std::string& out, const UnitResult& result) {
  out += "{\"name\":";
  append_json_string(out, result.name);
  out += result.kind == UnitKind::kBatch ? ",\"kind\":\"batch\"" : ",\"kind\":\"intent\"";
  out += fmt::format(",\"verdict\":\"{}\"", verdict_name(result.verdict));
  out += ",\"reason\":";
  out += result.reason ? fmt::format("\"{}\"", reason_name(*result.reason)) : "null";
  out += ",\"failed\":";
  if (result.failed) {
    out += fmt::format("{{\"line\":{},\"text\":", result.failed->line);
    append_json_string(out, result.failed->text);
    out += "}";
  } else {
    out += "null";
  }
  out += ",\"counterexample\":";
  if (result.counterexample) {
    out += "{";
    bool first = true;
    for (const auto& entry : *result.counterexample) {
      if (!first) out += ",";
      first = false;
      append_json_string(out, entry.key);
      out += ":";
      append_value(out, entry.value);
    }
    out += "}";
  } else {
    out += "null";
  }
  out += fmt::format(",\"work\":{},\"difficulty\":{}}}", result.work, result.difficulty);
}

std::string value_text(const ModelValue& value) {
  if (const auto* number = std::get_if<std::string>(&value)) return *number;
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  return "<secret>";
}

}  // namespace

std::string report_json(const std::vector<FileReport>& reports) {
  std::string out = "{\"files\":[";
  for (std::size_t f = 0; f < reports.size(); ++f) {
    const FileReport& report = reports[f];
    if (f > 0) out += ",";
    out += "{\"file\":";
    append_json_string(out, report.file);
    out += ",\"error\":";
    if (report.error) {
      out += fmt::format("{{\"line\":{},\"column\":{},\"message\":", report.error->position.line,
                         report.error->position.column);
      append_json_string(out, report.error->message);
      out += "}";
    } else {
      out += "null";
    }
    out += ",\"results\":[";
    for (std::size_t r = 0; r < report.results.size(); ++r) {
      if (r > 0) out += ",";
      append_result(out, report.results[r]);
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

std::string report_text(const std::vector<FileReport>& reports) {
  std::string out;
  std::size_t proved = 0, refuted = 0, unknown = 0, invalid = 0;
  for (const auto& report : reports) {
    if (report.error) {
      ++invalid;
      out += fmt::format("{}:{}:{}: INVALID: {}\n", report.file, report.error->position.line,
                         report.error->position.column, report.error->message);
      continue;
    }
    out += fmt::format("{}\n", report.file);
    for (const auto& result : report.results) {
      const char* kind = result.kind == UnitKind::kBatch ? "batch " : "";
      out += fmt::format("  {:<8} {}{}", verdict_name(result.verdict), kind, result.name);
      if (result.reason) out += fmt::format("  {}", reason_name(*result.reason));
      out += fmt::format("  (work {}, difficulty {})\n", result.work, result.difficulty);
      if (result.failed) {
        out += fmt::format("           line {}: {}\n", result.failed->line, result.failed->text);
      }
      if (!result.note.empty()) out += fmt::format("           {}\n", result.note);
      if (result.counterexample) {
        out += "           counterexample:";
        for (const auto& entry : *result.counterexample) {
          out += fmt::format(" {}={}", entry.key, value_text(entry.value));
        }
        out += "\n";
      }
      switch (result.verdict) {
        case Verdict::kProved: ++proved; break;
        case Verdict::kRefuted: ++refuted; break;
        case Verdict::kUnknown: ++unknown; break;
      }
    }
  }
  out += fmt::format("{} results: {} PROVED, {} REFUTED, {} UNKNOWN; {} of {} files INVALID\n",
                     proved + refuted + unknown, proved, refuted, unknown, invalid, reports.size());
  return out;
}

std::string report_warnings(const std::vector<FileReport>& reports) {
  std::string out;
  for (const auto& report : reports) {
    for (const auto& warning : report.warnings) {
      out += fmt::format("{}:{}:{}: warning: {}\n", report.file, warning.position.line,
                         warning.position.column, warning.message);
    }
  }
  return out;
}

int check_exit_status(const std::vector<FileReport>& reports) {
  bool all_proved = true;
  for (const auto& report : reports) {
    if (report.error) return 2;
    for (const auto& result : report.results) {
      if (result.verdict != Verdict::kProved) all_proved = false;
    }
  }
  return all_proved ? 0 : 1;
}

}  // namespace aethel::judge
