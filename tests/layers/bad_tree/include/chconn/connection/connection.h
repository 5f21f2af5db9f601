// Fixture: connection may use wire, but a public header must not include a private src/ header.
#pragma once

#include "chconn/net/stream.h"
#include "chconn/wire/io.h"
#include "wire/codec.h"
