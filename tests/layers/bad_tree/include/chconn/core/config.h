// Fixture: core reaches up into wire (planted violation, indented directive).
#ifndef CHCONN_CORE_CONFIG_H
#define CHCONN_CORE_CONFIG_H

#  include "chconn/core/error.h"
#  include "chconn/wire/io.h"

#endif
