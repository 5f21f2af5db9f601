// What PooledStrategy and AsyncPool share: the checks of their options and the words of a wait
// that found no connection. Internal to the strategy layer.
#pragma once

#include <cstddef>
#include <string>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/strategy/pooled.h"

namespace chconn::detail {

// Throws Error(config) for options out of their limits (validate(PoolOptions), a non-positive
// acquire timeout), each message starting "pool '<name>': ".
void check_pooled_options(const PooledOptions& options);

// Error(pool_exhausted) for a caller that waited `waited` for a connection of pool `name` (reaching
// `target`) and got none; the counts describe the pool at that moment.
Error pool_exhausted_error(const std::string& name, const std::string& target, Clock::duration waited,
                           std::size_t in_use, std::size_t max_size, std::size_t connecting, std::size_t waiting);

}  // namespace chconn::detail
