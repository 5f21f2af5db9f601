// The query command's data from the client (see query.h): INSERT statements whose rows come with
// the script or from stdin, the --external tables, and --queries-file files.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "query.h"

namespace chconn::cli::query {
namespace {

// The INSERT's target (table and column list) as Connection::insert() takes it: the text between
// INTO [TABLE] and VALUES or FORMAT, read by parse_insert_target().
InsertTarget insert_target_of(std::string_view statement) {
  sql::Lexer lexer(statement);
  std::size_t begin = std::string_view::npos;
  for (sql::Token t = lexer.next_significant(); t.kind != sql::TokenKind::end; t = lexer.next_significant()) {
    if (begin == std::string_view::npos) {
      if (sql::is_keyword(t, "INTO")) {
        sql::Lexer peek = lexer;
        const sql::Token n = peek.next_significant();
        begin = sql::is_keyword(n, "TABLE") ? n.end() : t.end();
      }
      continue;
    }
    if (t.offset >= begin && (sql::is_keyword(t, "VALUES") || sql::is_keyword(t, "FORMAT"))) {
      return parse_insert_target(statement.substr(begin, t.offset - begin));
    }
  }
  throw Error(ErrorKind::usage, "cannot find the table of the INSERT (INSERT INTO table [(columns)] VALUES or FORMAT)");
}

// Standard input as a ByteSource: read(2) in large pieces, no stream buffering on top.
class StdinByteSource final : public text::ByteSource {
 public:
  std::size_t read(char* data, std::size_t size) override {
    if (peeked_ < peek_.size()) {
      const std::size_t n = std::min(size, peek_.size() - peeked_);
      std::memcpy(data, peek_.data() + peeked_, n);
      peeked_ += n;
      return n;
    }
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, data, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      throw Error(ErrorKind::usage, std::string("reading the data from stdin failed: ") + std::strerror(errno));
    }
  }

  // Whether stdin holds no data at all; what it reads to know is kept for read().
  bool empty() {
    if (!looked_) {
      std::string first(4096, '\0');
      first.resize(read(first.data(), first.size()));
      peek_ = std::move(first);
      looked_ = true;
    }
    return peek_.empty();
  }

 private:
  std::string peek_;
  std::size_t peeked_ = 0;
  bool looked_ = false;
};

// 18.16's client refuses an INSERT ... FORMAT F with a ';' right after the format name (its parser
// would take the ';' for the data), with this message and code 62.
constexpr std::string_view k_excessive_semicolon =
    "You have excessive ';' symbol before data for INSERT.\n"
    "Example:\n\n"
    "INSERT INTO t (x, y) FORMAT TabSeparated\n"
    ";\tHello\n"
    "2\tWorld\n\n"
    "Note that there is no ';' just after format name, you need to put at least one whitespace symbol before the "
    "data.";

// The pieces of a column list at its top-level commas ("a UInt64, b Tuple(x, y)"), trimmed.
std::vector<std::string_view> top_level_pieces(std::string_view text) {
  std::vector<std::string_view> pieces;
  sql::Lexer lexer(text);
  std::size_t begin = 0;
  int depth = 0;
  for (sql::Token t = lexer.next_significant();; t = lexer.next_significant()) {
    if (t.kind == sql::TokenKind::open_round) ++depth;
    if (t.kind == sql::TokenKind::close_round) --depth;
    if (t.kind == sql::TokenKind::end || (t.kind == sql::TokenKind::comma && depth == 0)) {
      pieces.push_back(trim_blank(text.substr(begin, t.offset - begin)));
      if (t.kind == sql::TokenKind::end) break;
      begin = t.end();
    }
  }
  return pieces;
}

// An external table's structure: its columns with their types and no rows, from --structure
// ("a UInt64, b String") or --types ("UInt64, String": columns _1, _2...). Errors as 18.16's
// client words them: 36 for a missing structure, 50 for a type it does not know.
Block external_structure(const ExternalTableFlags& flags) {
  if (flags.structure.empty() && flags.types.empty()) {
    throw ClientException{36, "DB::Exception",
                          "Neither --structure nor --types have not been provided for external table"};
  }
  const bool named = !flags.structure.empty();
  Block block;
  std::size_t index = 0;
  for (const std::string_view piece : top_level_pieces(named ? flags.structure : flags.types)) {
    std::string name = "_" + std::to_string(++index);
    std::string_view type = piece;
    if (named) {
      sql::Lexer lexer(piece);
      const sql::Token first = lexer.next_significant();
      type = trim_blank(piece.substr(first.end()));
      if (first.kind != sql::TokenKind::bare_word && first.kind != sql::TokenKind::quoted_identifier) type = {};
      name = std::string(first.text);
      if (first.kind == sql::TokenKind::quoted_identifier) name = name.substr(1, name.size() - 2);
    }
    if (type.empty()) {
      throw ClientException{36, "DB::Exception",
                            "the external table " + flags.name + " has a column without a name and a type: '" +
                                std::string(piece) + "' (--structure 'name Type, ...')"};
    }
    try {
      block.append(std::move(name), make_column(parse_type(type)));
    } catch (const Error& e) {
      throw ClientException{50, "DB::Exception", e.message()};
    }
  }
  return block;
}

}  // namespace

// Prints `bad` as clickhouse-client prints its own errors; returns the exit status.
int report_input_error(const InputError& bad) {
  if (bad.code == 27) {
    std::cerr << "Code: 27. DB::Exception: Cannot parse input: " << bad.error.message() << '\n';
    return 27;
  }
  std::string_view message = bad.error.message();
  if (message.starts_with("DB::Exception: ")) message.remove_prefix(15);
  std::cerr << "Code: " << bad.code << ". DB::Exception: " << message << '\n';
  return (bad.code & 0xFF) == 0 ? 1 : bad.code & 0xFF;
}

// The whole text of a --queries-file file; Error(usage) naming it when it cannot be read.
std::string read_queries_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    throw Error(ErrorKind::usage, "cannot read the --queries-file '" + file + "': " + std::strerror(errno));
  }
  return text;
}

// An INSERT whose rows come from the client: its data written after it in the script or query,
// or else stdin (when the statements came from -q), parsed here into blocks of the table's
// structure and streamed (text::TextInsertSource).
void QueryCommand::run_insert(Connection& conn, const ScriptStatement& statement, bool script_from_stdin,
                              const Params& params, std::stop_token stop) {
  const sql::InsertShape shape = sql::insert_shape(statement.sql);
  text::InputFormat format = text::InputFormat::values;
  if (shape.format) {
    const auto f = text::parse_input_format(*shape.format);
    if (!f) {
      throw Error(ErrorKind::usage, "unknown input format '" + *shape.format +
                                        "' in the INSERT; known: " + std::string(text::input_format_names()));
    }
    format = *f;
  }
  const InsertTarget target = insert_target_of(statement.sql);
  text::InputOptions input;
  input.time_zone = conn.server_info().timezone;
  input.skip_unknown_fields = input_settings_.skip_unknown_fields;
  input.date_time_input_format = input_settings_.date_time_input_format;
  input.values_ignore_after_end = true;  // as clickhouse-client 18.16 reads an INSERT's data
  input.what = "insert into " + target.name();
  QueryOptions query_options;
  query_options.params = params_for(statement.sql, params);
  query_options.stop = std::move(stop);

  const auto start = Clock::now();
  if (shape.format && statement.data && statement.data->starts_with(';') &&
      statement.data->data() == statement.sql.data() + statement.sql.size()) {
    throw InputError{Error(ErrorKind::usage, std::string(k_excessive_semicolon)), 62, true};
  }
  text::MemoryByteSource inline_data(statement.data.value_or(std::string_view()));
  StdinByteSource stdin_data;
  // Data written in the script is used when there is some; otherwise stdin, unless the script
  // itself was read from it. No data at all (blank inline data and no stdin, or an empty stdin)
  // is an error, as clickhouse-client 18.16 says it: code 108, nothing sent.
  const bool has_inline = statement.data && !trim_blank(*statement.data).empty();
  const bool from_stdin = !has_inline && !script_from_stdin;
  if (!has_inline && (!from_stdin || stdin_data.empty())) {
    throw InputError{Error(ErrorKind::usage, "No data to insert"), 108};
  }
  // Expressions in VALUES written in the statement are evaluated on the server first (the data is
  // in memory); in data on stdin, streamed, an expression is an error naming its row.
  if (format == text::InputFormat::values && has_inline) {
    QueryOptions evaluate_options;
    evaluate_options.stop = query_options.stop;
    try {
      input.evaluated = std::make_shared<const std::vector<text::EvaluatedValue>>(
          text::evaluate_values_expressions(conn, *statement.data, evaluate_options));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::server) throw;
      throw InputError{e, e.server_code()};
    }
  }
  text::TextInsertSource source(format, from_stdin ? static_cast<text::ByteSource&>(stdin_data) : inline_data,
                                std::move(input));
  try {
    conn.insert(target, source, query_options);
  } catch (const Error& e) {
    if (source.failed_row()) throw InputError{e, source.failed_code()};
    throw;
  }
  if (time_) print_elapsed(start);
}

// Opens the --external tables (before anything connects): their files (stdin for "-", which
// then cannot also hold the statements), parsers and structures. Errors as 18.16's client's.
void QueryCommand::open_external_tables(const std::vector<ExternalTableFlags>& tables, bool script_from_stdin) {
  for (const ExternalTableFlags& flags : tables) {
    if (flags.file.empty()) {
      throw ClientException{36, "DB::Exception", "--file field have not been provided for external table"};
    }
    OpenExternalTable& t = external_.emplace_back();
    t.name = flags.name;
    t.structure = external_structure(flags);
    const auto format = text::parse_input_format(flags.format);
    if (!format) throw ClientException{73, "DB::Exception", "Unknown format " + flags.format};
    if (flags.file == "-") {
      if (script_from_stdin) {
        throw Error(ErrorKind::usage, "--external --file - reads the table from stdin: give the statements with -q");
      }
      t.bytes = std::make_unique<StdinByteSource>();
    } else {
      t.file = std::make_unique<std::ifstream>(flags.file, std::ios::binary);
      if (!*t.file) {
        const int err = errno;
        throw ClientException{
            107, "DB::ErrnoException",
            "Cannot open file " + flags.file + ", errno: " + std::to_string(err) + ", strerror: " + std::strerror(err)};
      }
      t.bytes = std::make_unique<text::StreamByteSource>(*t.file);
    }
    text::InputOptions input;
    input.what = "external table " + t.name;
    t.source = std::make_unique<text::TextInsertSource>(*format, *t.bytes, std::move(input));
  }
}

}  // namespace chconn::cli::query
