#!/usr/bin/python3
"""Reading and writing ft streams from Python with plain msgpack (and zstandard
and xxhash for compression and the trailer's checksum): no ft code involved.
The format is docs/stream-format.md: a header map, one map per record, a
trailer {"ft_trailer": {"count", "checksum"}}; a tensor is a map {dtype, shape,
data}, or for a 1-D tensor (stream version 2) the one-entry map {dtype: data};
its dtype says how to read data, so it is read from the map, never assumed
(ft-tokenize writes u16 ids and u8 masks, i32 only for large vocabularies).

  ftstream.py stats FILE        prints one JSON line about a token stream
  ftstream.py dedupe IN OUT     writes OUT (zstd-compressed when it ends in
                                .ftz) with IN's records minus repeated texts,
                                keeping IN's header so ft-train can check the
                                tokenizer
"""
import json
import os
import struct
import sys

import msgpack
import xxhash
import zstandard

# struct codes of the stream dtypes; bf16 is read as the top half of an f32
DTYPES = {"i32": "i", "i64": "q", "f32": "f", "f16": "e", "u8": "B", "u16": "H",
          "i16": "h", "i8": "b", "bf16": "H"}


def tensor_parts(t):
    """(dtype, data bytes) of a tensor map in either form."""
    if set(t) == {"dtype", "shape", "data"}:
        return t["dtype"], t["data"]
    (dtype, data), = t.items()  # the 1-D form {dtype: data}
    return dtype, data


def tensor_values(t):
    """The elements of a tensor map as a flat list of numbers."""
    dtype, data = tensor_parts(t)
    code = DTYPES[dtype]
    n = len(data) // struct.calcsize(code)
    vals = struct.unpack("<%d%s" % (n, code), data)
    if dtype == "bf16":
        vals = [struct.unpack("<f", struct.pack("<I", v << 16))[0] for v in vals]
    return list(vals)


def read_stream(path):
    """Yields (header, record) for every record; checks each trailer's count
    and checksum and fails on a stream cut short, as ft's own reader does."""
    raw = open(path, "rb").read()
    if raw[:4] == b"\x28\xb5\x2f\xfd":  # zstd magic
        raw = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True).read()
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(raw)
    header, digest, count, start = None, None, 0, 0
    for frame in unpacker:
        end = unpacker.tell()
        if header is None:
            if not (isinstance(frame, dict) and frame.get("format") == "ft"):
                sys.exit("%s: not an ft stream" % path)
            header, digest, count = frame, xxhash.xxh3_64(), 0
        elif isinstance(frame, dict) and list(frame) == ["ft_trailer"]:
            t = frame["ft_trailer"]
            if t["count"] != count or t["checksum"] != digest.hexdigest():
                sys.exit("%s: trailer does not match the records" % path)
            header = None  # another stream may follow (concatenated files)
        else:
            digest.update(raw[start:end])
            count += 1
            yield header, frame
        start = end
    if header is not None:
        sys.exit("%s: truncated stream after %d records" % (path, count))


def write_stream(path, header, records):
    """Writes header, records and a trailer; zstd-compressed if path ends in
    .ftz.  Written to path.tmp first and renamed, so no half file remains."""
    digest, count = xxhash.xxh3_64(), 0
    with open(path + ".tmp", "wb") as f:
        out = zstandard.ZstdCompressor().stream_writer(f) if path.endswith(".ftz") else f
        out.write(msgpack.packb(header, use_bin_type=True))
        for rec in records:
            frame = msgpack.packb(rec, use_bin_type=True)
            digest.update(frame)
            count += 1
            out.write(frame)
        out.write(msgpack.packb({"ft_trailer": {"count": count, "checksum": digest.hexdigest()}}))
        if out is not f:
            out.flush(zstandard.FLUSH_FRAME)
    os.replace(path + ".tmp", path)
    return count


def stats(path):
    n, tokens, dtypes, header = 0, 0, {}, None
    for header, rec in read_stream(path):
        n += 1
        ids = rec["input_ids"]
        dtype = tensor_parts(ids)[0]
        dtypes[dtype] = dtypes.get(dtype, 0) + 1
        tokens += sum(1 for m in tensor_values(rec["attention_mask"]) if m) if "attention_mask" in rec \
            else len(tensor_values(ids))
    print(json.dumps({"kind": header and header["kind"], "records": n, "tokens": tokens,
                      "input_ids_dtypes": dtypes,
                      "tokenizer": header and header.get("tokenizer", {}).get("name")}))


def dedupe(src, dst):
    seen, kept, n, header = set(), [], 0, None
    for header, rec in read_stream(src):
        n += 1
        key = tuple(tensor_values(rec["input_ids"]))
        if key not in seen:
            seen.add(key)
            kept.append(rec)
    header = dict(header, producer={"tool": "ftstream.py", "args": sys.argv[1:]})
    print(json.dumps({"read": n, "written": write_stream(dst, header, kept)}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "stats":
        stats(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "dedupe":
        dedupe(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
