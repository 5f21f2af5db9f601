// Internal to the connection layer: the Resolver a Config asks for (its dns_servers, the default
// cache limits), made in one place for NativeConnection and the native connectors.
//
// Thread safety: the Resolver returned may be shared by any number of threads.
#pragma once

#include <memory>

#include "chconn/core/config.h"
#include "chconn/net/resolver.h"

namespace chconn::detail {

// Throws Error(config) if a dns_servers entry is not an IP address.
inline std::shared_ptr<const net::Resolver> resolver_for(const Config& config) {
  return std::make_shared<const net::Resolver>(net::ResolverOptions{.servers = config.dns_servers});
}

}  // namespace chconn::detail
