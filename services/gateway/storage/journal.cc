#include "services/gateway/storage/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"

namespace llmgw::gateway {

namespace {

constexpr char kSuffix[] = ".journal";

// The sequence numbers of `name`'s segment files in `dir`, ascending.
std::vector<uint64_t> ExistingSegments(const std::string& dir, const std::string& name) {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    const std::string prefix = name + ".";
    if (file.size() <= prefix.size() + sizeof(kSuffix) - 1 || file.rfind(prefix, 0) != 0 ||
        file.substr(file.size() - (sizeof(kSuffix) - 1)) != kSuffix) {
      continue;
    }
    const std::string digits =
        file.substr(prefix.size(), file.size() - prefix.size() - (sizeof(kSuffix) - 1));
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    out.push_back(std::stoull(digits));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string Journal::SegmentPath(uint64_t sequence) const {
  char seq[24];
  std::snprintf(seq, sizeof(seq), "%08llu", static_cast<unsigned long long>(sequence));
  return absl::StrCat(options_.dir, "/", options_.name, ".", seq, kSuffix);
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(Options options,
                                                       std::vector<Record>* replay) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::ErrnoToStatus(ec.value(),
                               absl::StrCat("cannot create journal directory ", options.dir));
  }
  std::unique_ptr<Journal> journal(new Journal(std::move(options)));
  uint64_t next = 1;
  for (uint64_t sequence : ExistingSegments(journal->options_.dir, journal->options_.name)) {
    absl::StatusOr<std::unique_ptr<SpoolFile>> file =
        SpoolFile::Open(journal->SegmentPath(sequence));
    if (!file.ok()) return file.status();
    absl::StatusOr<SpoolFile::ReadResult> records = (*file)->ReadCommitted(SIZE_MAX);
    if (!records.ok()) return records.status();
    Segment segment{sequence, std::move(*file), records->records.size()};
    for (std::string& payload : records->records) {
      if (replay != nullptr) replay->push_back(Record{sequence, std::move(payload)});
    }
    journal->segments_.push_back(std::move(segment));
    next = sequence + 1;
  }
  // Always write to a fresh segment: the old ones are forgotten once replayed and done.
  absl::Status started = journal->StartSegment(next);
  if (!started.ok()) return started;
  journal->Forget();
  return journal;
}

Journal::~Journal() = default;

absl::Status Journal::StartSegment(uint64_t sequence) {
  absl::StatusOr<std::unique_ptr<SpoolFile>> file = SpoolFile::Open(SegmentPath(sequence));
  if (!file.ok()) return file.status();
  segments_.push_back(Segment{sequence, std::move(*file), 0});
  return absl::OkStatus();
}

Journal::Segment* Journal::Find(uint64_t sequence) {
  for (Segment& s : segments_) {
    if (s.sequence == sequence) return &s;
  }
  return nullptr;
}

absl::StatusOr<uint64_t> Journal::Append(std::string_view payload) {
  if (segments_.back().file->size_bytes() >= options_.segment_bytes) {
    absl::Status started = StartSegment(segments_.back().sequence + 1);
    if (started.ok()) Forget();  // the closed segment may be all done already
    if (!started.ok()) {
      log::Error("journal: cannot start a new segment; writing on in the current one",
                 {{"error", std::string(started.message())}});
    }
  }
  Segment& segment = segments_.back();
  absl::Status written = segment.file->Write({std::string(payload)});
  if (!written.ok()) return written;
  ++segment.pending;
  dirty_ = true;
  return segment.sequence;
}

absl::Status Journal::Done(uint64_t sequence) {
  Segment* segment = Find(sequence);
  if (segment == nullptr || segment->pending == 0) {
    return absl::InternalError(absl::StrCat("journal: no pending record in segment ", sequence));
  }
  --segment->pending;
  if (segment->pending == 0 && segment != &segments_.back()) Forget();
  return absl::OkStatus();
}

void Journal::Forget() {
  for (auto it = segments_.begin(); it != segments_.end() && std::next(it) != segments_.end();) {
    if (it->pending != 0) {
      ++it;
      continue;
    }
    const std::string path = it->file->path();
    it->file.reset();  // closes (and unlocks) before the unlink
    ::unlink(path.c_str());
    ::unlink((path + ".offset").c_str());
    it = segments_.erase(it);
  }
}

int Journal::TakeSyncFd() {
  if (!dirty_) return -1;
  dirty_ = false;
  return ::fcntl(segments_.back().file->fd(), F_DUPFD_CLOEXEC, 0);
}

bool Journal::SyncTaken(int fd, const char* what) {
  const bool ok = ::fdatasync(fd) == 0;
  if (!ok) log::Warn("journal fsync failed", {{"journal", what}, {"errno", errno}});
  ::close(fd);
  return ok;
}

uint64_t Journal::pending() const {
  uint64_t n = 0;
  for (const Segment& s : segments_) n += s.pending;
  return n;
}

uint64_t Journal::size_bytes() const {
  uint64_t n = 0;
  for (const Segment& s : segments_) n += s.file->size_bytes();
  return n;
}

}  // namespace llmgw::gateway
