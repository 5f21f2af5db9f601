// Fixture for tests/layers/expect-violations: clean includes only.
#include "chconn/chconn.h"
#include "chconn/client/client.h"
#include "manager/pool_watch.h"
#include "strategy/pool.h"
#include "connection/native.h"
#include "wire/codec.h"
#include "core/parse.h"
