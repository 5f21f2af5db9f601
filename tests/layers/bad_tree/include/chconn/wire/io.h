// Fixture: a clean wire header.
#pragma once

#include <cstdint>

#include "chconn/core/error.h"
