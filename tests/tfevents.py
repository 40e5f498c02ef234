"""An independent reader of TensorBoard event files, written from the TFRecord
and Event specifications (struct and a hand protobuf decoder; no protobuf
library), for the tests to check what ft-train --report-to tensorboard wrote.

TFRecord: u64 length (LE), u32 masked CRC-32C of those 8 bytes, data,
u32 masked CRC-32C of the data; mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
Event (tensorboard/compat/proto/event.proto): 1 wall_time double,
2 step int64, 3 file_version string, 5 summary Summary.  Summary: 1 repeated
Value; Value: 1 tag string, 2 simple_value float.

  python3 tfevents.py FILE   prints one JSON line per event
"""
import json
import struct
import sys

_TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283      # the standard check value


def masked(c):
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(blob):
    """The data of each TFRecord; raises ValueError on a bad length or CRC."""
    pos = 0
    while pos < len(blob):
        if pos + 12 > len(blob):
            raise ValueError("truncated record header at %d" % pos)
        head = blob[pos:pos + 8]
        (n,) = struct.unpack("<Q", head)
        (hcrc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if hcrc != masked(crc32c(head)):
            raise ValueError("bad length CRC at %d" % pos)
        if pos + 12 + n + 4 > len(blob):
            raise ValueError("truncated record at %d" % pos)
        data = blob[pos + 12:pos + 12 + n]
        (dcrc,) = struct.unpack("<I", blob[pos + 12 + n:pos + 16 + n])
        if dcrc != masked(crc32c(data)):
            raise ValueError("bad data CRC at %d" % pos)
        yield data
        pos += 16 + n


def varint(b, pos):
    v = shift = 0
    while True:
        x = b[pos]
        pos += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, pos


def fields(b):
    """(field number, wire type, value) of each field of a message."""
    pos = 0
    while pos < len(b):
        key, pos = varint(b, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = varint(b, pos)
        elif wt == 1:
            v, pos = b[pos:pos + 8], pos + 8
        elif wt == 2:
            n, pos = varint(b, pos)
            v, pos = b[pos:pos + n], pos + n
        elif wt == 5:
            v, pos = b[pos:pos + 4], pos + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def event(data):
    ev = {"wall_time": 0.0, "step": 0}
    for num, wt, v in fields(data):
        if num == 1 and wt == 1:
            ev["wall_time"] = struct.unpack("<d", v)[0]
        elif num == 2 and wt == 0:
            ev["step"] = v - (1 << 64) if v >= 1 << 63 else v
        elif num == 3 and wt == 2:
            ev["file_version"] = v.decode()
        elif num == 5 and wt == 2:
            ev["values"] = []
            for n2, w2, val in fields(v):
                if n2 != 1 or w2 != 2:
                    continue
                item = {}
                for n3, w3, x in fields(val):
                    if n3 == 1 and w3 == 2:
                        item["tag"] = x.decode()
                    elif n3 == 2 and w3 == 5:
                        item["simple_value"] = struct.unpack("<f", x)[0]
                ev["values"].append(item)
    return ev


def read(path):
    with open(path, "rb") as f:
        return [event(d) for d in records(f.read())]


if __name__ == "__main__":
    for e in read(sys.argv[1]):
        print(json.dumps(e))
