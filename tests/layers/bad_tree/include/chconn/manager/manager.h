// Fixture: a clean manager header.
#pragma once

#include "chconn/factory/factory.h"
