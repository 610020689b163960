// The native uploader `s3lift` (crates/cli) against `aws s3 cp` (awscli from PyPI, straight to
// the store with the bucket's own keys, default settings) and boto3's `upload_file`, on the same
// Garage node in one run (issue 15). Called by run.mjs; returns a BENCHMARKS.md section.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, writeSync, closeSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TOKEN, seededBytes } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const CACHE = process.env.S3LIFT_CACHE ?? join(homedir(), '.cache', 's3lift');
const VENV = join(CACHE, 'awscli-venv', 'bin');
const CLI = join(ROOT, 'target', 'release', 's3lift');

/** Writes `size` bytes of seeded data to `path` a MiB at a time (never a whole file in memory). */
function writeFile(path, size, seed) {
  const fd = openSync(path, 'w');
  const chunk = seededBytes(MIB, seed);
  for (let done = 0; done < size; done += MIB) writeSync(fd, chunk, 0, Math.min(MIB, size - done));
  closeSync(fd);
}

/** Runs a command; wall time in ms and the peak RSS of its process tree's largest process, in MiB. */
function timed(cmd, args, env) {
  // getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest resident set of any waited-for child, in KiB.
  const wrapper = 'import resource,subprocess,sys,time\nt=time.monotonic()\nr=subprocess.run(sys.argv[1:])\nprint(int((time.monotonic()-t)*1000), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)';
  const out = spawnSync('python3', ['-c', wrapper, cmd, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * MIB });
  const last = out.stdout.trim().split('\n').at(-1).split(' ').map(Number);
  const [ms, rssKiB, code] = last;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}`);
  return { ms, rssMiB: rssKiB / 1024 };
}

export function cliAvailable() {
  return existsSync(CLI) && existsSync(join(VENV, 'aws'));
}

export async function benchCli(stack, log = console.log) {
  const dir = mkdtempSync(join(tmpdir(), 's3lift-cli-bench-'));
  const awsConfig = join(dir, 'aws-config');
  writeFileSync(awsConfig, '[default]\ns3 =\n  addressing_style = path\n');
  const storeEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: stack.accessKey,
    AWS_SECRET_ACCESS_KEY: stack.secretKey,
    AWS_DEFAULT_REGION: stack.region,
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
  };
  const cliEnv = { ...process.env, S3LIFT_TOKEN: TOKEN };
  const signer = `${stack.signer}/s3`;
  const s3url = (k) => `s3://${stack.bucket}/bench-cli/${k}`;
  const boto = (files, prefix) => [
    '-c',
    'import boto3,sys\nfrom botocore.config import Config\n'
    + `c=boto3.client("s3",endpoint_url=${JSON.stringify(stack.s3)},config=Config(s3={"addressing_style":"path"}))\n`
    + `for f in sys.argv[1:]:\n  c.upload_file(f,${JSON.stringify(stack.bucket)},${JSON.stringify(prefix)}+f.rsplit("/",1)[-1])`,
    ...files,
  ];
  const rows = {};
  try {
    // One 1 GiB file.
    const big = join(dir, 'big.bin');
    writeFile(big, 1024 * MIB, 3);
    const mibs = (r) => 1024 / (r.ms / 1000);
    const one = {
      s3lift: timed(CLI, ['upload', big, '--signer', signer, '--json', '--state', join(dir, 'state-1.json')], cliEnv),
      'aws s3 cp': timed(join(VENV, 'aws'), ['s3', 'cp', big, s3url('big.bin'), '--endpoint-url', stack.s3, '--only-show-errors'], storeEnv),
      'boto3 upload_file': timed(join(VENV, 'python'), boto([big], 'bench-cli/boto-'), storeEnv),
    };
    rows.big = Object.fromEntries(Object.entries(one).map(([k, r]) => [k, { value: mibs(r), rss: r.rssMiB }]));
    for (const [k, v] of Object.entries(rows.big)) log(`cli 1 GiB ${k}: ${v.value.toFixed(1)} MiB/s, peak RSS ${v.rss.toFixed(0)} MiB`);
    rmSync(big);

    // 1,000 files of 64 KiB in one folder.
    const small = join(dir, 'small');
    mkdirSync(small);
    const body = seededBytes(64 * 1024, 9);
    const names = [];
    for (let i = 0; i < 1000; i++) {
      const p = join(small, `f${String(i).padStart(4, '0')}.bin`);
      writeFileSync(p, body);
      names.push(p);
    }
    const fps = (r) => 1000 / (r.ms / 1000);
    const many = {
      s3lift: timed(CLI, ['upload', small, '--signer', signer, '--json', '--state', join(dir, 'state-2.json')], cliEnv),
      'aws s3 cp': timed(join(VENV, 'aws'), ['s3', 'cp', small, s3url('small/'), '--recursive', '--endpoint-url', stack.s3, '--only-show-errors'], storeEnv),
      'boto3 upload_file': timed(join(VENV, 'python'), boto(names, 'bench-cli/boto-small/'), storeEnv),
    };
    rows.small = Object.fromEntries(Object.entries(many).map(([k, r]) => [k, { value: fps(r), rss: r.rssMiB }]));
    for (const [k, v] of Object.entries(rows.small)) log(`cli 1000 x 64 KiB ${k}: ${v.value.toFixed(1)} files/s`);

    // Peak RSS for a 4 GiB file: memory must stay flat in file size.
    const huge = join(dir, 'huge.bin');
    writeFile(huge, 4096 * MIB, 5);
    rows.huge = { s3lift: timed(CLI, ['upload', huge, '--signer', signer, '--json', '--state', join(dir, 'state-3.json')], cliEnv) };
    log(`cli 4 GiB s3lift: ${(4096 / (rows.huge.s3lift.ms / 1000)).toFixed(1)} MiB/s, peak RSS ${rows.huge.s3lift.rssMiB.toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const version = execFileSync(join(VENV, 'pip'), ['list', '--format=freeze'], { encoding: 'utf8' })
    .split('\n').filter((l) => /^(awscli|boto3)==/.test(l)).join(', ');
  let md = `\n## The command-line uploader (\`s3lift\`, crates/cli) against aws-cli and boto3\n\nSame Garage node and bucket, one run; \`s3lift\` through the signer (token from \`S3LIFT_TOKEN\`), aws-cli and boto3 straight to the store with the bucket's keys, default settings (${version}). Peak RSS: the largest process's resident set (getrusage).\n\n| workload | s3lift | aws s3 cp | boto3 upload_file | s3lift / aws-cli |\n|---|---|---|---|---|\n`;
  const r = (w, k) => rows[w][k].value;
  md += `| one 1 GiB file (MiB/s) | ${r('big', 's3lift').toFixed(1)} | ${r('big', 'aws s3 cp').toFixed(1)} | ${r('big', 'boto3 upload_file').toFixed(1)} | **${(r('big', 's3lift') / r('big', 'aws s3 cp')).toFixed(2)}×** |\n`;
  md += `| 1,000 files of 64 KiB (files/s) | ${r('small', 's3lift').toFixed(1)} | ${r('small', 'aws s3 cp').toFixed(1)} | ${r('small', 'boto3 upload_file').toFixed(1)} | **${(r('small', 's3lift') / r('small', 'aws s3 cp')).toFixed(2)}×** |\n`;
  md += `| peak RSS, 1 GiB file (MiB) | ${rows.big.s3lift.rss.toFixed(0)} | ${rows.big['aws s3 cp'].rss.toFixed(0)} | ${rows.big['boto3 upload_file'].rss.toFixed(0)} | |\n`;
  md += `| peak RSS, 4 GiB file (MiB) | ${rows.huge.s3lift.rssMiB.toFixed(0)} | | | |\n`;
  const targets = [
    ['CLI: one 1 GiB file ≥ 1.0× aws-cli (issue 15)', `${(r('big', 's3lift') / r('big', 'aws s3 cp')).toFixed(2)}×`, r('big', 's3lift') >= r('big', 'aws s3 cp') ? 'met' : 'missed'],
    ['CLI: 1,000 × 64 KiB ≥ 2× aws-cli files/s (issue 15)', `${(r('small', 's3lift') / r('small', 'aws s3 cp')).toFixed(2)}×`, r('small', 's3lift') >= 2 * r('small', 'aws s3 cp') ? 'met' : 'missed'],
    ['CLI: memory flat in file size', `${rows.big.s3lift.rss.toFixed(0)} MiB at 1 GiB, ${rows.huge.s3lift.rssMiB.toFixed(0)} MiB at 4 GiB`, rows.huge.s3lift.rssMiB - rows.big.s3lift.rss < 32 ? 'met' : 'missed'],
  ];
  return { md, targets };
}
