// Fixture: a clean factory header.
#pragma once

#include "chconn/strategy/strategy.h"
