// Fixture: strategy reaches up into factory. The "/*" in the string below opens no comment.
#include "chconn/strategy/strategy.h"

#define CHCONN_POOL_GLOB "pools/*.conf"
#include <mutex>
#include "chconn/factory/factory.h"
