#pragma once
// The operator's way back for usage events metering refused (the shipper's dead-letter file):
// once metering takes them again (a fixed validation, a finished upgrade), they are moved to the
// end of the spool, and the next gateway started on that directory delivers them like any
// spooled event. Events metering still refuses come back to the dead-letter file, alone.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace llmgw::gateway {

// <spool_dir>/usage.deadletter and <spool_dir>/usage.spool, the shipper's files.
std::string DeadLetterPath(const std::string& spool_dir);
std::string SpoolPath(const std::string& spool_dir);

// Appends every record of the dead-letter file to the spool, in order, and empties the
// dead-letter file. Returns how many moved (0 when there is no dead-letter file). While a gateway
// uses the directory both files are locked: FAILED_PRECONDITION, and nothing moves. A crash
// midway leaves records in both files; delivering one twice counts once (metering dedupes).
absl::StatusOr<size_t> RequeueDeadLetters(const std::string& spool_dir);

}  // namespace llmgw::gateway
