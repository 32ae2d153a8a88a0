/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and lists where the time went: functions by
 * self time, and self time summed per package or kit module.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileEntry {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly functions: readonly ProfileEntry[];
  readonly groups: readonly ProfileEntry[];
}

/** `node_modules/<package>` (scoped too), `runtime/src/<module>`, `bench/...`, or `node:internal`. */
function groupOf(url: string): string {
  if (url === '') return '(native / V8)';
  const compiled = /enterprise-mcp-bench\/(?:runtime-\d+|[^/]+\/dist)\/([^/]+)/.exec(url);
  if (compiled) return `kit ${compiled[1]}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url.replace(/^node:internal\/deps\/([^/]+).*$/, 'node:$1').replace(/^(node:internal\/[^/]+).*$/, '$1');
  const src = url.indexOf('runtime/src/');
  if (src >= 0) return `kit ${url.slice(src + 'runtime/src/'.length).split('/')[0]}`;
  const bench = url.indexOf('bench/');
  if (bench >= 0) return 'bench';
  return url;
}

function shortWhere(url: string, line: number, column: number): string {
  const compiled = /enterprise-mcp-bench\/(?:runtime-\d+|[^/]+\/dist)\/(.+)$/.exec(url);
  const modules = url.lastIndexOf('node_modules/');
  const path = compiled
    ? `runtime/dist/${compiled[1]}`
    : modules >= 0
      ? url.slice(modules + 'node_modules/'.length)
      : url.replace(/^file:\/\/.*?\/(runtime|bench)\//, '$1/');
  return url === '' ? '' : `${path}:${line + 1}:${column + 1}`;
}

/** Summarises a profile file; `top` entries of each list. */
export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const groups = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') {
      if (frame.functionName === '(idle)') idleUs += us;
    }
    const name = frame.functionName || '(anonymous)';
    const where = shortWhere(frame.url, frame.lineNumber, frame.columnNumber);
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const group = frame.functionName.startsWith('(') && frame.url === '' ? frame.functionName : groupOf(frame.url);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...functions.values()]
      .filter((entry) => entry.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((entry) => ({ name: entry.name, where: entry.where, selfMs: entry.us / 1000, share: share(entry.us) })),
    groups: [...groups.entries()]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, where: '', selfMs: us / 1000, share: share(us) })),
  };
}

/** Prints a summary: shares are of the busy (non-idle) time. */
export function printProfile(summary: ProfileSummary, title: string): void {
  console.log(`\n${title}: ${(summary.totalMs / 1000).toFixed(1)} s profiled, ${((summary.totalMs - summary.idleMs) / 1000).toFixed(1)} s busy`);
  console.log('  top functions by self time (share of busy time)');
  for (const entry of summary.functions) {
    console.log(`    ${(entry.share * 100).toFixed(1).padStart(5)} %  ${entry.selfMs.toFixed(0).padStart(6)} ms  ${entry.name}  ${entry.where}`);
  }
  console.log('  self time by package / kit module');
  for (const entry of summary.groups) {
    console.log(`    ${(entry.share * 100).toFixed(1).padStart(5)} %  ${entry.selfMs.toFixed(0).padStart(6)} ms  ${entry.name}`);
  }
}

/** Where the self time of the functions named `name` comes from: their callers, `depth` frames up. */
export function callersOf(file: string, name: string, depth = 4, top = 8): Array<{ stack: string; selfMs: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName !== name) continue;
    const frames: string[] = [];
    let current = parent.get(id);
    while (current !== undefined && frames.length < depth) {
      const frame = byId.get(current)!.callFrame;
      frames.push(`${frame.functionName || '(anonymous)'} ${shortWhere(frame.url, frame.lineNumber, frame.columnNumber)}`);
      current = parent.get(current);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  return [...stacks.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([stack, us]) => ({ stack, selfMs: us / 1000 }));
}
