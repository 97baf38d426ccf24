import { describe, expect, it } from 'vitest';
import { PythonRandom } from './python-random.js';

// Every expected value below was printed by CPython 3.11.7 (`random` module); the snippet is given with each block.

describe('PythonRandom matches CPython random', () => {
  // import random
  // for s in [0, 42, 1234567, -42, 2**64+5, 2**100-1]:
  //     random.seed(s)
  //     print(s, [random.getrandbits(64) for _ in range(2)], random.random(), random.getrandbits(100), random.getrandbits(7))
  const seedCases: [number | bigint, bigint[], number, bigint, number][] = [
    [0, [7106521602475165645n, 16422101724900707500n], 0.420571580830845, 595104494081739791237831482938n, 51],
    [42, [2053695854357871005n, 13679192365072849617n], 0.27502931836911926, 137577423665220539048064734942n, 86],
    [1234567, [7981997570414120531n, 1250530422741859716n], 0.5814831206063004, 789634694993062252169329790944n, 78],
    [-42, [2053695854357871005n, 13679192365072849617n], 0.27502931836911926, 137577423665220539048064734942n, 86],
    [2n ** 64n + 5n, [13251147426698707891n, 10465217591813594363n], 0.5149365298491138, 136202051328131829681712459687n, 40],
    [2n ** 100n - 1n, [13266921336586944611n, 8251105886732168321n], 0.7292822682900955, 33430618579682364431722207931n, 40],
  ];
  for (const [seed, bits64, rnd, bits100, bits7] of seedCases) {
    it(`seed(${seed}): getrandbits(64) ×2, random(), getrandbits(100), getrandbits(7)`, () => {
      const r = new PythonRandom(seed);
      expect([r.getrandbits(64), r.getrandbits(64)]).toEqual(bits64);
      expect(r.random()).toBe(rnd);
      expect(r.getrandbits(100)).toBe(bits100);
      expect(r.getrandbits(7)).toBe(BigInt(bits7));
    });
  }

  // for s in [0, 42, 1234567]:
  //     random.seed(s)
  //     print(s, [random.randint(0, 9) for _ in range(5)], [random.randint(0, 1000) for _ in range(5)],
  //           [random.randint(0, 2**32) for _ in range(3)], [random.randint(0, 2**40) for _ in range(3)],
  //           [random.randint(0, 10**30) for _ in range(2)], [random.randint(-5, 5) for _ in range(3)])
  const randintCases: [number, number[], number[], number[], number[], bigint[], number[]][] = [
    [
      0,
      [6, 6, 0, 4, 8],
      [497, 414, 940, 802, 849],
      [2046968324, 3900315155, 2167613558],
      [306153162355, 209404584569, 325997320459],
      [137051391329841579273486718169n, 450331602691505663798073246748n],
      [2, 3, -4],
    ],
    [
      42,
      [1, 0, 4, 3, 3],
      [142, 754, 104, 692, 758],
      [1812140441, 127978094, 939042955],
      [921463507190, 984494296032, 612416232876],
      [951252835099050638285506794891n, 530681276762416477923267193789n],
      [0, -1, -3],
    ],
    [
      1234567,
      [6, 3, 1, 9, 5],
      [232, 72, 989, 590, 626],
      [171888340, 1072903446, 2888597845],
      [763618239909, 1007962119647, 885024891293],
      [846559584602383255552372675245n, 649183574034403557103671802096n],
      [4, 3, 4],
    ],
  ];
  for (const [seed, r9, r1000, r2p32, r2p40, r1e30, rNeg] of randintCases) {
    it(`seed(${seed}): randint over ranges 10, 1001, 2^32+1, 2^40+1, 10^30+1 and [-5, 5]`, () => {
      const r = new PythonRandom(seed);
      const draw = (n: number, a: number, b: number) => Array.from({ length: n }, () => r.randint(a, b));
      expect(draw(5, 0, 9)).toEqual(r9);
      expect(draw(5, 0, 1000)).toEqual(r1000);
      expect(draw(3, 0, 2 ** 32)).toEqual(r2p32);
      expect(draw(3, 0, 2 ** 40)).toEqual(r2p40);
      expect([r.randint(0n, 10n ** 30n), r.randint(0n, 10n ** 30n)]).toEqual(r1e30);
      expect(draw(3, -5, 5)).toEqual(rNeg);
    });
  }

  it('number ranges up to ±(2^53 - 1), including widths past 2^53 (bigint inside), still match', () => {
    const max = Number.MAX_SAFE_INTEGER;
    // random.seed(7); print([random.randint(0, 2**53-1) for _ in range(3)])
    const r = new PythonRandom(7);
    expect([r.randint(0, max), r.randint(0, max), r.randint(0, max)]).toEqual([7112505144773943, 869849637299280, 1695698339729451]);
    // random.seed(7); print([random.randint(-(2**53-1), 2**53-1) for _ in range(3)])
    r.seed(7);
    expect([r.randint(-max, max), r.randint(-max, max), r.randint(-max, max)]).toEqual([8068024441943097, -1894694109967048, -8137349617441711]);
  });

  it('crosses several state regenerations (1500 draws) and the k=0/1/33/53/54 edges', () => {
    // random.seed(42); v = [random.getrandbits(32) for _ in range(1500)]; print(v[:3], sum(v), v[-1])
    const r = new PythonRandom(42);
    const v = Array.from({ length: 1500 }, () => r.nextUint32());
    expect(v.slice(0, 3)).toEqual([2746317213, 478163327, 107420369]);
    expect(v.reduce((s, x) => s + x, 0)).toBe(3212841650984);
    expect(v[1499]).toBe(1084044802);
    // random.seed(0); print(random.getrandbits(0), random.getrandbits(1), random.getrandbits(33),
    //                       random.getrandbits(53), random.getrandbits(54))
    r.seed(0);
    expect([r.getrandbits(0), r.getrandbits(1), r.getrandbits(33), r.getrandbits(53), r.getrandbits(54)]).toEqual([
      0n,
      1n,
      5949583294n,
      3788173568575106n,
      4664227283152692n,
    ]);
    // random.seed(2**32); print(random.getrandbits(32))   (a two-word key [0, 1])
    r.seed(2n ** 32n);
    expect(r.getrandbits(32)).toBe(485306839n);
    // random.seed(1); print(random.randint(5, 5), random.randint(0, 1))
    r.seed(1);
    expect([r.randint(5, 5), r.randint(0, 1)]).toEqual([5, 0]);
  });

  it('reseeding restarts the stream', () => {
    const r = new PythonRandom(1234567);
    const first = [r.randint(0, 1000), r.randint(0, 1000)];
    r.randint(0, 10 ** 9);
    r.seed(1234567);
    expect([r.randint(0, 1000), r.randint(0, 1000)]).toEqual(first);
  });

  it('rejects bad arguments, naming them', () => {
    const r = new PythonRandom();
    expect(() => r.seed(1.5)).toThrow(/seed: expected an integer.*got 1\.5/);
    expect(() => r.seed('42' as unknown as number)).toThrow(/seed: .*got "42"/);
    expect(() => r.getrandbits(-1)).toThrow(/k: expected a non-negative integer.*got -1/);
    expect(() => r.randbelow(0)).toThrow(/n: expected a positive integer.*got 0/);
    expect(() => r.randbelow(0n)).toThrow(/n: expected a positive integer.*got 0n/);
    expect(() => r.randint(3, 2)).toThrow(/empty range, b \(2\) < a \(3\)/);
    expect(() => r.randint(0.5, 2)).toThrow(/a: expected a safe integer.*got 0\.5/);
    expect(() => r.randint(0, 2 ** 53)).toThrow(/b: expected a safe integer.*got 9007199254740992/);
  });
});
