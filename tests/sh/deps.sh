# scripts/deps: installs per package what its probe finds missing, and only that.
. "$FT_ROOT/tests/lib.sh"
deps=$FT_ROOT/scripts/deps
cd "$TMP"

# On this machine (the tests are running, so it is set up) nothing is missing.
out=$("$deps" --dry-run build test); rc=$?
check "deps: nothing to install on a set-up machine" [ $rc = 0 -a -z "$out" ]

# A fake apt-get records its calls and refuses the packages named in $REFUSE.
cat > apt <<'S'
#!/bin/sh
echo "$*" >> "$APT_LOG"
[ "$1" = update ] && exit 0
for p in "$@"; do case " $REFUSE " in *" $p "*) exit 100 ;; esac; done
for p in "$@"; do : > "${APT_LOG%/*}/installed-$p"; done
S
chmod +x apt
export FT_DEPS_APT=$TMP/apt APT_LOG=$TMP/apt.log FT_DEPS_TABLE=$TMP/table
touch present.h
cat > table <<S
build pkg-here f:$TMP/present.h
build pkg-cc   c:sh
build lib-a    f:$TMP/installed-lib-a
build lib-b    f:$TMP/installed-lib-b c:sh
test  nodejs   c:sh
test  npm      c:ft-no-such-command
test  ref-x    py:ft_no_such_module f:$TMP/installed-ref-x
demo  data-y   f:$TMP/installed-data-y
S

# Dry run: one line per missing package, nothing run.
"$FT_ROOT/scripts/deps" --dry-run > dry; rc=$?
check "deps --dry-run exits 0" [ $rc = 0 ]
check "deps --dry-run lists exactly the missing packages" \
    [ "$(cut -d' ' -f2 dry | tr '\n' ' ')" = "lib-a lib-b npm ref-x data-y " ]
check "deps --dry-run names the probe that failed" grep -q "^install npm (test; missing c:ft-no-such-command)" dry
check "deps --dry-run runs no apt-get" [ ! -e apt.log ]

# A present command or header satisfies its package: no apt call for it.
: > apt.log
REFUSE="" "$deps" build test > /dev/null 2>&1; rc=$?
check "deps: installs what is missing (exit 0)" [ $rc = 0 ]
check "deps: build packages in one call" grep -qx "install -y --no-install-recommends lib-a lib-b" apt.log
check "deps: test packages one by one" [ "$(grep -c '^install' apt.log)" = 3 ]
check "deps: packages already there are not asked for" sh -c '! grep -qE "pkg-here|pkg-cc|nodejs" apt.log'
check "deps: group filter (no demo packages for build test)" sh -c '! grep -q data-y apt.log'

# One test-only package that apt refuses (nodejs: Conflicts: npm) does not
# stop the others, and the run succeeds: the build packages are in.
rm -f installed-*; : > apt.log
REFUSE="npm" "$deps" build test > out 2> err; rc=$?
check "deps: a refused test package is skipped (exit 0)" [ $rc = 0 ]
check "deps: it says which package it skipped" grep -q "could not install npm" err
check "deps: the next test package is still installed" grep -qx "install -y --no-install-recommends ref-x" apt.log

# A build package apt refuses fails the run, naming it.
rm -f installed-*; : > apt.log
REFUSE="lib-b" "$deps" build > out 2> err; rc=$?
check "deps: a refused build package fails" [ $rc != 0 ]
check "deps: the failure names the build packages" grep -q "could not install the build packages: lib-a lib-b" err
check "deps: apt was retried after an update" grep -qx "update -qq" apt.log
