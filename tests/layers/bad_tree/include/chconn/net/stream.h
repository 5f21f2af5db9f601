// Fixture: a clean net header.
#pragma once

#include "chconn/core/error.h"
