// Fixture for tests/layers/expect-violations: clean includes only.
#include "net/tcp.h"
#include <net/if.h>
#include <sys/socket.h>
#include "core/parse.h"
#include <openssl/ssl.h>
