#pragma once
// A write-ahead journal of opaque records that are delivered, possibly out of order, and then
// forgotten: where the gateway keeps the settles and voids it owes billing (clients/settle_queue).
//
// Records go to segment files <dir>/<name>.<sequence>.journal (SpoolFile format: length, CRC-32,
// payload; a torn tail from a crash is cut off at open). Append writes without fsync: a record is
// safe from the process being killed once Append returns, and from a machine crash after the next
// sync (the owner fsyncs from a background thread, in groups, outside its lock: TakeSyncFd).
// Done(segment) counts a record as delivered; a segment that is no longer written to (segments
// close at segment_bytes) and has every record done is deleted. So the files hold what is in
// flight plus at most one segment of delivered records.
//
// Open() hands back every record still in the files: the previous process may have delivered some
// of them before it stopped (it did not get to forget them), so the consumer must be idempotent.
// Not thread-safe: one owner (a mutex around it). flock()ed per segment like SpoolFile.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/gateway/storage/spool_file.h"

namespace llmgw::gateway {

class Journal {
 public:
  struct Options {
    std::string dir;
    std::string name;                 // file prefix, e.g. "settle"
    // A segment past this size is closed and a new one started; a restart replays at most about
    // this much already delivered (a settle record is ~150 bytes: ~7,000 idempotent replays).
    uint64_t segment_bytes = 1 << 20;
  };
  struct Record {
    uint64_t segment = 0;
    std::string payload;
  };

  // Opens (or creates) the journal; `replay` receives the records left by an earlier process, in
  // append order, each counted as appended and not done.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(Options options,
                                                       std::vector<Record>* replay);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes one record (no fsync) and returns the segment it is in (to pass to Done).
  absl::StatusOr<uint64_t> Append(std::string_view payload);
  // One record of `segment` was delivered.
  absl::Status Done(uint64_t segment);
  // For an fsync outside the owner's lock: a duplicate of the written segment's descriptor when
  // anything was appended since the last call, else -1. The caller fdatasyncs and closes it.
  int TakeSyncFd();
  // fdatasyncs and closes a descriptor TakeSyncFd gave out (no lock needed); false (logged) when
  // the disk refused.
  static bool SyncTaken(int fd, const char* what);

  // Records appended (or replayed) and not done.
  uint64_t pending() const;
  // Bytes in the segment files.
  uint64_t size_bytes() const;

 private:
  struct Segment {
    uint64_t sequence = 0;
    std::unique_ptr<SpoolFile> file;
    uint64_t pending = 0;  // records not done
  };
  explicit Journal(Options options) : options_(std::move(options)) {}
  std::string SegmentPath(uint64_t sequence) const;
  absl::Status StartSegment(uint64_t sequence);
  Segment* Find(uint64_t sequence);
  // Deletes closed segments with nothing pending.
  void Forget();

  Options options_;
  std::deque<Segment> segments_;  // oldest first; the back one is written to
  bool dirty_ = false;            // appended since the last TakeSyncFd
};

}  // namespace llmgw::gateway
