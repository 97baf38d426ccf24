import { describe, expect, it } from 'vitest';
import { ProtobufError, ProtobufReader } from './protobuf-reader.js';
import { encodeProto } from '../test-support/protobuf-writer.js';

describe('ProtobufReader', () => {
  it('reads hand-encoded bytes: varint 150 in field 1 is 08 96 01 (protobuf docs example)', () => {
    const r = new ProtobufReader(Uint8Array.of(0x08, 0x96, 0x01));
    expect(r.next()).toBe(true);
    expect([r.field, r.wireType]).toEqual([1, 0]);
    expect(r.uint()).toBe(150);
    expect(r.next()).toBe(false);
  });

  it('reads negative int32 (10-byte sign-extended varints), floats, strings, nested messages, and skips', () => {
    const bytes = encodeProto([
      [43, { varint: -1 }],
      [2, { float: -1.5 }],
      [7, { bytes: 'héllo' }],
      [
        3,
        {
          message: [
            [1, { varint: 5 }],
            [2, { bytes: 'x' }],
          ],
        },
      ],
      [9, { varint: 2n ** 40n }],
      [4, { varint: 1 }],
    ]);
    const r = new ProtobufReader(bytes);
    const seen: unknown[] = [];
    while (r.next()) {
      if (r.field === 43) seen.push(r.int32());
      else if (r.field === 2) seen.push(r.float());
      else if (r.field === 7) seen.push(r.string());
      else if (r.field === 3) {
        const m = r.message();
        m.next();
        seen.push(m.uint());
        // field 2 of the nested message is left unread: next() skips it
        expect(m.next()).toBe(true);
        expect(m.next()).toBe(false);
      } else if (r.field === 9) seen.push(r.uint());
      else if (r.field === 4) seen.push(r.bool());
    }
    expect(seen).toEqual([-1, -1.5, 'héllo', 5, 2 ** 40, true]);
  });

  it('rejects truncated and malformed data with the byte offset', () => {
    const len = encodeProto([[1, { bytes: 'abcdef' }]]);
    const r = new ProtobufReader(len.subarray(0, 5));
    r.next();
    expect(() => r.string()).toThrow(/length 6 runs past the end \(3 bytes left\) at byte 1/);
    expect(() => {
      const t = new ProtobufReader(Uint8Array.of(0x08, 0x96));
      t.next();
      t.uint();
    }).toThrow(ProtobufError);
    expect(() => new ProtobufReader(Uint8Array.of(0x0b)).next()).toThrow(/unsupported wire type 3/);
    expect(() => new ProtobufReader(Uint8Array.of(0x00)).next()).toThrow(/field number 0/);
    const wrongType = new ProtobufReader(encodeProto([[1, { varint: 1 }]]));
    wrongType.next();
    expect(() => wrongType.float()).toThrow(/field 1 has wire type 0, expected 5/);
    const badUtf8 = new ProtobufReader(encodeProto([[1, { bytes: Uint8Array.of(0xff) }]]));
    badUtf8.next();
    expect(() => badUtf8.string()).toThrow(/not valid UTF-8/);
    expect(() => new ProtobufReader(Uint8Array.of(1), 0, 2)).toThrow(/start\/end: expected 0 <= start <= end <= 1, got 0\.\.2/);
  });
});
