// Fixture: a private wire header.
#pragma once

#include "chconn/wire/io.h"
