// Fixture: a clean core header.
#pragma once

#include <stdexcept>
#include <string>
