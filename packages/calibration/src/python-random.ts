/**
 * CPython's `random.Random` (MT19937) reproduced bit for bit, so a seed picks the same calibration windows here as
 * in the Python reference tools (Wanda/SparseGPT/DaSS call `random.seed(seed)` then `random.randint`).
 * Follows Modules/_randommodule.c (init_genrand, init_by_array, random_seed for ints, genrand_uint32,
 * random_random, getrandbits) and Lib/random.py (_randbelow_with_getrandbits, randrange/randint).
 */
import { InvalidArgumentError } from '@dass/errors';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

function isIntegerLike(x: unknown): x is number | bigint {
  return typeof x === 'bigint' || (typeof x === 'number' && Number.isSafeInteger(x));
}

function describe(x: unknown): string {
  return typeof x === 'bigint' ? `${x}n` : typeof x === 'string' ? JSON.stringify(x) : String(x);
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** `random.Random(seed)`: seeds at once (seed 0 when omitted, unlike Python, which would use OS entropy). */
  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /**
   * `random.seed(int)`: the absolute value is split into 32-bit words (least significant first; 0 gives [0]) and fed
   * to init_by_array. Only integers are accepted: Python hashes strings/bytes differently (version 2 seeding).
   */
  seed(seed: number | bigint): void {
    if (!isIntegerLike(seed)) {
      throw new InvalidArgumentError('seed', `expected an integer (number within ±2^53 or bigint), got ${describe(seed)}`);
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i mod 2^32, without losing bits to float rounding.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
    this.mti = N;
  }

  /** The next raw 32-bit output of MT19937 (genrand_uint32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.random()`: a float in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /** `random.getrandbits(k)` for any k ≥ 0, as a bigint (32-bit words, first drawn = least significant). */
  getrandbits(k: number): bigint {
    if (!Number.isSafeInteger(k) || k < 0) {
      throw new InvalidArgumentError('k', `expected a non-negative integer number of bits, got ${describe(k)}`);
    }
    if (k <= 53) return BigInt(this.getrandbitsNumber(k));
    let result = 0n;
    let shift = 0n;
    for (let remaining = k; remaining > 0; remaining -= 32) {
      let word = this.nextUint32();
      if (remaining < 32) word >>>= 32 - remaining;
      result |= BigInt(word) << shift;
      shift += 32n;
    }
    return result;
  }

  /** getrandbits(k) for k ≤ 53, as an exact number (same draws as the bigint path). */
  private getrandbitsNumber(k: number): number {
    if (k === 0) return 0;
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    const low = this.nextUint32();
    const high = this.nextUint32() >>> (64 - k);
    return high * 4294967296 + low;
  }

  /** `Random._randbelow(n)` (getrandbits flavour): uniform in [0, n), by rejection on n.bit_length() bits. */
  randbelow(n: number): number;
  randbelow(n: bigint): bigint;
  randbelow(n: number | bigint): number | bigint {
    if (typeof n === 'number') {
      if (!Number.isSafeInteger(n) || n <= 0) {
        throw new InvalidArgumentError('n', `expected a positive integer (≤ 2^53 - 1, or a bigint), got ${describe(n)}`);
      }
      const k = n.toString(2).length;
      let r = this.getrandbitsNumber(k);
      while (r >= n) r = this.getrandbitsNumber(k);
      return r;
    }
    if (typeof n !== 'bigint' || n <= 0n) {
      throw new InvalidArgumentError('n', `expected a positive integer, got ${describe(n)}`);
    }
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.randint(a, b)`: uniform in [a, b] inclusive, = a + randbelow(b - a + 1). */
  randint(a: number, b: number): number;
  randint(a: bigint, b: bigint): bigint;
  randint(a: number | bigint, b: number | bigint): number | bigint {
    if (typeof a === 'number' && typeof b === 'number') {
      if (!Number.isSafeInteger(a)) throw new InvalidArgumentError('a', `expected a safe integer (or use bigint), got ${describe(a)}`);
      if (!Number.isSafeInteger(b)) throw new InvalidArgumentError('b', `expected a safe integer (or use bigint), got ${describe(b)}`);
      if (b < a) throw new InvalidArgumentError('randint', `empty range, b (${b}) < a (${a})`);
      const width = b - a + 1;
      if (Number.isSafeInteger(width)) return a + this.randbelow(width);
      return Number(BigInt(a) + this.randbelow(BigInt(b) - BigInt(a) + 1n));
    }
    if (typeof a !== 'bigint') throw new InvalidArgumentError('a', `expected a bigint like b, got ${describe(a)}`);
    if (typeof b !== 'bigint') throw new InvalidArgumentError('b', `expected a bigint like a, got ${describe(b)}`);
    if (b < a) throw new InvalidArgumentError('randint', `empty range, b (${b}) < a (${a})`);
    return a + this.randbelow(b - a + 1n);
  }
}
