// The output formats of BlockFormatter, on hand-built blocks. Every expected text below is what
// clickhouse-client 18.16.1 printed for the same values on the sandbox server, pasted as it came
// (tests/integration/cli_formats_compare_test.cpp compares the two clients on many more queries):
//   block "sample": SELECT t.1 AS n, t.2 AS `s'x` FROM (SELECT arrayJoin([(toUInt64(1), 'a\tb'),
//                   (toUInt64(22), 'é"')]) AS t)
//   block "grouped": SELECT number % 2 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS
//                   ORDER BY k SETTINGS extremes=1 (its ProfileInfo: LIMIT applied, 2 rows before
//                   it; its Progress: 10 rows, 80 bytes read)
// JSON's and XML's statistics.elapsed is the time the query took: the tests give 0.5 and the 18.16
// texts have their measured value replaced by 0.5; nothing else is changed.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "chconn/format/text.h"
#include "chconn/wire/columns.h"

namespace chconn::text {
namespace {

using namespace std::string_literals;

Block sample_block() {
  Block b;
  auto n = std::make_shared<ColumnUInt64>();
  auto s = std::make_shared<ColumnString>();
  n->append(1);
  n->append(22);
  s->append("a\tb");
  s->append("é\"");
  b.append("n", n);
  b.append("s'x", s);
  return b;
}

Block two_columns(std::vector<std::uint8_t> k, std::vector<std::uint64_t> c) {
  Block b;
  auto kc = std::make_shared<ColumnUInt8>();
  auto cc = std::make_shared<ColumnUInt64>();
  for (auto v : k) kc->append(v);
  for (auto v : c) cc->append(v);
  b.append("k", kc);
  b.append("c", cc);
  return b;
}

struct Grouped {
  Block data = two_columns({0, 1}, {5, 5});
  Block totals = two_columns({0}, {10});
  Block extremes = two_columns({0, 1}, {5, 5});
};

std::string render(OutputFormat format, const std::vector<Block>& blocks, const ResultSummary& summary = {},
                   FormatOptions options = {}) {
  BlockFormatter formatter(format, std::move(options));
  std::string out;
  for (const Block& b : blocks) formatter.write_block(out, b);
  formatter.finish(out, blocks.front(), summary);
  return out;
}

FormatOptions colored() {
  FormatOptions o;
  o.pretty_color = true;  // clickhouse-client 18.16's default, also when piped
  return o;
}

ResultSummary sample_summary() {
  ResultSummary s;
  s.rows_read = 1;
  s.bytes_read = 1;
  s.elapsed_seconds = 0.5;
  return s;
}

ResultSummary grouped_summary(const Grouped& g) {
  ResultSummary s;
  s.totals = &g.totals;
  s.extremes = &g.extremes;
  s.rows_before_limit = 2;
  s.rows_read = 10;
  s.bytes_read = 80;
  s.elapsed_seconds = 0.5;
  return s;
}

TEST(OutputFormats, NamesInAnyLetterCase) {
  EXPECT_EQ(parse_output_format("json"), OutputFormat::json);
  EXPECT_EQ(parse_output_format("PRETTYCOMPACTMONOBLOCK"), OutputFormat::pretty_compact_mono_block);
  EXPECT_EQ(parse_output_format("tsvraw"), OutputFormat::tab_separated_raw);
  EXPECT_EQ(parse_output_format("TSVWithNamesAndTypes"), OutputFormat::tab_separated_with_names_and_types);
  EXPECT_EQ(parse_output_format("Pretty"), OutputFormat::pretty);
  EXPECT_EQ(parse_output_format("markdown"), OutputFormat::markdown);
  EXPECT_FALSE(parse_output_format("Parquet"));
  EXPECT_FALSE(parse_output_format("JSONs"));
  EXPECT_EQ(to_string(OutputFormat::tab_separated_raw), "TabSeparatedRaw");
  EXPECT_EQ(to_string(OutputFormat::pretty_space_no_escapes), "PrettySpaceNoEscapes");
}

TEST(OutputFormats, PrettyCompactWritesStringsRawAndSizesTabs) {
  EXPECT_EQ(render(OutputFormat::pretty_compact, {sample_block()}),
            "┌──n─┬─s'x────────┐\n"
            "│  1 │ a\tb │\n"
            "│ 22 │ é\"         │\n"
            "└────┴────────────┘\n");
  EXPECT_EQ(render(OutputFormat::pretty_compact_no_escapes, {sample_block()}, {}, colored()),
            "┌──n─┬─s'x────────┐\n"
            "│  1 │ a\tb │\n"
            "│ 22 │ é\"         │\n"
            "└────┴────────────┘\n");
}

TEST(OutputFormats, PrettyGridWithBoldNames) {
  EXPECT_EQ(render(OutputFormat::pretty, {sample_block()}, {}, colored()),
            "┏━━━━┳━━━━━━━━━━━━┓\n"
            "┃ \033[1m n\033[0m ┃ \033[1ms'x       \033[0m ┃\n"
            "┡━━━━╇━━━━━━━━━━━━┩\n"
            "│  1 │ a\tb │\n"
            "├────┼────────────┤\n"
            "│ 22 │ é\"         │\n"
            "└────┴────────────┘\n");
  EXPECT_EQ(render(OutputFormat::pretty_no_escapes, {sample_block()}, {}, colored()),
            "┏━━━━┳━━━━━━━━━━━━┓\n"
            "┃  n ┃ s'x        ┃\n"
            "┡━━━━╇━━━━━━━━━━━━┩\n"
            "│  1 │ a\tb │\n"
            "├────┼────────────┤\n"
            "│ 22 │ é\"         │\n"
            "└────┴────────────┘\n");
}

TEST(OutputFormats, PrettySpace) {
  EXPECT_EQ(render(OutputFormat::pretty_space, {sample_block()}, {}, colored()),
            " \033[1mn\033[0m   \033[1ms'x\033[0m       \n"
            "\n"
            " 1   a\tb\n"
            "22   é\"        \n");
}

// output_format_pretty_max_rows = 1: widths still come from every row of the block (n is two
// wide for the 22 not shown).
TEST(OutputFormats, PrettyAndVerticalShowFirstMaxRows) {
  FormatOptions o = colored();
  o.pretty_max_rows = 1;
  EXPECT_EQ(render(OutputFormat::pretty, {sample_block()}, {}, o),
            "┏━━━━┳━━━━━━━━━━━━┓\n"
            "┃ \033[1m n\033[0m ┃ \033[1ms'x       \033[0m ┃\n"
            "┡━━━━╇━━━━━━━━━━━━┩\n"
            "│  1 │ a\tb │\n"
            "└────┴────────────┘\n"
            "  Showed first 1.\n");
  EXPECT_EQ(render(OutputFormat::pretty_space, {sample_block()}, {}, o),
            " \033[1mn\033[0m   \033[1ms'x\033[0m       \n"
            "\n"
            " 1   a\tb\n"
            "\n"
            "Showed first 1.\n");
  EXPECT_EQ(render(OutputFormat::vertical, {sample_block()}, {}, o),
            "Row 1:\n"
            "──────\n"
            "n:   1\n"
            "s'x: a\tb\n"
            "\n"
            "Showed first 1.\n");
  o.pretty_color = false;
  EXPECT_EQ(render(OutputFormat::pretty_compact, {sample_block()}, {}, o),
            "┌──n─┬─s'x────────┐\n"
            "│  1 │ a\tb │\n"
            "└────┴────────────┘\n"
            "  Showed first 1.\n");
}

TEST(OutputFormats, RowFormats) {
  EXPECT_EQ(render(OutputFormat::tskv, {sample_block()}),
            "n=1\ts'x=a\\tb\n"
            "n=22\ts'x=é\"\n");
  EXPECT_EQ(render(OutputFormat::values, {sample_block()}), "(1,'a\\tb'),(22,'é\"')");
  EXPECT_EQ(render(OutputFormat::tab_separated_raw, {sample_block()}),
            "1\ta\tb\n"
            "22\té\"\n");
  EXPECT_EQ(render(OutputFormat::vertical, {sample_block()}),
            "Row 1:\n"
            "──────\n"
            "n:   1\n"
            "s'x: a\tb\n"
            "\n"
            "Row 2:\n"
            "──────\n"
            "n:   22\n"
            "s'x: é\"\n");
}

TEST(OutputFormats, ValuesSeparatesBlocksWithACommaToo) {
  EXPECT_EQ(render(OutputFormat::values, {sample_block(), sample_block()}),
            "(1,'a\\tb'),(22,'é\"'),(1,'a\\tb'),(22,'é\"')");
}

TEST(OutputFormats, JsonAndXml) {
  EXPECT_EQ(render(OutputFormat::json, {sample_block()}, sample_summary()),
            "{\n"
            "\t\"meta\":\n"
            "\t[\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"n\",\n"
            "\t\t\t\"type\": \"UInt64\"\n"
            "\t\t},\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"s'x\",\n"
            "\t\t\t\"type\": \"String\"\n"
            "\t\t}\n"
            "\t],\n"
            "\n"
            "\t\"data\":\n"
            "\t[\n"
            "\t\t{\n"
            "\t\t\t\"n\": \"1\",\n"
            "\t\t\t\"s'x\": \"a\\tb\"\n"
            "\t\t},\n"
            "\t\t{\n"
            "\t\t\t\"n\": \"22\",\n"
            "\t\t\t\"s'x\": \"é\\\"\"\n"
            "\t\t}\n"
            "\t],\n"
            "\n"
            "\t\"rows\": 2,\n"
            "\n"
            "\t\"statistics\":\n"
            "\t{\n"
            "\t\t\"elapsed\": 0.5,\n"
            "\t\t\"rows_read\": 1,\n"
            "\t\t\"bytes_read\": 1\n"
            "\t}\n"
            "}\n");
  EXPECT_EQ(render(OutputFormat::json_compact, {sample_block()}, sample_summary()),
            "{\n"
            "\t\"meta\":\n"
            "\t[\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"n\",\n"
            "\t\t\t\"type\": \"UInt64\"\n"
            "\t\t},\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"s'x\",\n"
            "\t\t\t\"type\": \"String\"\n"
            "\t\t}\n"
            "\t],\n"
            "\n"
            "\t\"data\":\n"
            "\t[\n"
            "\t\t[\"1\", \"a\\tb\"],\n"
            "\t\t[\"22\", \"é\\\"\"]\n"
            "\t],\n"
            "\n"
            "\t\"rows\": 2,\n"
            "\n"
            "\t\"statistics\":\n"
            "\t{\n"
            "\t\t\"elapsed\": 0.5,\n"
            "\t\t\"rows_read\": 1,\n"
            "\t\t\"bytes_read\": 1\n"
            "\t}\n"
            "}\n");
  EXPECT_EQ(render(OutputFormat::xml, {sample_block()}, sample_summary()),
            "<?xml version='1.0' encoding='UTF-8' ?>\n"
            "<result>\n"
            "\t<meta>\n"
            "\t\t<columns>\n"
            "\t\t\t<column>\n"
            "\t\t\t\t<name>n</name>\n"
            "\t\t\t\t<type>UInt64</type>\n"
            "\t\t\t</column>\n"
            "\t\t\t<column>\n"
            "\t\t\t\t<name>s'x</name>\n"
            "\t\t\t\t<type>String</type>\n"
            "\t\t\t</column>\n"
            "\t\t</columns>\n"
            "\t</meta>\n"
            "\t<data>\n"
            "\t\t<row>\n"
            "\t\t\t<n>1</n>\n"
            "\t\t\t<field>a\tb</field>\n"
            "\t\t</row>\n"
            "\t\t<row>\n"
            "\t\t\t<n>22</n>\n"
            "\t\t\t<field>é\"</field>\n"
            "\t\t</row>\n"
            "\t</data>\n"
            "\t<rows>2</rows>\n"
            "\t<statistics>\n"
            "\t\t<elapsed>0.5</elapsed>\n"
            "\t\t<rows_read>1</rows_read>\n"
            "\t\t<bytes_read>1</bytes_read>\n"
            "\t</statistics>\n"
            "</result>\n");
}

TEST(OutputFormats, TotalsAndExtremes) {
  const Grouped g;
  const ResultSummary s = grouped_summary(g);
  EXPECT_EQ(render(OutputFormat::json, {g.data}, s),
            "{\n"
            "\t\"meta\":\n"
            "\t[\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"k\",\n"
            "\t\t\t\"type\": \"UInt8\"\n"
            "\t\t},\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"c\",\n"
            "\t\t\t\"type\": \"UInt64\"\n"
            "\t\t}\n"
            "\t],\n"
            "\n"
            "\t\"data\":\n"
            "\t[\n"
            "\t\t{\n"
            "\t\t\t\"k\": 0,\n"
            "\t\t\t\"c\": \"5\"\n"
            "\t\t},\n"
            "\t\t{\n"
            "\t\t\t\"k\": 1,\n"
            "\t\t\t\"c\": \"5\"\n"
            "\t\t}\n"
            "\t],\n"
            "\n"
            "\t\"totals\":\n"
            "\t{\n"
            "\t\t\"k\": 0,\n"
            "\t\t\"c\": \"10\"\n"
            "\t},\n"
            "\n"
            "\t\"extremes\":\n"
            "\t{\n"
            "\t\t\"min\":\n"
            "\t\t{\n"
            "\t\t\t\"k\": 0,\n"
            "\t\t\t\"c\": \"5\"\n"
            "\t\t},\n"
            "\t\t\"max\":\n"
            "\t\t{\n"
            "\t\t\t\"k\": 1,\n"
            "\t\t\t\"c\": \"5\"\n"
            "\t\t}\n"
            "\t},\n"
            "\n"
            "\t\"rows\": 2,\n"
            "\n"
            "\t\"rows_before_limit_at_least\": 2,\n"
            "\n"
            "\t\"statistics\":\n"
            "\t{\n"
            "\t\t\"elapsed\": 0.5,\n"
            "\t\t\"rows_read\": 10,\n"
            "\t\t\"bytes_read\": 80\n"
            "\t}\n"
            "}\n");
  EXPECT_EQ(render(OutputFormat::json_compact, {g.data}, s),
            "{\n"
            "\t\"meta\":\n"
            "\t[\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"k\",\n"
            "\t\t\t\"type\": \"UInt8\"\n"
            "\t\t},\n"
            "\t\t{\n"
            "\t\t\t\"name\": \"c\",\n"
            "\t\t\t\"type\": \"UInt64\"\n"
            "\t\t}\n"
            "\t],\n"
            "\n"
            "\t\"data\":\n"
            "\t[\n"
            "\t\t[0, \"5\"],\n"
            "\t\t[1, \"5\"]\n"
            "\t],\n"
            "\n"
            "\t\"totals\": [0,\"10\"],\n"
            "\n"
            "\t\"extremes\":\n"
            "\t{\n"
            "\t\t\"min\": [0,\"5\"],\n"
            "\t\t\"max\": [1,\"5\"]\n"
            "\t},\n"
            "\n"
            "\t\"rows\": 2,\n"
            "\n"
            "\t\"rows_before_limit_at_least\": 2,\n"
            "\n"
            "\t\"statistics\":\n"
            "\t{\n"
            "\t\t\"elapsed\": 0.5,\n"
            "\t\t\"rows_read\": 10,\n"
            "\t\t\"bytes_read\": 80\n"
            "\t}\n"
            "}\n");
  EXPECT_EQ(render(OutputFormat::xml, {g.data}, s),
            "<?xml version='1.0' encoding='UTF-8' ?>\n"
            "<result>\n"
            "\t<meta>\n"
            "\t\t<columns>\n"
            "\t\t\t<column>\n"
            "\t\t\t\t<name>k</name>\n"
            "\t\t\t\t<type>UInt8</type>\n"
            "\t\t\t</column>\n"
            "\t\t\t<column>\n"
            "\t\t\t\t<name>c</name>\n"
            "\t\t\t\t<type>UInt64</type>\n"
            "\t\t\t</column>\n"
            "\t\t</columns>\n"
            "\t</meta>\n"
            "\t<data>\n"
            "\t\t<row>\n"
            "\t\t\t<k>0</k>\n"
            "\t\t\t<c>5</c>\n"
            "\t\t</row>\n"
            "\t\t<row>\n"
            "\t\t\t<k>1</k>\n"
            "\t\t\t<c>5</c>\n"
            "\t\t</row>\n"
            "\t</data>\n"
            "\t<totals>\n"
            "\t\t<k>0</k>\n"
            "\t\t<c>10</c>\n"
            "\t</totals>\n"
            "\t<extremes>\n"
            "\t\t<min>\n"
            "\t\t\t<k>0</k>\n"
            "\t\t\t<c>5</c>\n"
            "\t\t</min>\n"
            "\t\t<max>\n"
            "\t\t\t<k>1</k>\n"
            "\t\t\t<c>5</c>\n"
            "\t\t</max>\n"
            "\t</extremes>\n"
            "\t<rows>2</rows>\n"
            "\t<rows_before_limit_at_least>2</rows_before_limit_at_least>\n"
            "\t<statistics>\n"
            "\t\t<elapsed>0.5</elapsed>\n"
            "\t\t<rows_read>10</rows_read>\n"
            "\t\t<bytes_read>80</bytes_read>\n"
            "\t</statistics>\n"
            "</result>\n");
  EXPECT_EQ(render(OutputFormat::vertical, {g.data}, s),
            "Row 1:\n"
            "──────\n"
            "k: 0\n"
            "c: 5\n"
            "\n"
            "Row 2:\n"
            "──────\n"
            "k: 1\n"
            "c: 5\n"
            "\n"
            "\n"
            "Totals:\n"
            "───────\n"
            "k: 0\n"
            "c: 10\n"
            "\n"
            "Min:\n"
            "────\n"
            "k: 0\n"
            "c: 5\n"
            "\n"
            "Max:\n"
            "────\n"
            "k: 1\n"
            "c: 5\n");
  EXPECT_EQ(render(OutputFormat::tskv, {g.data}, s),
            "k=0\tc=5\n"
            "k=1\tc=5\n"
            "\n"
            "k=0\tc=10\n"
            "\n"
            "k=0\tc=5\n"
            "k=1\tc=5\n");
  EXPECT_EQ(render(OutputFormat::tab_separated_with_names_and_types, {g.data}, s),
            "k\tc\n"
            "UInt8\tUInt64\n"
            "0\t5\n"
            "1\t5\n"
            "\n"
            "0\t10\n"
            "\n"
            "0\t5\n"
            "1\t5\n");
  EXPECT_EQ(render(OutputFormat::pretty_compact, {g.data}, s),
            "┌─k─┬─c─┐\n"
            "│ 0 │ 5 │\n"
            "│ 1 │ 5 │\n"
            "└───┴───┘\n"
            "\n"
            "Totals:\n"
            "┌─k─┬──c─┐\n"
            "│ 0 │ 10 │\n"
            "└───┴────┘\n"
            "\n"
            "Extremes:\n"
            "┌─k─┬─c─┐\n"
            "│ 0 │ 5 │\n"
            "│ 1 │ 5 │\n"
            "└───┴───┘\n");
  EXPECT_EQ(render(OutputFormat::pretty_space, {g.data}, s),
            "k   c\n"
            "\n"
            "0   5\n"
            "1   5\n"
            "\n"
            "Totals:\n"
            "k    c\n"
            "\n"
            "0   10\n"
            "\n"
            "Extremes:\n"
            "k   c\n"
            "\n"
            "0   5\n"
            "1   5\n");
  // MonoBlock drops them.
  EXPECT_EQ(render(OutputFormat::pretty_compact_mono_block, {g.data}, s, colored()),
            "┌─\033[1mk\033[0m─┬─\033[1mc\033[0m─┐\n"
            "│ 0 │ 5 │\n"
            "│ 1 │ 5 │\n"
            "└───┴───┘\n");
}

TEST(OutputFormats, JsonHonoursTheStatisticsSetting) {
  FormatOptions o;
  o.write_statistics = false;
  const std::string out = render(OutputFormat::json, {sample_block()}, sample_summary(), o);
  EXPECT_EQ(out.find("statistics"), std::string::npos);
  EXPECT_TRUE(out.ends_with("],\n\n\t\"rows\": 2\n}\n")) << out;
}

TEST(OutputFormats, MonoBlockIsOneTableForSeveralBlocks) {
  const std::string out = render(OutputFormat::pretty_compact_mono_block, {sample_block(), sample_block()});
  EXPECT_EQ(out,
            "┌──n─┬─s'x────────┐\n"
            "│  1 │ a\tb │\n"
            "│ 22 │ é\"         │\n"
            "│  1 │ a\tb │\n"
            "│ 22 │ é\"         │\n"
            "└────┴────────────┘\n");
}

Block strings(const std::string& name, std::vector<std::string> values) {
  Block b;
  auto s = std::make_shared<ColumnString>();
  for (const auto& v : values) s->append(v);
  b.append(name, s);
  return b;
}

// 18.16 passes JSON and XML through WriteBufferValidUTF8: a run of invalid bytes (here \xFF\xFE,
// an overlong \xC0\x80 and a surrogate \xED\xA0\x80) becomes one U+FFFD. From
// SELECT arrayJoin(['\xFF\xFEa\xC0\x80', '\xED\xA0\x80z']) AS s FORMAT JSONCompact.
TEST(OutputFormats, JsonReplacesInvalidUtf8) {
  FormatOptions o;
  o.write_statistics = false;
  const std::string out = render(OutputFormat::json_compact,
                                 {strings("s", {"\xFF\xFE"
                                                "a\xC0\x80",
                                                "\xED\xA0\x80z"})},
                                 {}, o);
  EXPECT_NE(out.find("\t\t[\"\xEF\xBF\xBD"
                     "a\xEF\xBF\xBD\"],\n\t\t[\"\xEF\xBF\xBDz\"]\n\t],"),
            std::string::npos)
      << out;
  // JSONEachRow writes the bytes as they are, as 18.16 does.
  EXPECT_EQ(render(OutputFormat::json_each_row, {strings("s", {"\xFF"})}), "{\"s\":\"\xFF\"}\n");
}

// Tags: ASCII letters, '_', '-', '.', and digits after the first byte; otherwise <field>. From
// SELECT 1 AS `-0.`, 2 AS `1a`, 3 AS `a1`, 4 AS `a b` FORMAT XML.
TEST(OutputFormats, XmlTagsFromNames) {
  Block b;
  for (const char* name : {"-0.", "1a", "a1", "a b"}) {
    auto c = std::make_shared<ColumnUInt8>();
    c->append(static_cast<std::uint8_t>(b.column_count() + 1));
    b.append(name, c);
  }
  const std::string out = render(OutputFormat::xml, {b});
  EXPECT_NE(out.find("\t\t<row>\n\t\t\t<-0.>1</-0.>\n\t\t\t<field>2</field>\n\t\t\t<a1>3</a1>\n\t\t\t<field>4</field>\n"
                     "\t\t</row>\n"),
            std::string::npos)
      << out;
}

// Widths as 18.16 measures them: a combining mark and U+2028 take no column, 日 two, and a tab runs
// to the next multiple of 8 from where the cell starts (column 8 here). From
// SELECT 'e\xCC\x81日\xE2\x80\xA8' AS c, 'x\ty' AS t FORMAT PrettyCompactNoEscapes.
TEST(OutputFormats, PrettyDisplayWidths) {
  Block b = strings("c", {"e\xCC\x81日\xE2\x80\xA8"});
  auto t = std::make_shared<ColumnString>();
  t->append("x\ty");
  b.append("t", t);
  EXPECT_EQ(render(OutputFormat::pretty_compact, {b}),
            "┌─c───┬─t─────────┐\n"
            "│ e\xCC\x81日\xE2\x80\xA8 │ x\ty │\n"
            "└─────┴───────────┘\n");
}

// Native: the blocks at revision 0, a top-level DateTime named without its zone (inside an Array
// the zone stays), no totals, nothing for a block without rows. From clickhouse-client 18.16.1:
// SELECT toDateTime(0, 'Asia/Tokyo') AS t, [toDateTime(1, 'Asia/Tokyo')] AS a FORMAT Native.
TEST(OutputFormats, NativeAsClickHouseClientWritesIt) {
  Block b;
  auto t = column_cast<ColumnDateTime>(make_column(parse_type("DateTime('Asia/Tokyo')")));
  t->append(0);
  auto a = column_cast<ColumnArray>(make_column(parse_type("Array(DateTime('Asia/Tokyo'))")));
  a->nested_as<ColumnDateTime>().append(1);
  a->finish_row();
  b.append("t", t);
  b.append("a", a);
  Block empty;
  empty.append("t", t->clone_empty());
  empty.append("a", a->clone_empty());
  const Grouped g;
  ResultSummary s;
  s.totals = &g.totals;
  const std::string out = render(OutputFormat::native, {b, empty}, s);
  const std::string expected =
      "\x02\x01\x01t\x08"
      "DateTime\x00\x00\x00\x00\x01"
      "a\x1d"
      "Array(DateTime('Asia/Tokyo'))"
      "\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"s;
  EXPECT_EQ(out, expected);
}

// RowBinary: NULL as 1 and nothing else, a value as 0 and its bytes, arrays with a varint count,
// tuples as their elements. From clickhouse-client 18.16.1: SELECT toNullable(toUInt8(1)) AS a,
// CAST(NULL AS Nullable(String)) AS b, [toUInt16(1), 2] AS c, (toInt8(-1), 'xy') AS d FORMAT RowBinary
// (00 01 01 02 01 00 02 00 ff 02 78 79).
TEST(OutputFormats, RowBinaryAsClickHouseClientWritesIt) {
  auto a = column_cast<ColumnNullable>(make_column(parse_type("Nullable(UInt8)")));
  column_cast<ColumnUInt8>(a->nested()).append(1);
  a->append_not_null();
  auto b = column_cast<ColumnNullable>(make_column(parse_type("Nullable(String)")));
  b->append_null();
  auto c = column_cast<ColumnArray>(make_column(parse_type("Array(UInt16)")));
  c->nested_as<ColumnUInt16>().append(1);
  c->nested_as<ColumnUInt16>().append(2);
  c->finish_row();
  auto d = column_cast<ColumnTuple>(make_column(parse_type("Tuple(Int8, String)")));
  column_cast<ColumnInt8>(d->element(0)).append(-1);
  column_cast<ColumnString>(d->element(1)).append("xy");
  Block block;
  block.append("a", a);
  block.append("b", b);
  block.append("c", c);
  block.append("d", d);
  EXPECT_EQ(render(OutputFormat::row_binary, {block}), "\x00\x01\x01\x02\x01\x00\x02\x00\xff\x02xy"s);
}

// 18.16: SELECT 'a/b' AS `x/y`, ['c/d'] AS arr FORMAT JSONEachRow, then with
// --output_format_json_escape_forward_slashes=0 (JSON, JSONCompact, JSONEachRow alike: names,
// strings, strings inside arrays).
TEST(OutputFormats, JsonEscapesForwardSlashesUnlessTurnedOff) {
  Block b;
  auto s = std::make_shared<ColumnString>();
  s->append("a/b");
  b.append("x/y", s);
  EXPECT_EQ(render(OutputFormat::json_each_row, {b}), "{\"x\\/y\":\"a\\/b\"}\n");
  FormatOptions off;
  off.json_escape_forward_slashes = false;
  EXPECT_EQ(render(OutputFormat::json_each_row, {b}, {}, off), "{\"x/y\":\"a/b\"}\n");
  const std::string json = render(OutputFormat::json, {b}, sample_summary(), off);
  EXPECT_NE(json.find("\"name\": \"x/y\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"x/y\": \"a/b\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\\/"), std::string::npos) << json;
  auto arr = make_column(parse_type("Array(String)"));
  auto& a = static_cast<ColumnArray&>(*arr);
  static_cast<ColumnString&>(a.nested()).append("c/d");
  a.finish_row();
  Block with_array;
  with_array.append("arr", arr);
  EXPECT_NE(render(OutputFormat::json_compact, {with_array}, sample_summary()).find("[[\"c\\/d\"]]"),
            std::string::npos);
  EXPECT_NE(render(OutputFormat::json_compact, {with_array}, sample_summary(), off).find("[[\"c/d\"]]"),
            std::string::npos);
}

// INSERT ... SELECT ... WITH TOTALS: no header and no data, but totals and extremes, which 18.16's
// client prints as the result of a SELECT without rows. 18.16: INSERT INTO t SELECT number % 2 AS k,
// count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k SETTINGS extremes = 1.
TEST(OutputFormats, TotalsAndExtremesWithoutAHeaderAsAnInsertSelectHasThem) {
  const Grouped g;
  const ResultSummary s = grouped_summary(g);
  const auto finish_only = [&](OutputFormat format) {
    BlockFormatter formatter(format);
    std::string out;
    formatter.finish(out, Block{}, s);
    return out;
  };
  EXPECT_EQ(finish_only(OutputFormat::tab_separated), "\n0\t10\n\n0\t5\n1\t5\n");
  EXPECT_EQ(finish_only(OutputFormat::json_compact),
            "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"k\",\n\t\t\t\"type\": \"UInt8\"\n\t\t},\n"
            "\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n"
            "\t\"data\":\n\t[\n\n\t],\n\n"
            "\t\"totals\": [0,\"10\"],\n\n"
            "\t\"extremes\":\n\t{\n\t\t\"min\": [0,\"5\"],\n\t\t\"max\": [1,\"5\"]\n\t},\n\n"
            "\t\"rows\": 0,\n\n"
            "\t\"rows_before_limit_at_least\": 2,\n\n"
            "\t\"statistics\":\n\t{\n\t\t\"elapsed\": 0.5,\n\t\t\"rows_read\": 10,\n\t\t\"bytes_read\": 80\n\t}\n}\n");
  EXPECT_EQ(finish_only(OutputFormat::vertical),
            "\n\nTotals:\n───────\nk: 0\nc: 10\n\nMin:\n────\nk: 0\nc: 5\n\nMax:\n────\nk: 1\nc: 5\n");
  // Extremes alone name the columns too.
  ResultSummary extremes_only = s;
  extremes_only.totals = nullptr;
  BlockFormatter tsv(OutputFormat::tab_separated);
  std::string out;
  tsv.finish(out, Block{}, extremes_only);
  EXPECT_EQ(out, "\n0\t5\n1\t5\n");
}

TEST(OutputFormats, ResultWithoutColumnsPrintsNothing) {
  for (const OutputFormat f : {OutputFormat::json, OutputFormat::xml, OutputFormat::pretty, OutputFormat::vertical}) {
    BlockFormatter formatter(f);
    std::string out;
    formatter.finish(out, Block{}, ResultSummary{});
    EXPECT_EQ(out, "") << to_string(f);
  }
}

}  // namespace
}  // namespace chconn::text
