import yargs from 'yargs';
import { UserInputError } from '@dass/pipeline';
import { QUEUE_PASSWORD_ENV, QUEUE_USERNAME_ENV, parseQueueUrl } from './queue-url.js';
import { reproUserError } from './repro-errors.js';

/** What a launcher starts: `workers` copies of `dass-repro worker --queue <url> …`. */
export interface LauncherOptions {
  /** The queue URL; only its redacted form (no credentials) is written. */
  queue: string;
  /** Worker count: Slurm array tasks / Kubernetes completions (default 4). */
  workers?: number;
  concurrency?: number;
  threads?: number;
  /** The folder on each node (or in each pod) that holds models/ and data/ (default /data). */
  root?: string;
  /** CPUs per worker (default 8). */
  cpus?: number;
  /** Memory per worker, Slurm style (`64G`; default 64G). */
  memory?: string;
  /** Slurm time limit (default 24:00:00). */
  time?: string;
  partition?: string;
  /** GPUs per worker (`--gres=gpu:N` / `nvidia.com/gpu`); none by default. */
  gpus?: number;
  /** Container image with dass-repro installed (Kubernetes; default dass-ts:latest). */
  image?: string;
  /** PersistentVolumeClaim mounted at `root` (Kubernetes; default dass-repro-data). */
  pvc?: string;
  /** Secret holding `username` / `password` of the queue (Kubernetes; default dass-repro-queue). */
  secret?: string;
  /** Workers exit after this many idle seconds, so the job ends once the grid is done (default 600). */
  idleExit?: number;
  name?: string;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Slurm's `64G` (binary units; a bare number is MiB) as a Kubernetes quantity: `64Gi`. */
function kubernetesMemory(slurm: string): string {
  const m = /^(\d+)([KMGT]?)$/.exec(slurm)!;
  return `${m[1]}${m[2] || 'M'}i`;
}

function settings(o: LauncherOptions) {
  const target = parseQueueUrl(o.queue, {});
  const positiveInt = (flag: string, v: number | undefined, fallback: number | undefined) => {
    if (v === undefined) return fallback;
    if (!Number.isInteger(v) || v < 1) throw new UserInputError(`--${flag}: expected an integer >= 1, got ${v}`);
    return v;
  };
  const name = o.name ?? 'dass-repro-worker';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
    throw new UserInputError(`--name: expected lower-case letters, digits and "-" (a Kubernetes name), got ${JSON.stringify(name)}`);
  const memory = o.memory ?? '64G';
  if (!/^\d+[KMGT]?$/.test(memory)) throw new UserInputError(`--memory: expected a size such as 64G, got ${JSON.stringify(memory)}`);
  const time = o.time ?? '24:00:00';
  if (!/^(\d+-)?\d+(:\d\d){0,2}$/.test(time))
    throw new UserInputError(`--time: expected a Slurm time such as 24:00:00 or 2-00:00:00, got ${JSON.stringify(time)}`);
  return {
    target,
    name,
    workers: positiveInt('workers', o.workers, 4)!,
    concurrency: positiveInt('concurrency', o.concurrency, 1)!,
    threads: positiveInt('threads', o.threads, undefined),
    cpus: positiveInt('cpus', o.cpus, 8)!,
    gpus: positiveInt('gpus', o.gpus, undefined),
    idleExit: positiveInt('idle-exit', o.idleExit, 600)!,
    root: o.root ?? '/data',
    memory,
    time,
  };
}

/**
 * An sbatch script that starts `workers` dass-repro workers as a Slurm job array (one per array task). The queue's
 * credentials are never written: the script reads DASS_QUEUE_USERNAME / DASS_QUEUE_PASSWORD from the environment
 * sbatch passes on.
 */
export function slurmScript(o: LauncherOptions): string {
  const s = settings(o);
  const threads = s.threads !== undefined ? String(s.threads) : '"${SLURM_CPUS_PER_TASK}"';
  const lines = [
    '#!/bin/bash',
    `# dass-repro workers as a Slurm job array: ${s.workers} tasks, each running cells from ${s.target.redacted}.`,
    '# Start the coordinator anywhere that reaches the queue: dass-repro --grid <grid> --out <dir> --queue <url>',
    '# Needs on every node: Node 20 with dass-repro installed (DASS_REPRO names the command if not on PATH), and the',
    `# grid's models/ and data/ under ${s.root} (the grid's relative paths resolve there).`,
    ...(s.target.hasCredentials
      ? [`# The queue needs credentials: export ${QUEUE_USERNAME_ENV} (if any) and ${QUEUE_PASSWORD_ENV} before sbatch; they are not in this file.`]
      : [`# A queue with a password: export ${QUEUE_PASSWORD_ENV} (and ${QUEUE_USERNAME_ENV}) before sbatch; never put it in the URL here.`]),
    `#SBATCH --job-name=${s.name}`,
    `#SBATCH --array=0-${s.workers - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${s.cpus}`,
    `#SBATCH --mem=${s.memory}`,
    `#SBATCH --time=${s.time}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(s.gpus ? [`#SBATCH --gres=gpu:${s.gpus}`] : []),
    '#SBATCH --export=ALL',
    `#SBATCH --output=${s.name}-%A_%a.out`,
    'set -euo pipefail',
    ...(s.target.hasCredentials ? [`: "\${${QUEUE_PASSWORD_ENV}:?export ${QUEUE_PASSWORD_ENV} before sbatch}"`] : []),
    `exec "\${DASS_REPRO:-dass-repro}" worker --queue ${shellQuote(s.target.redacted)} --concurrency ${s.concurrency} --threads ${threads} \\`,
    `  --root ${shellQuote(s.root)} --idle-exit ${s.idleExit} --name "slurm-\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"`,
    '',
  ];
  return lines.join('\n');
}

/**
 * A Kubernetes Indexed Job (batch/v1) that starts `workers` dass-repro worker pods. Credentials come from a Secret
 * (`username`, `password` keys) as environment variables, never from the manifest; the grid's data is a
 * PersistentVolumeClaim mounted at `root`.
 */
export function kubernetesJob(o: LauncherOptions): string {
  const s = settings(o);
  const image = o.image ?? 'dass-ts:latest';
  const pvc = o.pvc ?? 'dass-repro-data';
  const secret = o.secret ?? 'dass-repro-queue';
  const q = (v: string) => JSON.stringify(v);
  const args = [
    'worker',
    '--queue',
    s.target.redacted,
    '--concurrency',
    String(s.concurrency),
    '--threads',
    String(s.threads ?? s.cpus),
    '--root',
    s.root,
    '--idle-exit',
    String(s.idleExit),
    '--name',
    '$(POD_NAME)',
  ];
  const lines = [
    `# dass-repro workers as a Kubernetes Indexed Job: ${s.workers} pods, each running cells from ${s.target.redacted}.`,
    '# Start the coordinator anywhere that reaches the queue: dass-repro --grid <grid> --out <dir> --queue <url>',
    `# Needs: an image with dass-repro on PATH (${image}); the grid's models/ and data/ in the PersistentVolumeClaim`,
    `# ${pvc} (mounted at ${s.root}, where the grid's relative paths resolve).`,
    s.target.hasCredentials
      ? `# Credentials: kubectl create secret generic ${secret} --from-literal=username=… --from-literal=password=…`
      : `# A queue with a password: kubectl create secret generic ${secret} --from-literal=password=… (read if present).`,
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${s.name}`,
    'spec:',
    '  completionMode: Indexed',
    `  completions: ${s.workers}`,
    `  parallelism: ${s.workers}`,
    `  backoffLimit: ${s.workers * 2}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${s.name}`,
    '    spec:',
    '      restartPolicy: OnFailure',
    '      terminationGracePeriodSeconds: 60',
    '      containers:',
    '        - name: worker',
    `          image: ${q(image)}`,
    `          command: [${q('dass-repro')}]`,
    `          args: [${args.map(q).join(', ')}]`,
    '          env:',
    '            - name: POD_NAME',
    '              valueFrom:',
    '                fieldRef:',
    '                  fieldPath: metadata.name',
    ...[QUEUE_USERNAME_ENV, QUEUE_PASSWORD_ENV].flatMap((env) => [
      `            - name: ${env}`,
      '              valueFrom:',
      '                secretKeyRef:',
      `                  name: ${secret}`,
      `                  key: ${env === QUEUE_PASSWORD_ENV ? 'password' : 'username'}`,
      `                  optional: ${env === QUEUE_USERNAME_ENV || !s.target.hasCredentials}`,
    ]),
    '          resources:',
    '            requests:',
    `              cpu: ${q(String(s.cpus))}`,
    `              memory: ${q(kubernetesMemory(s.memory))}`,
    ...(s.gpus ? ['            limits:', `              nvidia.com/gpu: ${s.gpus}`] : []),
    '          volumeMounts:',
    '            - name: data',
    `              mountPath: ${q(s.root)}`,
    '      volumes:',
    '        - name: data',
    '          persistentVolumeClaim:',
    `            claimName: ${pvc}`,
    '',
  ];
  return lines.join('\n');
}

export const LAUNCHERS = { slurm: slurmScript, k8s: kubernetesJob } as const;

interface EmitArgs {
  emit: string;
  queue?: string;
  workers?: number;
  concurrency?: number;
  threads?: number;
  root?: string;
  cpus?: number;
  memory?: string;
  time?: string;
  partition?: string;
  gpus?: number;
  image?: string;
  pvc?: string;
  secret?: string;
  'idle-exit'?: number;
  name?: string;
}

/** `dass-repro --emit slurm|k8s --queue <url> …`: prints the launcher; resolves to the exit code. */
export async function emitMain(argv: readonly string[], io: { stdout: (t: string) => void; stderr: (t: string) => void }): Promise<number> {
  const cli = yargs([...argv])
    .scriptName('dass-repro')
    .usage(
      '$0 --emit slurm|k8s --queue redis://host:port[/db] [options] > launcher\n\nPrints a launcher that starts dass-repro workers against the queue (credentials are never written).',
    )
    .option('emit', {
      type: 'string',
      choices: Object.keys(LAUNCHERS),
      demandOption: true,
      describe: 'slurm: an sbatch array script; k8s: an Indexed Job manifest',
    })
    .option('queue', { type: 'string', describe: 'the queue URL the workers connect to' })
    .option('workers', { type: 'number', describe: 'worker count (4)' })
    .option('concurrency', { type: 'number', describe: 'cells per worker at once (1)' })
    .option('threads', { type: 'number', describe: "threads per cell (slurm: the task's CPUs; k8s: --cpus)" })
    .option('root', { type: 'string', describe: 'folder holding models/ and data/ on each node or pod (/data)' })
    .option('cpus', { type: 'number', describe: 'CPUs per worker (8)' })
    .option('memory', { type: 'string', describe: 'memory per worker (64G)' })
    .option('gpus', { type: 'number', describe: 'GPUs per worker (none)' })
    .option('time', { type: 'string', describe: 'slurm: time limit (24:00:00)' })
    .option('partition', { type: 'string', describe: 'slurm: partition' })
    .option('image', { type: 'string', describe: 'k8s: image with dass-repro (dass-ts:latest)' })
    .option('pvc', { type: 'string', describe: 'k8s: PersistentVolumeClaim with the data (dass-repro-data)' })
    .option('secret', { type: 'string', describe: 'k8s: Secret with the queue username/password (dass-repro-queue)' })
    .option('idle-exit', { type: 'number', describe: 'workers exit after this many idle seconds (600)' })
    .option('name', { type: 'string', describe: 'job name (dass-repro-worker)' })
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UserInputError(msg);
    });
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${await cli.getHelp()}\n`);
    return 0;
  }
  try {
    let args: EmitArgs;
    try {
      args = cli.parseSync() as unknown as EmitArgs;
    } catch (err) {
      throw new UserInputError(`${(err as Error).message.replace(/\s*\n\s*/g, ' ')} (see dass-repro --emit slurm --help)`);
    }
    if (!args.queue) throw new UserInputError('--queue: required with --emit (the URL the workers connect to)');
    const options: LauncherOptions = { ...args, queue: args.queue, idleExit: args['idle-exit'] };
    const text = LAUNCHERS[args.emit as keyof typeof LAUNCHERS](options);
    io.stdout(text);
    if (parseQueueUrl(args.queue, {}).hasCredentials) {
      io.stderr(`note: the queue URL's credentials were left out; the workers read ${QUEUE_USERNAME_ENV} / ${QUEUE_PASSWORD_ENV}\n`);
    }
    return 0;
  } catch (err) {
    const user = reproUserError(err);
    if (user === undefined) throw err;
    io.stderr(`dass-repro: ${user.text}\n`);
    return user.exitCode;
  }
}
