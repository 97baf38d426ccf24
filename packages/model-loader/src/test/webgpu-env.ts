import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's chromium (package chromium-common) puts SwiftShader's Vulkan ICD. */
const DEBIAN_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function findSwiftShaderIcd(): string | undefined {
  const fromEnv = process.env.VK_ICD_FILENAMES;
  if (fromEnv && fromEnv.split(':').some((p) => /swiftshader/i.test(p) && existsSync(p))) return fromEnv;
  if (existsSync(DEBIAN_SWIFTSHADER_ICD)) return DEBIAN_SWIFTSHADER_ICD;
  try {
    const listed = execFileSync('dpkg', ['-L', 'chromium-common'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return listed.split('\n').find((l) => l.endsWith('vk_swiftshader_icd.json') && existsSync(l));
  } catch {
    return undefined;
  }
}

/**
 * Points Dawn at SwiftShader's Vulkan driver for the webgpu tests (CI installs Debian's chromium, which ships it):
 * sets VK_ICD_FILENAMES (unless it already names a SwiftShader ICD) and a writable XDG_RUNTIME_DIR. Returns the ICD
 * path, or undefined with `reason` when there is none — the tests then skip, saying so.
 */
export function useSwiftShader(): { icd?: string; reason?: string } {
  const icd = findSwiftShaderIcd();
  if (!icd) return { reason: `no SwiftShader Vulkan ICD (install Debian's chromium: it ships ${DEBIAN_SWIFTSHADER_ICD}); webgpu tests skipped` };
  process.env.VK_ICD_FILENAMES = icd;
  if (!process.env.XDG_RUNTIME_DIR || !existsSync(process.env.XDG_RUNTIME_DIR)) {
    const dir = join(tmpdir(), `dass-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  return { icd };
}
