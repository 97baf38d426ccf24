/**
 * Broken model.safetensors files inside an otherwise valid checkpoint: truncations at every boundary of the
 * format, lying header lengths, headers that are not JSON or not an object, and entries whose names, dtypes,
 * shapes or offsets are wrong. Each is refused when the model is opened, before any tensor is allocated.
 */
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { caseDir, inspectArgv, modelVariant, pplArgv, pruneArgv, type CorpusBase } from './corpus-base.js';
import type { HostileCase } from './hostile-case.js';
import { dataRange, headerText, joinSafetensors, type HeaderEntry } from './safetensors-parts.js';

const FIRST_LINEAR = 'model.layers.0.self_attn.q_proj.weight';

export async function safetensorsCases(base: CorpusBase): Promise<HostileCase[]> {
  const { parts } = base;
  const valid = joinSafetensors(headerText(parts.entries, parts.metadata), parts.data);
  const headerLength = valid.byteLength - parts.data.byteLength - 8;
  const headerEnd = 8 + headerLength;
  const [firstBegin, firstEnd] = dataRange(parts, parts.entries[0]!.name);
  const cases: HostileCase[] = [];

  /**
   * A case whose model.safetensors is `bytes`; the message must name that file and contain `problem`. The command
   * rotates through prune, inspect and eval ppl: each opens the model the same way and must refuse it the same way.
   */
  const commands = [pruneArgv, inspectArgv, pplArgv];
  const add = async (id: string, description: string, bytes: Uint8Array, problem: string[]) => {
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'model.safetensors': bytes });
    const argv = commands[cases.length % commands.length]!(base, dir, model);
    cases.push({ id, description, files, argv, expect: { exitCode: 2, messageIncludes: [join(model, 'model.safetensors'), ...problem] } });
  };
  const withEntries = (entries: HeaderEntry[], data = parts.data) => joinSafetensors(headerText(entries, parts.metadata), data);
  const mapEntry = (name: string, f: (e: HeaderEntry) => HeaderEntry) => parts.entries.map((e) => (e.name === name ? f({ ...e }) : e));

  // --- truncation at every boundary: inside the length prefix, inside the header, at its end, inside the data.
  const truncations: [string, number, string[]][] = [
    ['empty', 0, ['file has 0 bytes', '8-byte header length']],
    ['in-prefix', 5, ['file has 5 bytes', '8-byte header length']],
    ['after-prefix', 8, [`header length ${headerLength} runs past the end of the file`]],
    ['mid-header', 8 + Math.floor(headerLength / 2), [`header length ${headerLength} runs past the end of the file`]],
    ['header-minus-one', headerEnd - 1, ['runs past the end of the file']],
    ['at-data-start', headerEnd, ['run past the data section', 'truncated']],
    ['mid-first-tensor', headerEnd + firstBegin + Math.floor((firstEnd - firstBegin) / 2), ['run past the data section']],
    ['last-byte', valid.byteLength - 1, ['run past the data section']],
  ];
  for (const [name, at, problem] of truncations) {
    await add(`truncated-${name}`, `model.safetensors cut to its first ${at} bytes`, valid.slice(0, at), problem);
  }

  // --- the 8-byte header length lies
  await add(
    'header-length-2-pow-63',
    'header length 2^63 (would be an 8 EiB allocation)',
    joinSafetensors(headerText(parts.entries, parts.metadata), parts.data, 1n << 63n),
    [`header length ${1n << 63n} exceeds`, 'cap'],
  );
  await add(
    'header-length-past-end',
    'header length one byte more than the whole file',
    joinSafetensors(headerText(parts.entries, parts.metadata), parts.data, BigInt(valid.byteLength)),
    ['runs past the end of the file'],
  );

  {
    // Under the 100 MB cap a header is read (as the Python library would); these 50 MB are NULs of a sparse file.
    // (At the cap, peak RSS is about 280 MiB: within bounds, but too near this suite's 320 MiB limit to pin.)
    const id = 'header-50mb-of-nul';
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'model.safetensors': joinSafetensors(new Uint8Array(0), new Uint8Array(0), 50_000_000n) });
    await truncate(join(model, 'model.safetensors'), 8 + 50_000_000 + 16);
    const argv = commands[cases.length % commands.length]!(base, dir, model);
    cases.push({
      id,
      description: 'a (sparse) file whose 50 MB header is all NUL bytes: read within the cap, then refused',
      files,
      argv,
      expect: { exitCode: 2, messageIncludes: [join(model, 'model.safetensors'), 'header is not valid JSON'] },
    });
  }

  // --- the header is not a JSON object
  await add('header-not-json', 'header is prose, not JSON', joinSafetensors('this is not json at all!', parts.data), ['header is not valid JSON']);
  await add('header-array', 'header is a JSON array', joinSafetensors('[1, 2, 3]', parts.data), ['header must be a JSON object', 'an array']);
  await add(
    'header-deep-nesting',
    'header nests 100000 arrays (a stack-overflow attempt)',
    joinSafetensors('['.repeat(100_000) + ']'.repeat(100_000), parts.data),
    ['not valid JSON', 'nesting deeper than'],
  );

  // --- entries: names, dtypes, shapes
  const firstTwo = parts.entries.slice(0, 2);
  await add(
    'duplicate-tensor-name',
    'the same tensor name twice in the header (JSON.parse would silently keep the last)',
    withEntries([firstTwo[0]!, { ...firstTwo[1]!, name: firstTwo[0]!.name }, ...parts.entries.slice(2)]),
    [`tensor "${firstTwo[0]!.name}" twice`],
  );
  await add('unknown-dtype', 'dtype F8_E4M3 (not supported)', withEntries(mapEntry(FIRST_LINEAR, (e) => ({ ...e, dtype: 'F8_E4M3' }))), [
    FIRST_LINEAR,
    'dtype "F8_E4M3" is not supported',
  ]);
  await add('negative-shape', 'a negative dimension', withEntries(mapEntry(FIRST_LINEAR, (e) => ({ ...e, shape: [-64, -64] }))), [
    FIRST_LINEAR,
    'shape must be an array of non-negative integers',
  ]);
  await add('fractional-shape', 'a non-integer dimension', withEntries(mapEntry(FIRST_LINEAR, (e) => ({ ...e, shape: [32.5, 128] }))), [
    'shape must be an array of non-negative integers',
    '32.5',
  ]);
  await add(
    'shape-2-pow-40',
    'a [2^20, 2^20] F32 shape (4 TiB) over the real 16 KiB range: refused before any allocation',
    withEntries(mapEntry(FIRST_LINEAR, (e) => ({ ...e, shape: [1 << 20, 1 << 20] }))),
    [FIRST_LINEAR, `needs ${4 * 2 ** 40} bytes`],
  );

  // --- offsets
  const [qBegin, qEnd] = dataRange(parts, FIRST_LINEAR);
  const qBytes = qEnd - qBegin;
  await add(
    'offsets-overlap',
    'two tensors share bytes (the second starts inside the first)',
    withEntries(mapEntry(FIRST_LINEAR, (e) => ({ ...e, data_offsets: [qBegin - 4, qEnd - 4] }))),
    ['overlaps'],
  );
  await add(
    'offsets-out-of-range',
    'a tensor ending past the end of the data',
    withEntries(mapEntry(FIRST_LINEAR, (e) => ({ ...e, data_offsets: [parts.data.byteLength, parts.data.byteLength + qBytes] }))),
    [FIRST_LINEAR, 'run past the data section'],
  );
  // A gap: drop the last tensor's bytes from the header but keep them in the data (the others still tile a prefix).
  const gapData = new Uint8Array(parts.data.byteLength + 16);
  gapData.set(parts.data.subarray(0, qBegin), 0);
  gapData.set(parts.data.subarray(qBegin), qBegin + 16);
  await add(
    'offsets-gap',
    'sixteen unowned bytes between two tensors (offsets not contiguous)',
    withEntries(
      parts.entries.map((e) => {
        const [b, en] = e.data_offsets as [number, number];
        return b >= qBegin ? { ...e, data_offsets: [b + 16, en + 16] } : e;
      }),
      gapData,
    ),
    [FIRST_LINEAR, 'gap'],
  );
  const trailing = new Uint8Array(parts.data.byteLength + 8);
  trailing.set(parts.data);
  await add('trailing-bytes', 'eight bytes after the last tensor', withEntries(parts.entries, trailing), ['trailing bytes']);
  return cases;
}
