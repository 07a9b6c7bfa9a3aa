#include "judge/sample_programs.h"

#include "fmt/format.h"

namespace aethel::judge {

std::string transfer_program_source(const TransferProgram& shape) {
  const std::string sender_guard =
      shape.sender_reserve ? fmt::format("sender >= amount + {}", *shape.sender_reserve)
                           : std::string("sender >= amount");
  return fmt::format(
      "intent {0}(sender: Balance, receiver: Balance, amount: Amount) {{\n"
      "    guard {{\n"
      "        amount > {1};\n"
      "{2}"
      "        {3};\n"
      "        receiver <= 9223372036854775807 - amount;\n"
      "    }}\n"
      "    solve {{ priority: security; }}\n"
      "    verify {{\n"
      "        sender == old_sender - amount;\n"
      "        receiver == old_receiver + amount;\n"
      "    }}\n"
      "}}\n",
      shape.name, shape.amount_floor, shape.extra_guards, sender_guard);
}

}  // namespace aethel::judge
