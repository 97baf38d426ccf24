/**
 * A minimal protobuf wire-format reader: enough to walk a SentencePiece `ModelProto` without a protobuf library.
 * It reads one message (a byte range) field by field; nested messages are read by a new reader over their bytes.
 */
import { DassError, InvalidArgumentError } from '@dass/errors';

export type WireType = 0 | 1 | 2 | 5;

/** Thrown for malformed wire data (code `DASS_FILE_FORMAT`); `offset` is the byte position in the whole buffer. */
export class ProtobufError extends DassError {
  constructor(
    readonly offset: number,
    problem: string,
  ) {
    super('DASS_FILE_FORMAT', `protobuf: ${problem} at byte ${offset}`);
    this.name = 'ProtobufError';
  }
}

// fatal: malformed UTF-8 is an error; ignoreBOM: a string that starts with U+FEFF keeps it (LLaMA-2 piece 30143 is
// exactly the bytes EF BB BF; a default TextDecoder would read it as "").
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ProtobufReader {
  private pos: number;
  /** Field number of the field just read by `next()`. */
  field = 0;
  /** Wire type of the field just read by `next()`. */
  wireType: WireType = 0;
  private valueRead = true;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', `expected a Uint8Array, got ${typeof bytes}`);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > bytes.length || start > end) {
      throw new RangeError(`start/end: expected 0 <= start <= end <= ${bytes.length}, got ${start}..${end}`);
    }
    this.pos = start;
  }

  /** Moves to the next field (skipping the previous one's value if it was not read); false at the end. */
  next(): boolean {
    if (!this.valueRead) this.skip();
    if (this.pos >= this.end) return false;
    const tagAt = this.pos;
    const tag = this.readVarint();
    const field = Math.floor(tag.value / 8);
    const wireType = tag.low & 7;
    if (field === 0) throw new ProtobufError(tagAt, 'field number 0');
    if (wireType !== 0 && wireType !== 1 && wireType !== 2 && wireType !== 5) {
      throw new ProtobufError(tagAt, `unsupported wire type ${wireType} (field ${field})`);
    }
    this.field = field;
    this.wireType = wireType;
    this.valueRead = false;
    return true;
  }

  /** A varint field as a signed 32-bit integer (protobuf int32/enum: negatives are sign-extended 64-bit). */
  int32(): number {
    this.expect(0);
    return this.readVarint().low | 0;
  }

  /** A varint field as a non-negative integer (uint32/uint64 up to 2^53). */
  uint(): number {
    this.expect(0);
    const at = this.pos;
    const v = this.readVarint();
    if (!Number.isSafeInteger(v.value)) throw new ProtobufError(at, 'varint exceeds 2^53');
    return v.value;
  }

  bool(): boolean {
    this.expect(0);
    return this.readVarint().value !== 0;
  }

  /** A fixed32 field as a little-endian IEEE float. */
  float(): number {
    this.expect(5);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4);
    this.pos += 4;
    return view.getFloat32(0, true);
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytesValue(): Uint8Array {
    this.expect(2);
    const { start, end } = this.readLength();
    return this.bytes.subarray(start, end);
  }

  /**
   * A length-delimited field as UTF-8 text, byte for byte (a leading U+FEFF is kept; malformed UTF-8 is an error, as
   * protobuf strings must be valid).
   */
  string(): string {
    const at = this.pos;
    try {
      return utf8.decode(this.bytesValue());
    } catch (e) {
      if (e instanceof ProtobufError) throw e;
      throw new ProtobufError(at, `field ${this.field} is not valid UTF-8`);
    }
  }

  /** A length-delimited field as a nested message reader. */
  message(): ProtobufReader {
    this.expect(2);
    const { start, end } = this.readLength();
    return new ProtobufReader(this.bytes, start, end);
  }

  /** Skips the current field's value. */
  skip(): void {
    if (this.valueRead) return;
    this.valueRead = true;
    switch (this.wireType) {
      case 0:
        this.readVarint();
        break;
      case 1:
        this.advance(8);
        break;
      case 2:
        this.readLength();
        break;
      case 5:
        this.advance(4);
        break;
    }
  }

  private expect(wireType: WireType): void {
    if (this.valueRead) throw new ProtobufError(this.pos, 'value read twice or before next()');
    if (this.wireType !== wireType) {
      throw new ProtobufError(this.pos, `field ${this.field} has wire type ${this.wireType}, expected ${wireType}`);
    }
    this.valueRead = true;
    if (wireType === 5) this.ensure(4);
  }

  private ensure(n: number): void {
    if (this.pos + n > this.end) throw new ProtobufError(this.pos, `${n} bytes needed, ${this.end - this.pos} left`);
  }

  private advance(n: number): void {
    this.ensure(n);
    this.pos += n;
  }

  private readLength(): { start: number; end: number } {
    const at = this.pos;
    const v = this.readVarint();
    if (v.value > this.end - this.pos) {
      throw new ProtobufError(at, `length ${v.value} runs past the end (${this.end - this.pos} bytes left)`);
    }
    const start = this.pos;
    this.pos += v.value;
    return { start, end: this.pos };
  }

  /** Reads a varint: `low` = its low 32 bits (unsigned), `value` = the whole value as a double. */
  private readVarint(): { low: number; value: number } {
    const at = this.pos;
    let low = 0;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError(at, 'truncated varint');
      const b = this.bytes[this.pos++];
      const bits = b & 0x7f;
      if (i < 4) low |= bits << (7 * i);
      else if (i === 4) low |= (bits & 0x0f) << 28;
      value += bits * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return { low: low >>> 0, value };
    }
    throw new ProtobufError(at, 'varint longer than 10 bytes');
  }
}
