// The query command's results (see query.h): one statement's blocks formatted as they arrive and
// written to stdout or to its INTO OUTFILE file, the progress line on stderr, and the output
// settings clickhouse-client applies to its own output.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "query.h"
#include "status_line.h"

namespace chconn::cli::query {
namespace {

// Where a statement's result goes: stdout, or the file of its INTO OUTFILE clause, which is made
// here and must not exist (clickhouse-client opens it with O_EXCL too: a result never overwrites a
// file). Made before the statement is sent, so a file that exists stops it with nothing sent; the
// error is clickhouse-client's, code 76 with the errno.
class ResultOutput {
 public:
  explicit ResultOutput(const std::optional<std::string>& outfile) {
    if (!outfile) return;
    const int fd = ::open(outfile->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) throw cannot_open(*outfile, errno);
    file_ = ::fdopen(fd, "w");
    if (file_ == nullptr) {
      const int err = errno;
      ::close(fd);
      throw cannot_open(*outfile, err);
    }
    name_ = "the file '" + *outfile + "'";
  }
  ~ResultOutput() {
    if (file_ != nullptr) std::fclose(file_);
  }
  ResultOutput(const ResultOutput&) = delete;
  ResultOutput& operator=(const ResultOutput&) = delete;

  // "Cannot open file F, errno: 17, strerror: File exists", as 18.16 words it (CANNOT_OPEN_FILE).
  static ClientException cannot_open(const std::string& file, int err) {
    return {76, "DB::ErrnoException",
            "Cannot open file " + file + ", errno: " + std::to_string(err) + ", strerror: " + std::strerror(err)};
  }

  void write(std::string& buffer) {
    if (buffer.empty()) return;
    if (std::fwrite(buffer.data(), 1, buffer.size(), stream()) != buffer.size()) {
      throw Error(ErrorKind::usage, "cannot write the result to " + name_);
    }
    buffer.clear();
  }
  // Flushes, and for a file closes it: a write error that only shows at the end is still reported.
  void finish() {
    if (file_ == nullptr) {
      std::fflush(stdout);
      return;
    }
    std::FILE* f = std::exchange(file_, nullptr);
    if (std::fclose(f) != 0) throw Error(ErrorKind::usage, "cannot write the result to " + name_);
  }

 private:
  std::FILE* stream() const noexcept { return file_ != nullptr ? file_ : stdout; }
  std::FILE* file_ = nullptr;
  std::string name_ = "stdout";
};

std::string human_count(double v, std::string_view unit) {
  static constexpr const char* k_suffixes[] = {"", " thousand", " million", " billion", " trillion"};
  std::size_t i = 0;
  while (v >= 1000 && i + 1 < std::size(k_suffixes)) {
    v /= 1000;
    ++i;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(i == 0 ? 0 : 2) << v << k_suffixes[i] << unit;
  return s.str();
}

std::string human_bytes(double v) {
  static constexpr const char* k_units[] = {" B", " KB", " MB", " GB", " TB"};
  std::size_t i = 0;
  while (v >= 1000 && i + 1 < std::size(k_units)) {
    v /= 1000;
    ++i;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(i == 0 ? 0 : 2) << v << k_units[i];
  return s.str();
}

// The progress line on stderr: only for a terminal, redrawn at most ten times a second, and erased
// before any result or error is printed.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled), start_(Clock::now()) {}

  void update(const QueryProgress& total) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (line_.shown() && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const auto rows = static_cast<double>(total.read_rows);
    const auto bytes = static_cast<double>(total.read_bytes);
    std::string line = "Progress: " + human_count(rows, " rows") + ", " + human_bytes(bytes);
    if (seconds > 0) {
      line += " (" + human_count(rows / seconds, " rows/s.") + ", " + human_bytes(bytes / seconds) + "/s.)";
    }
    line_.show(line);
  }

  void clear() { line_.clear(); }

 private:
  bool enabled_;
  StatusLine line_;
  Clock::time_point start_;
  Clock::time_point last_;
};

// A numeric setting given with --setting (or the DSN); a value that is not a number is
// Error(usage).
std::optional<std::uint64_t> setting_number(const Settings& settings, std::string_view name) {
  const auto value = settings.get(name);
  if (!value) return std::nullopt;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) {
    throw Error(ErrorKind::usage,
                "the setting " + std::string(name) + " must be a number, not '" + std::string(*value) + "'");
  }
  return n;
}

}  // namespace

// A boolean setting (true, false or a number) into `target`, when it is given.
void setting_flag(const Settings& settings, std::string_view name, bool& target) {
  const auto value = settings.get(name);
  if (!value) return;
  const auto is = [&](std::string_view word) {
    return std::equal(value->begin(), value->end(), word.begin(), word.end(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  };
  if (is("true") || is("false")) {
    target = is("true");
    return;
  }
  target = *setting_number(settings, name) != 0;
}

// The output_format_* settings given with --setting (or the DSN), which clickhouse-client 18.16
// applies to its own output; in a query's SETTINGS clause they reach only the server, and 18.16's
// client ignores them there, as chconn does. A value that is not a number is Error(usage).
void apply_output_settings(const Settings& settings, text::FormatOptions& options) {
  const auto number = [&](std::string_view name) { return setting_number(settings, name); };
  const auto flag = [&](std::string_view name, bool& target) { setting_flag(settings, name, target); };
  flag("output_format_pretty_color", options.pretty_color);
  flag("output_format_json_quote_64bit_integers", options.json_quote_64bit_integers);
  flag("output_format_json_quote_denormals", options.json_quote_denormals);
  flag("output_format_json_escape_forward_slashes", options.json_escape_forward_slashes);
  flag("output_format_write_statistics", options.write_statistics);
  if (const auto n = number("output_format_pretty_max_rows")) options.pretty_max_rows = static_cast<std::size_t>(*n);
  if (const auto n = number("output_format_pretty_max_column_pad_width")) {
    options.pretty_max_column_pad_width = static_cast<std::size_t>(*n);
  }
}

void apply_input_settings(const Settings& settings, InputSettings& input) {
  setting_flag(settings, "input_format_skip_unknown_fields", input.skip_unknown_fields);
  const auto format = settings.get("date_time_input_format");
  if (!format) return;
  if (*format == "basic") {
    input.date_time_input_format = text::DateTimeInputFormat::basic;
  } else if (*format == "best_effort") {
    input.date_time_input_format = text::DateTimeInputFormat::best_effort;
  } else {
    throw Error(ErrorKind::usage, "the setting date_time_input_format is '" + std::string(*format) +
                                      "'; chconn reads 'basic' or 'best_effort'");
  }
}

namespace {

// A SET value's text as the server reads it: a string literal without its quotes (a backslash or a
// quote before a byte stands for that byte), a number with its sign, anything else as written.
std::string set_value_text(const std::vector<sql::Token>& tokens) {
  if (tokens.size() == 1 && tokens[0].kind == sql::TokenKind::string_literal && tokens[0].text.size() >= 2 &&
      tokens[0].text.front() == '\'' && tokens[0].text.back() == '\'') {
    const std::string_view body = tokens[0].text.substr(1, tokens[0].text.size() - 2);
    std::string value;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if ((body[i] == '\\' || body[i] == '\'') && i + 1 < body.size()) ++i;
      value += body[i];
    }
    return value;
  }
  std::string value;
  for (const sql::Token& t : tokens) value += t.text;
  return value;
}

}  // namespace

Settings set_assignments(std::string_view statement) {
  Settings settings;
  std::vector<sql::Token> tokens;
  for (const sql::Token& t : sql::tokenize(statement)) {
    if (t.significant()) tokens.push_back(t);
  }
  if (tokens.empty() || !sql::is_keyword(tokens[0], "SET")) return settings;
  std::size_t i = 1;
  while (i + 2 < tokens.size() && tokens[i].kind == sql::TokenKind::bare_word &&
         tokens[i + 1].kind == sql::TokenKind::equals) {
    const std::string name(tokens[i].text);
    std::vector<sql::Token> value;
    for (i += 2; i < tokens.size() && tokens[i].kind != sql::TokenKind::comma; ++i) value.push_back(tokens[i]);
    settings.set(name, set_value_text(value));
    if (i < tokens.size()) ++i;  // the comma
  }
  return settings;
}

void QueryCommand::apply_set(std::string_view statement, Settings& session, text::FormatOptions& options) {
  const Settings assigned = set_assignments(statement);
  if (assigned.empty()) return;
  // Read into copies first: a value the server took but chconn cannot read ('auto', 1e3) leaves
  // chconn's own output and parsing as they were, rather than failing a statement that succeeded
  // (and every later SET with it).
  Settings next = session;
  next.merge(assigned);
  text::FormatOptions next_options = options;
  InputSettings next_input = input_settings_;
  try {
    apply_output_settings(next, next_options);
    apply_input_settings(next, next_input);
  } catch (const Error&) {
    return;
  }
  session = std::move(next);
  options = next_options;
  input_settings_ = next_input;
}

// The output format named `name` (any letter case). Formats clickhouse-client 18.16 writes and chconn
// does not are a usage error saying so; other names are clickhouse-client's code 73.
text::OutputFormat output_format(const std::string& name) {
  if (const auto format = text::parse_output_format(name)) return *format;
  for (const std::string_view other : {"ODBCDriver", "ODBCDriver2"}) {
    if (name == other) {
      throw Error(ErrorKind::usage, "chconn does not write the output format " + name +
                                        " (it writes: " + std::string(text::output_format_names()) + ")");
    }
  }
  throw ClientException{73, "DB::Exception", "Unknown format " + name};
}

void QueryCommand::print_elapsed(Clock::time_point start) const { std::cerr << seconds_text(start) + '\n'; }

Outcome QueryCommand::run_statement(Connection& conn, std::string_view statement, text::OutputFormat format,
                                    const text::FormatOptions& options, const Params& params, bool show_progress,
                                    std::stop_token stop) {
  if (auto name = sql::trailing_format(statement)) format = output_format(*name);
  ResultOutput out(sql::into_outfile(statement));
  text::BlockFormatter formatter(format, options);
  ProgressLine progress(show_progress);
  QueryOptions query_options;
  query_options.params = params_for(statement, params);
  query_options.stop = std::move(stop);
  query_options.on_progress = [&](const QueryProgress&, const QueryProgress& total) { progress.update(total); };
  // --external tables go with the first statement that reads (their files are read once).
  if (!std::exchange(external_sent_, true)) {
    for (OpenExternalTable& t : external_)
      query_options.external_tables.push_back({t.name, t.structure, t.source.get()});
  }

  std::string buffer;
  const auto start = Clock::now();
  Result result;
  Outcome outcome;
  try {
    result = conn.select(
        statement,
        [&](const Block& block) {
          outcome.rows += block.rows();
          progress.clear();
          formatter.write_block(buffer, block);
          out.write(buffer);
        },
        query_options);
  } catch (const Error& e) {
    progress.clear();
    // A row of an external table's file that cannot be read: clickhouse-client's 27.
    for (const OpenExternalTable& t : external_) {
      if (t.source->failed_row()) throw InputError{e};
    }
    throw;
  } catch (...) {
    progress.clear();
    throw;
  }
  progress.clear();
  text::ResultSummary summary;
  summary.totals = result.totals ? &*result.totals : nullptr;
  summary.extremes = result.extremes ? &*result.extremes : nullptr;
  if (result.profile && result.profile->applied_limit) summary.rows_before_limit = result.profile->rows_before_limit;
  summary.rows_read = result.progress.read_rows;
  summary.bytes_read = result.progress.read_bytes;
  summary.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  formatter.finish(buffer, result.header, summary);
  out.write(buffer);
  out.finish();
  if (time_) print_elapsed(start);
  outcome.result_columns = result.header.column_count() > 0;
  return outcome;
}

}  // namespace chconn::cli::query
