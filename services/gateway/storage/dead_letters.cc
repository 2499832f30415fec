#include "services/gateway/storage/dead_letters.h"

#include <filesystem>
#include <memory>

#include "libs/common/status_macros.h"
#include "services/gateway/storage/spool_file.h"

namespace llmgw::gateway {

std::string DeadLetterPath(const std::string& spool_dir) { return spool_dir + "/usage.deadletter"; }
std::string SpoolPath(const std::string& spool_dir) { return spool_dir + "/usage.spool"; }

absl::StatusOr<size_t> RequeueDeadLetters(const std::string& spool_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(DeadLetterPath(spool_dir), ec)) return 0;
  // The spool first: a running gateway always holds it, so the dead-letter file is not touched.
  LLMGW_ASSIGN_OR_RETURN(std::unique_ptr<SpoolFile> spool, SpoolFile::Open(SpoolPath(spool_dir)));
  LLMGW_ASSIGN_OR_RETURN(std::unique_ptr<SpoolFile> dead,
                         SpoolFile::Open(DeadLetterPath(spool_dir)));
  size_t moved = 0;
  while (dead->HasPending()) {
    LLMGW_ASSIGN_OR_RETURN(SpoolFile::ReadResult read, dead->ReadCommitted(1000, 4u << 20));
    LLMGW_RETURN_IF_ERROR(spool->Append(read.records));
    LLMGW_RETURN_IF_ERROR(dead->Commit(read.next_offset));
    moved += read.records.size();
  }
  return moved;
}

}  // namespace llmgw::gateway
