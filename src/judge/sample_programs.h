// Transfer-style intent programs: the everyday proof of the network (two
// balances and an amount, an overflow guard, the two effects), generated
// with small variations so that many distinct programs can be made. The
// benchmarks, the simulator's load and the tests draw on this one source.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace aethel::judge {

struct TransferProgram {
  std::string name;                 // the intent's name
  std::uint64_t amount_floor = 0;   // guard: amount > amount_floor
  std::string extra_guards;         // guard lines after that one, each ending in ";\n"
  // guard: sender >= amount + reserve; absent, sender >= amount.
  std::optional<std::uint64_t> sender_reserve;
};

// The program's source. PROVED for any values: every guard leaves room for
// the transfer, and the receiver's guard rules out overflow.
std::string transfer_program_source(const TransferProgram& shape);

}  // namespace aethel::judge
