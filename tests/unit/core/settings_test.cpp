// Settings: an ordered name → value list with replace-in-place semantics.
#include "chconn/core/settings.h"

#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace chconn {
namespace {

std::vector<std::string> names(const Settings& s) {
  std::vector<std::string> out;
  for (const auto& item : s) out.push_back(item.name);
  return out;
}

TEST(Settings, StartsEmpty) {
  const Settings s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.begin(), s.end());
  EXPECT_FALSE(s.get("max_threads").has_value());
}

TEST(Settings, SetAndGet) {
  Settings s;
  s.set("max_threads", "4").set("readonly", "1", true);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.get("max_threads"), "4");
  EXPECT_EQ(s.get("readonly"), "1");
  EXPECT_FALSE(s.get("MAX_THREADS").has_value());  // names are case-sensitive, as on the server
  EXPECT_FALSE(s.begin()->important);
  EXPECT_TRUE(std::next(s.begin())->important);
}

TEST(Settings, SetReplacesInPlace) {
  Settings s{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  s.set("b", "20", true);
  EXPECT_EQ(names(s), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.get("b"), "20");
  EXPECT_TRUE(std::next(s.begin())->important);
  s.set("b", "21");  // importance is replaced too
  EXPECT_FALSE(std::next(s.begin())->important);
  EXPECT_EQ(s.size(), 3u);
}

TEST(Settings, InitializerListKeepsFirstPositionLastValue) {
  const Settings s{{"a", "1"}, {"b", "2"}, {"a", "3", true}};
  EXPECT_EQ(names(s), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.get("a"), "3");
  EXPECT_TRUE(s.begin()->important);
}

TEST(Settings, EmptyValuesAreValues) {
  Settings s;
  s.set("log_comment", "");
  ASSERT_TRUE(s.get("log_comment").has_value());
  EXPECT_EQ(*s.get("log_comment"), "");
}

TEST(Settings, Merge) {
  Settings base{{"a", "1"}, {"b", "2"}};
  const Settings over{{"b", "20", true}, {"c", "30"}};
  base.merge(over);
  EXPECT_EQ(names(base), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(base.get("a"), "1");
  EXPECT_EQ(base.get("b"), "20");
  EXPECT_EQ(base.get("c"), "30");
  EXPECT_TRUE(std::next(base.begin())->important);
  EXPECT_EQ(over.size(), 2u);  // the source is untouched

  Settings self{{"x", "1"}};
  self.merge(Settings{});
  EXPECT_EQ(self, (Settings{{"x", "1"}}));
}

TEST(Settings, Erase) {
  Settings s{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_TRUE(s.erase("b"));
  EXPECT_FALSE(s.erase("b"));
  EXPECT_FALSE(s.erase("zzz"));
  EXPECT_EQ(names(s), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(s.erase("a"));
  EXPECT_TRUE(s.erase("c"));
  EXPECT_TRUE(s.empty());
}

TEST(Settings, EqualityIsOrderAndImportanceSensitive) {
  EXPECT_EQ((Settings{{"a", "1"}, {"b", "2"}}), (Settings{{"a", "1"}, {"b", "2"}}));
  EXPECT_NE((Settings{{"a", "1"}, {"b", "2"}}), (Settings{{"b", "2"}, {"a", "1"}}));
  EXPECT_NE((Settings{{"a", "1"}}), (Settings{{"a", "2"}}));
  EXPECT_NE((Settings{{"a", "1"}}), (Settings{{"a", "1", true}}));
  EXPECT_EQ(Settings{}, Settings{});
}

TEST(Settings, ValidNames) {
  EXPECT_TRUE(is_valid_setting_name("max_threads"));
  EXPECT_TRUE(is_valid_setting_name("allow_experimental_analyzer"));
  EXPECT_TRUE(is_valid_setting_name("X"));
  EXPECT_TRUE(is_valid_setting_name("_"));
  EXPECT_TRUE(is_valid_setting_name("max_bytes_before_external_group_by2"));
  EXPECT_TRUE(is_valid_setting_name(std::string(256, 'a')));

  EXPECT_FALSE(is_valid_setting_name(""));
  EXPECT_FALSE(is_valid_setting_name(std::string(257, 'a')));
  for (const char* bad : {"max-threads", "max threads", "a.b", "a=b", "a;DROP", "\xc3\xa9t\xc3\xa9", "a\n"}) {
    EXPECT_FALSE(is_valid_setting_name(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_setting_name(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace chconn
