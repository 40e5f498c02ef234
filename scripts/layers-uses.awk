# layers-uses.awk: the arrows of lib/ that includes do not show, read from
# scripts/cscan.awk's records (run by scripts/check-layers, map = layers.txt).
# Fails (exit 1) on
#  - a file that uses a function or object defined in a higher layer;
#  - a header that declares what a file of a higher layer defines;
#  - modules that use each other in a circle (printed with one name per arrow),
#    unless a "circle: MODULE..." line of the map names all of them.
BEGIN {
    FS = OFS = "\t"
    while ((getline line < map) > 0) {
        if (line ~ /^[[:space:]]*(#|$)/) continue
        if (line ~ /^circle:/) {            # a known circle, to be undone: tolerated
            sub(/^circle:/, "", line); sub(/#.*/, "", line); ncircle++
            n = split(line, mods, " ")
            for (i = 1; i <= n; i++) tolerated[ncircle, mods[i]] = 1
            continue
        }
        split(line, kv, ":"); layer = kv[1]; rank[layer] = ++nl
        n = split(kv[2], mods, " ")
        for (i = 1; i <= n; i++) of[mods[i]] = layer
    }
}
function module(f,    m) { m = f; sub(/.*\//, "", m); sub(/\.[ch]$/, "", m); return m }
# what the rest of lib/ can link to: non-static definitions in .c files
($1 == "def" && $6 == 0 || $1 == "obj" && $4 == 0) && $2 ~ /\.c$/ { defd[$3] = $2 }
$1 == "def" || $1 == "obj" { own[$2, $3] = 1 }
$1 == "decl" { ndecl++; dfile[ndecl] = $2; dname[ndecl] = $3; declared[$2, $3] = 1 }
$1 == "ref" { nref++; rfile[nref] = $2; rname[nref] = $3 }
END {
    for (i = 1; i <= ndecl; i++) {
        f = dfile[i]; n = dname[i]; h = module(f)
        if (f !~ /\.h$/ || !(n in defd) || !(h in of)) continue
        d = module(defd[n])
        if ((d in of) && rank[of[d]] > rank[of[h]]) {
            printf "%s (%s) declares %s, defined in %s (%s): move the definition down or the declaration up\n", f, of[h], n, defd[n], of[d]
            bad = 1
        }
    }
    for (i = 1; i <= nref; i++) {
        f = rfile[i]; n = rname[i]; a = module(f)
        if (!(n in defd) || ((f, n) in own) || ((f, n) in declared) && f ~ /\.h$/) continue
        b = module(defd[n])
        if (a == b || !(a in of) || !(b in of)) continue
        if (rank[of[b]] > rank[of[a]]) {
            printf "%s (%s) uses %s of %s (%s): a lower layer may not reach up\n", f, of[a], n, defd[n], of[b]
            bad = 1
        }
        if (!((a, b) in edge)) { edge[a, b] = n; nout[a]++; out[a, nout[a]] = b; mods_[a] = 1; mods_[b] = 1 }
    }
    # circles: strongly connected components of the module graph (Tarjan)
    idx = 0; top = 0
    for (m in mods_) if (!(m in index_)) strong(m)
    exit bad
}
function strong(v,    i, w, c, first, path) {
    index_[v] = low[v] = ++idx; stack[++top] = v; onstack[v] = 1
    for (i = 1; i <= nout[v]; i++) {
        w = out[v, i]
        if (!(w in index_)) { strong(w); if (low[w] < low[v]) low[v] = low[w] }
        else if (onstack[w] && index_[w] < low[v]) low[v] = index_[w]
    }
    if (low[v] != index_[v]) return
    c = 0; delete comp
    do { w = stack[top--]; onstack[w] = 0; comp[w] = 1; c++ } while (w != v)
    if (c < 2 || known_circle()) return
    path = ""
    for (w in comp) for (i = 1; i <= nout[w]; i++)
        if (out[w, i] in comp) path = path sprintf("\n    %s uses %s of %s", w, edge[w, out[w, i]], out[w, i])
    printf "modules in a circle (one may use the other, not both):%s\n", path
    bad = 1
}
# are the modules in comp all on one "circle:" line of the map?
function known_circle(    k, w, all) {
    for (k = 1; k <= ncircle; k++) {
        all = 1
        for (w in comp) if (!((k, w) in tolerated)) { all = 0; break }
        if (all) return 1
    }
    return 0
}
