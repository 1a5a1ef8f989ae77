"""Decodes the batches Kafka Lab encodes with kafka-python, an independent client.

Reads JSON lines {"name", "hex", "expect"} (from `cargo run --example wire_batches`) on
stdin or from the file given. For each batch: DefaultRecordBatch must accept it,
validate_crc() must hold, every header field and every record's offset, timestamp, key
and value must equal "expect", and nothing may be left over. Batches kafka-python's own
builder can write (no compression, leader epoch 0, base offset 0, not control) are
rebuilt with it and compared byte for byte. Exits 1 on any mismatch.
"""

import json
import sys

import kafka
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

HEADER_FIELDS = [
    "base_offset", "leader_epoch", "magic", "compression_type", "timestamp_type",
    "is_transactional", "is_control_batch", "last_offset_delta", "first_timestamp",
    "max_timestamp", "producer_id", "producer_epoch", "base_sequence", "records_count",
    "size_in_bytes",
]


def unhex(h):
    return None if h is None else bytes.fromhex(h)


def check(case):
    """Returns the list of problems with one batch (empty when it matches)."""
    problems = []
    data = bytes.fromhex(case["hex"])
    expect = case["expect"]
    batch = DefaultRecordBatch(data)
    if not batch.validate_crc():
        problems.append("CRC-32C does not validate")
    for field in HEADER_FIELDS:
        got = getattr(batch, field)
        if got != expect[field]:
            problems.append(f"{field}: got {got!r}, expected {expect[field]!r}")
    if batch.size_in_bytes != len(data):
        problems.append(f"batchLength covers {batch.size_in_bytes} bytes of {len(data)}")
    records = list(batch)  # also raises on bytes left over after the last record
    if len(records) != len(expect["records"]):
        problems.append(f"{len(records)} records, expected {len(expect['records'])}")
    for i, (got, want) in enumerate(zip(records, expect["records"])):
        for field in ("offset", "timestamp"):
            if getattr(got, field) != want[field]:
                problems.append(f"record {i} {field}: {getattr(got, field)!r} != {want[field]!r}")
        for field in ("key", "value"):
            if getattr(got, field) != unhex(want[field]):
                problems.append(f"record {i} {field} differs")
        if got.headers:
            problems.append(f"record {i} has headers {got.headers!r}")
        if expect["is_control_batch"] and not (got.version == 0 and got.commit):
            problems.append(f"record {i} is not a version 0 commit marker")
    if (expect["compression_type"] == 0 and expect["leader_epoch"] == 0
            and expect["base_offset"] == 0 and not expect["is_control_batch"]):
        builder = DefaultRecordBatchBuilder(
            magic=2, compression_type=0, is_transactional=expect["is_transactional"],
            producer_id=expect["producer_id"], producer_epoch=expect["producer_epoch"],
            base_sequence=expect["base_sequence"], batch_size=len(data))
        for want in expect["records"]:
            builder.append(want["offset"], want["timestamp"], unhex(want["key"]),
                           unhex(want["value"]), [])
        if bytes(builder.build()) != data:
            problems.append("kafka-python's builder writes different bytes")
    return problems


def main():
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    checked = failed = 0
    codecs = set()
    for line in source:
        if not line.strip():
            continue
        case = json.loads(line)
        checked += 1
        try:
            problems = check(case)
        except Exception as e:  # a decoder that throws is a mismatch too
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            failed += 1
            print(f"FAIL {case['name']}")
            for p in problems:
                print(f"    {p}")
        else:
            codecs.add(case["expect"]["compression_type"])
    print(f"kafka-python {kafka.__version__}: {checked} batches checked, "
          f"codecs {sorted(codecs)} decoded")
    print(f"{checked - failed} passed, {failed} failed")
    if checked == 0 or failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
