// Fixture: a clean strategy header.
#pragma once

#include "chconn/connection/connection.h"
