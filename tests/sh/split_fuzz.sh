# ft-split's own CSV scanner against lib/io/reader.c (libcsv), on random CSV full
# of quotes, blanks, CRLF, quoted line breaks, ragged rows and bad UTF-8: the
# rows it copies must read back as the same records, and what it refuses it
# must refuse with the reader's message, place included; converted to JSONL,
# they must be the records ft-cat shows.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
/usr/bin/python3 - "${FUZZ_CASES:-150}" <<'P'
import random, subprocess, sys
random.seed(20261129)
fails = 0
for case in range(int(sys.argv[1])):
    rows = ["h1,h2\n"]
    for r in range(random.randint(2, 6)):
        fields = []
        for c in range(2 if random.random() < 0.9 else random.choice([1, 3])):
            k = random.random()
            if k < 0.4:
                fields.append('"' + "".join(random.choice(["a", '""', ",", "\n", " ", "\r\n"])
                                            for _ in range(random.randint(0, 4))) + '"')
            elif k < 0.5:
                fields.append(' "a\nb"')
            elif k < 0.6:
                fields.append('"a"' + random.choice(["b", " ", '"', "  "]))
            else:
                fields.append("".join(random.choice(["a", "b", " ", '"', "中"]) for _ in range(random.randint(0, 3))))
        rows.append(",".join(fields) + random.choice(["\n", "\r\n", "\n\n", "  \n"]))
    data = bytearray("".join(rows).encode())
    if random.random() < 0.2:
        k = random.randrange(6, len(data))
        if data[k] not in (10, 13):
            data[k] = random.choice([0xFF, 0xE4, 0x80])
    open("in.csv", "wb").write(data)
    ref = subprocess.run(["ft-cat", "in.csv"], capture_output=True)
    got = subprocess.run(["ft-split", "--no-shuffle", "--test-size", "1", "--train", "a.csv",
                          "--test", "b.csv", "in.csv"], capture_output=True)
    if b"number of samples 1 " in got.stderr:
        continue                                  # one row cannot be split
    if ref.returncode or got.returncode:
        same = ref.stderr.split(b": ", 1)[-1] == got.stderr.split(b": ", 1)[-1]
    else:
        back = subprocess.run(["ft-cat", "a.csv", "b.csv"], capture_output=True)
        conv = subprocess.run(["ft-split", "--no-shuffle", "--test-size", "1", "--train", "a.jsonl",
                               "--test", "b.jsonl", "in.csv"], capture_output=True)
        same = back.stdout == ref.stdout and open("a.jsonl", "rb").read() + open("b.jsonl", "rb").read() == ref.stdout
    if not same:
        fails += 1
        if fails <= 3:
            print("  input:", bytes(data), "\n  ft-cat:", ref.stderr, "\n  ft-split:", got.stderr)
print("ok csv_scanner_agrees_with_reader" if fails == 0 else f"FAIL csv_scanner_agrees_with_reader ({fails} cases)")
P
