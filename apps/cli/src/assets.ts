/** The bundled default model and texts (apps/cli/assets), found relative to the built file (dist/assets.js). */
import { fileURLToPath } from 'node:url';

export const assetsDir = fileURLToPath(new URL('../assets/', import.meta.url));

export const bundled = {
  model: `${assetsDir}stories260K/stories260K.bin`,
  tokenizer: `${assetsDir}stories260K/tok512.bin`,
  calibrationText: `${assetsDir}tinystories_train_head.txt`,
  evaluationText: `${assetsDir}tinystories_validation_head_60k.txt`,
} as const;
