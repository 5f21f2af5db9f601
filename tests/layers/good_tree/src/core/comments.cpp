// Fixture for tests/layers/expect-violations. core may include nothing from chconn but itself,
// so every bad include below must be seen as dead text, not as an include.
//
// #include "chconn/net/stream.h"
//#include "chconn/client/client.h"
#include "chconn/core/config.h"  // #include "chconn/wire/io.h"
#include "core/parse.h" /* #include "chconn/wire/io.h" */

// A system header, not the net layer: there is no src/net/if.h.
#include <net/if.h>

/*
#include "chconn/manager/manager.h"
 */
/* one-line block */ #include "chconn/core/error.h"

#if 0
#include "chconn/strategy/strategy.h"
#  ifdef NESTED
#include "chconn/factory/factory.h"
#  endif
#include "chconn/resilience/breaker.h"
#endif

namespace chconn {

// Comment markers inside literals must not open or close comments.
const char* const k_glob = "tests/*.bin";
const char* const k_escaped = "a \" b"; /* an escaped quote ends no string:
#include "chconn/net/stream.h"
*/
const char k_quote = '"'; /* this quote must not start a string that hides this comment:
#include "chconn/net/stream.h"
*/
const char k_apostrophe = '\''; /* nor this one:
#include "chconn/net/stream.h"
*/
const long k_million = 1'000'000;
const long k_thousand = 1'000; /* a lone digit separator opens no character literal:
#include "chconn/net/stream.h"
*/
const char* const k_template = R"cpp(
#include "chconn/connection/connection.h"
/* not a comment either
)cpp";

}  // namespace chconn
