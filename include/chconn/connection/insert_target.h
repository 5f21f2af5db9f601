// The target of an insert: a table, optionally in a database, optionally limited to some columns.
//
// Connection::insert(table, blocks) takes its target as text and reads it with
// parse_insert_target() before anything is sent; the statement is then built from the names found,
// each quoted with quote_identifier(), so no part of the caller's text reaches the server as SQL.
// Every insert entry point (Connection, the strategies' leases, MockConnection, ConnectionManager,
// Client) goes through this one parser.
//
// The grammar of the text:
//
//   target  = name [ "." name ] [ "(" column { "," column } ")" ]     table, or database.table
//   column  = name { "." name }                                       n.x: a Nested column's part
//   name    = plain | quoted
//   plain   = [A-Za-z_][A-Za-z0-9_]*
//   quoted  = "`" chars "`" | '"' chars '"'
//
// Quoted names take ClickHouse's escapes: a backslash before \ ` " ' and the letters b f n r t v a
// e 0, or \xHH (two hex digits); a doubled quote stands for itself. A quoted name is never empty.
// Whitespace may surround every token. Nothing else is accepted: no keyword, comment, literal or
// second statement. Anything else is Error(usage) saying where the text went wrong, raised before
// a connection is touched.
//
// Examples: "events", "analytics.events", "events (id, name)", "`d.b`.`my table`", "\"t-1\"",
// "nest (id, n.x, n.y)".
//
// Thread safety: InsertTarget is a value; the functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chconn {

struct InsertTarget {
  std::string database;              // empty: the connection's database
  std::string table;                 // never empty in a valid target
  std::vector<std::string> columns;  // empty: every column, in the table's order; "n.x" for a Nested part

  // "database.table", or "table" without a database, unquoted: for messages and as the key of
  // MockServer::inserted().
  std::string name() const;

  // The statement chconn sends for this target, every name quoted with quote_identifier():
  // INSERT INTO `database`.`table` (`a`, `n.x`) VALUES. Throws Error(usage) when the table or a
  // column name is empty (possible only in a target built by hand).
  std::string insert_statement() const;

  friend bool operator==(const InsertTarget&, const InsertTarget&) = default;
};

// Reads `text` by the grammar above. Throws Error(usage) naming the byte offset and what was
// expected there; the message quotes at most the first 64 bytes of the text, escaped.
InsertTarget parse_insert_target(std::string_view text);

}  // namespace chconn
