// A run's results as one JSON object (`aethel sim --json`) or as readable
// text. Times in JSON are milliseconds of simulated time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/simulator.h"

namespace aethel::sim {

nlohmann::json result_to_json(const SimResult& result);
std::string result_summary(const SimResult& result);

}  // namespace aethel::sim
