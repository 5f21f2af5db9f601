// Fixture: clean core source.
#include "chconn/core/error.h"

#include <string>
