#pragma once
// A durable, append-only queue of opaque records on local disk: where the gateway keeps usage
// events that metering could not take yet, so that a metering outage or a restart loses nothing.
//
// Data file: records [u32 payload length][u32 CRC-32 of payload][payload], little-endian.
// "<path>.offset" holds the committed read offset (decimal), replaced atomically (tmp + rename):
// records before it have been delivered. Opening checks every record past that offset and cuts
// off a torn or corrupt tail (a crash during Append). Delivery is at-least-once: a crash between
// a delivery and its Commit replays those records again.
//
// Not thread-safe: one owner at a time. The file is flock()ed, so a second process (or a second
// SpoolFile in this one) opening the same path gets FAILED_PRECONDITION.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace llmgw::gateway {

class SpoolFile {
 public:
  // Largest payload a record may carry; a bigger length in the file means corruption.
  static constexpr uint32_t kMaxRecordBytes = 16u << 20;
  static constexpr size_t kHeaderBytes = 8;

  struct ReadResult {
    std::vector<std::string> records;
    uint64_t next_offset = 0;  // pass to Commit once the records are safely delivered
  };

  // Opens or creates `path` (and its directory).
  static absl::StatusOr<std::unique_ptr<SpoolFile>> Open(const std::string& path);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  // Appends the records in order and fsyncs. On failure the file keeps its previous size, so a
  // failed Append leaves nothing half-written behind.
  absl::Status Append(const std::vector<std::string>& records);
  // Append without the fsync: once it returns the records survive the process being killed (they
  // are in the kernel's page cache), and a machine crash only after the next Sync().
  absl::Status Write(const std::vector<std::string>& records);
  absl::Status Sync();

  // Up to `max_records` records starting at the committed offset, in append order, and at most
  // `max_bytes` of payload (the first record always comes, whatever its size).
  absl::StatusOr<ReadResult> ReadCommitted(size_t max_records, size_t max_bytes = SIZE_MAX) const;

  // Marks every record before `offset` (a ReadResult::next_offset) as delivered. When that is the
  // whole file, the file is truncated to zero bytes and the offset reset to 0.
  absl::Status Commit(uint64_t offset);

  bool HasPending() const { return committed_ < size_; }
  uint64_t committed_offset() const { return committed_; }
  uint64_t size_bytes() const { return size_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  SpoolFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::Status AppendRecords(const std::vector<std::string>& records, bool sync);
  absl::Status WriteOffsetFile(uint64_t offset);
  // Validates the records after the committed offset and truncates a bad tail.
  absl::Status Recover();

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t committed_ = 0;
};

// CRC-32 (IEEE 802.3, as zlib's crc32) of `data`.
uint32_t SpoolCrc32(absl::string_view data);

}  // namespace llmgw::gateway
