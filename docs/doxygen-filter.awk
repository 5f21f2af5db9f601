# Doxygen input filter for chconn's public headers (docs/CMakeLists.txt runs it on include/chconn/*.h).
#
# The headers are commented the way STYLE.md asks, with plain `//` comments: a block at the top of
# each file saying what it is for, its thread safety and an example, and a comment before or after
# each declaration. Doxygen reads only its own comment forms, so this filter rewrites them on the
# way in (the files themselves stay as they are):
#   the leading block of `//` lines        ->  /** \file ... */  (the file's documentation), with
#                                              its indented runs (examples, tables) as \code blocks
#   a line `// text` before a declaration  ->  /// text
#   `declaration;  // text` on one line    ->  declaration;  ///< text
function end_code() {
  if (in_code) { print " * \\endcode"; in_code = 0 }
}
{
  line = $0
  if (!past_header) {
    if (line ~ /^\/\/( |$)/) {
      sub(/^\/\/ ?/, "", line)
      gsub(/\*\//, "* /", line)  # a "*/" in the text would end the comment block
      gsub(/\\/, "\\\\\\\\", line)  # a backslash is text ("\N", "\t"), not a doxygen command
      if (!in_header) { print "/** \\file"; in_header = 1 }
      if (line ~ /^  /) {
        if (!in_code) { print " * \\code"; in_code = 1 }
      } else if (line != "") {
        end_code()
      }
      print " * " line
      next
    }
    if (in_header) { end_code(); print " */" }
    past_header = 1
  }
  if (line ~ /^[ \t]*\/\/( |$)/) {
    gsub(/\\/, "\\\\\\\\", line)
    sub(/\/\//, "///", line)
  } else if (match(line, /[;,{}][ \t]+\/\/ /) && substr(line, 1, RSTART) !~ /"/) {
    # (not when a string precedes the "//": it might be inside the string)
    split_at = RSTART + 1
    comment = substr(line, RSTART + RLENGTH)
    gsub(/\\/, "\\\\\\\\", comment)
    line = substr(line, 1, split_at - 1) "  ///< " comment
  }
  print line
}
END { if (in_header && !past_header) { end_code(); print " */" } }
