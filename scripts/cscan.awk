# cscan.awk: a small scanner of this code base's C (what scripts/check-fnlen
# and scripts/check-layers read; not a C parser).  For each input file it
# prints, tab-separated:
#   def   FILE NAME FIRST LAST STATIC   a function definition: FIRST is the
#                                       first line of its signature (after any
#                                       comment), LAST the line of its closing
#                                       brace; STATIC is 1 for a static one
#   decl  FILE NAME                     a prototype or extern object at file scope
#   obj   FILE NAME STATIC              an object defined at file scope
#   ref   FILE NAME                     an identifier used in code (once per file)
# Comments, string and character literals and preprocessor lines (with their
# continuations) are skipped, so braces in them do not count.  It assumes what
# the house style gives: a definition's body opens at file scope with its
# signature's ")" last before the "{" (on the same line or the next), whatever
# the number of signature lines and qualifiers (static inline, attributes).
BEGIN { OFS = "\t" }
FNR == 1 { reset_file() }

function reset_file() {
    incomment = 0; depth = 0; stmt = ""; stmt_first = 0; infn = 0; cont = 0
    delete seen
}

# the identifier before the first "(" of a declaration or signature, skipping
# __attribute__((...)) groups that may come before it
function name_of(s,    t, i, n, w) {
    t = s
    gsub(/__attribute__[ \t]*\(\([^()]*(\([^()]*\)[^()]*)*\)\)/, " ", t)
    i = index(t, "("); if (!i) return ""
    t = substr(t, 1, i - 1)
    sub(/[ \t]+$/, "", t)
    if (!match(t, /[A-Za-z_][A-Za-z0-9_]*$/)) return ""
    return substr(t, RSTART, RLENGTH)
}

# a top-level statement ended by ";": a prototype or an extern object
function end_statement(    t, n) {
    t = stmt
    if (t ~ /^[ \t]*typedef[ \t]/) { stmt = ""; stmt_first = 0; return }
    n = name_of(t)
    if (match(t, /\([ \t]*\*[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\)/)) {   # a function pointer
        n = substr(t, RSTART + 1, RLENGTH - 2); gsub(/[ \t*]/, "", n)
    }
    ext = (t ~ /^[ \t]*extern[ \t]/); st = (t ~ /(^|[ \t])static[ \t]/)
    if (t ~ /=/) {                              # an object with its initial value
        sub(/[ \t]*=.*/, "", t); obj = 1
    } else obj = (t !~ /\(/ || (t ~ /\([ \t]*\*/ && !ext && FILENAME ~ /\.c$/))
    if (!obj) { if (n != "") print "decl", FILENAME, n }
    else {
        if (t ~ /\([ \t]*\*/) name = n       # a function pointer
        else {
            while (sub(/\[[^]]*\][ \t]*$/, "", t)) ; sub(/[ \t]+$/, "", t)
            name = match(t, /[A-Za-z_][A-Za-z0-9_]*$/) ? substr(t, RSTART, RLENGTH) : ""
        }
        if (name == "" || t ~ /^[ \t]*(struct|union|enum)([ \t]+[A-Za-z_0-9]+)?[ \t]*$/) ;   # a type's definition
        else if (ext) print "decl", FILENAME, name
        else print "obj", FILENAME, name, st
    }
    stmt = ""; stmt_first = 0
}

function open_brace(    t) {
    if (depth == 0) {
        t = stmt
        gsub(/__attribute__[ \t]*\(\([^()]*(\([^()]*\)[^()]*)*\)\)/, " ", t)
        if (t ~ /\)[ \t]*$/ && t !~ /=/ && t ~ /\(/) {
            infn = 1; fn_name = name_of(t); fn_first = stmt_first ? stmt_first : FNR
            fn_static = (t ~ /(^|[ \t])static[ \t]/)
        }
    }
    depth++
}

function close_brace() {
    depth--
    if (depth == 0 && infn) {
        print "def", FILENAME, fn_name, fn_first, FNR, fn_static
        infn = 0; stmt = ""; stmt_first = 0
    }
}

# identifiers of a stretch of code, once per file
function refs(s,    w) {
    while (match(s, /[A-Za-z_][A-Za-z0-9_]*/)) {
        w = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
        if (!(w in seen)) { seen[w] = 1; print "ref", FILENAME, w }
    }
}

{
    line = $0; was_comment = incomment
    # code: the line without comments and literals
    code = ""; i = 1; L = length(line)
    while (i <= L) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (incomment) {
            if (c2 == "*/") { incomment = 0; i += 2 } else i++
            continue
        }
        if (c2 == "/*") { incomment = 1; code = code " "; i += 2; continue }
        if (c2 == "//") break
        if (c == "\"" || c == "'") {
            q = c; i++
            while (i <= L) {
                d = substr(line, i, 1)
                if (d == "\\") { i += 2; continue }
                i++
                if (d == q) break
            }
            code = code " 0 "
            continue
        }
        code = code c; i++
    }
    # preprocessor lines and their continuations (comments in them still count)
    if (cont || (!was_comment && line ~ /^[ \t]*#/)) { cont = (line ~ /\\$/); next }
    if (code ~ /^[ \t]*$/) next
    refs(code)
    # braces and statement ends, in order
    seg = code
    while (match(seg, /[{};]/)) {
        pre = substr(seg, 1, RSTART - 1); ch = substr(seg, RSTART, 1); seg = substr(seg, RSTART + 1)
        if (depth == 0) { if (stmt_first == 0 && pre !~ /^[ \t]*$/) stmt_first = FNR; stmt = stmt " " pre }
        if (ch == "{") { if (stmt_first == 0) stmt_first = FNR; open_brace() }
        else if (ch == "}") close_brace()
        else if (depth == 0) end_statement()
    }
    if (depth == 0 && seg !~ /^[ \t]*$/) { if (stmt_first == 0) stmt_first = FNR; stmt = stmt " " seg }
}
