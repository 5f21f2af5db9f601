// How the chconn CLI picks a connection strategy: always through a ConnectionFactory filled by
// chconn::initialize(factory, config), so the CLI exercises the same run-time switch as
// applications do (DESIGN.md: factory layer).
//
// The strategy comes from, in order: the command's --strategy flag, then the DSN's `strategy=`
// parameter or CHCONN_STRATEGY (both land in Config::strategy), then the environment's default
// (CHCONN_ENV: testing → mock, production → pooled, otherwise direct).
//
// "mock" is registered by initialize() only in the testing environment; the CLI also registers an
// empty MockStrategy whenever --strategy mock (or strategy=mock) is asked for, so the tool can be
// tried out, and its own overhead measured, without a server: every query returns an empty result
// and nothing is sent anywhere.
//
// "embedded" (registered by initialize() for an embedded:// DSN or strategy=embedded) runs the
// queries in the ClickHouse engine inside the process (chDB): `chconn --dsn embedded:// -q ...`
// needs no server.
//
// "rollout" (registered by initialize() for strategy=rollout) splits leases between the arms of
// Config::rollout (the DSN's rollout_a / rollout_b / rollout_share; bench's --rollout-* flags).
//
// "shadow" (registered by initialize() for strategy=shadow) serves from Config::shadow's primary
// and mirrors a sample of the reads to its candidate (the DSN's shadow_primary / shadow_candidate /
// shadow_sample).
#pragma once

#include <string>
#include <string_view>

#include "chconn/core/config.h"
#include "chconn/factory/factory.h"

namespace chconn::cli {

// The names --strategy accepts, for help texts.
inline constexpr std::string_view k_strategy_names = "direct, pooled, failover, mock, embedded, rollout or shadow";

// Applies `flag` (empty: not given) to config.strategy, fills `factory` and returns the name of
// the strategy that is now its default. Errors are chconn::Error: usage for an unknown --strategy
// value, config for an unknown strategy from the DSN or environment (listing the known names).
std::string select_strategy(ConnectionFactory& factory, Config& config, std::string_view flag);

}  // namespace chconn::cli
