/**
 * Test support: writes protobuf wire data (varints, fixed32 floats, length-delimited fields) so tests can build
 * small, exact SentencePiece models and malformed inputs. Not part of the package's public API.
 */

export type ProtoValue = { varint: number | bigint } | { float: number } | { bytes: Uint8Array | string } | { message: ProtoFieldList };

export type ProtoFieldList = [field: number, value: ProtoValue][];

function varint(v: bigint): number[] {
  // Negative int32/enum values are sign-extended to 64 bits (10 bytes), as protobuf does.
  let x = v < 0n ? (1n << 64n) + v : v;
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return out;
}

export function encodeProto(fields: ProtoFieldList): Uint8Array {
  const out: number[] = [];
  for (const [field, value] of fields) {
    if ('varint' in value) {
      out.push(...varint(BigInt(field * 8 + 0)), ...varint(BigInt(value.varint)));
    } else if ('float' in value) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, value.float, true);
      out.push(...varint(BigInt(field * 8 + 5)), ...b);
    } else {
      const body = 'message' in value ? encodeProto(value.message) : typeof value.bytes === 'string' ? new TextEncoder().encode(value.bytes) : value.bytes;
      out.push(...varint(BigInt(field * 8 + 2)), ...varint(BigInt(body.length)), ...body);
    }
  }
  return Uint8Array.from(out);
}
