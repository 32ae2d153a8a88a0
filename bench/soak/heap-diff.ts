// Compares two V8 heap snapshots (as the soak writes with SOAK_HEAPSNAPSHOT_DIR) by node type and
// constructor name: which kinds of object grew, by count and by self size.
//
//   npx tsx bench/soak/heap-diff.ts /tmp/soak/soak-start.heapsnapshot /tmp/soak/soak-end.heapsnapshot [rows]
//   npx tsx bench/soak/heap-diff.ts --retainers /tmp/soak/soak-end.heapsnapshot MemoryValueIterator [samples] [skip]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Count and self size of every (type, name) group of a snapshot. */
export function summarize(path: string): Map<string, { count: number; size: number }> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = raw.snapshot.meta.node_types[0];
  const groups = new Map<string, { count: number; size: number }>();
  for (let offset = 0; offset < raw.nodes.length; offset += width) {
    const type = types[raw.nodes[offset + typeAt]!] ?? 'unknown';
    // Strings and numbers are grouped by type only: their "name" is their value.
    const name = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'code' ? raw.strings[raw.nodes[offset + nameAt]!] : '';
    const key = `${type} ${(name ?? '').slice(0, 80)}`;
    const group = groups.get(key) ?? { count: 0, size: 0 };
    group.count += 1;
    group.size += raw.nodes[offset + sizeAt]!;
    groups.set(key, group);
  }
  return groups;
}

/** Groups ordered by self-size growth from `before` to `after`. */
export function diff(before: Map<string, { count: number; size: number }>, after: Map<string, { count: number; size: number }>) {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .map((key) => {
      const a = before.get(key) ?? { count: 0, size: 0 };
      const b = after.get(key) ?? { count: 0, size: 0 };
      return { key, count: b.count - a.count, size: b.size - a.size, countAfter: b.count };
    })
    .sort((x, y) => y.size - x.size);
}

/**
 * Shortest retaining paths (from the GC roots) of up to `samples` objects named `name` in a snapshot:
 * what keeps them alive. Weak edges are not followed.
 */
export function retainers(path: string, name: string, samples = 3, skip = 0): string[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const typeAt = meta.node_fields.indexOf('type');
  const nameAt = meta.node_fields.indexOf('name');
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const edgeTypeAt = meta.edge_fields.indexOf('type');
  const edgeNameAt = meta.edge_fields.indexOf('name_or_index');
  const edgeToAt = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const count = raw.nodes.length / width;
  // Parent pointers by breadth-first search from node 0 (the synthetic root): shortest paths.
  const parent = new Int32Array(count).fill(-1);
  const parentEdge = new Int32Array(count).fill(-1);
  const firstEdge = new Int32Array(count + 1);
  for (let node = 0, edge = 0; node < count; node += 1) {
    firstEdge[node] = edge;
    edge += raw.nodes[node * width + edgeCountAt]! * edgeWidth;
  }
  firstEdge[count] = raw.edges.length;
  const queue = new Int32Array(count);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  parent[0] = 0;
  while (head < tail) {
    const node = queue[head++]!;
    for (let edge = firstEdge[node]!; edge < firstEdge[node + 1]!; edge += edgeWidth) {
      const type = edgeTypes[raw.edges[edge + edgeTypeAt]!];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = raw.edges[edge + edgeToAt]! / width;
      if (parent[to] !== -1) continue;
      parent[to] = node;
      parentEdge[to] = edge;
      queue[tail++] = to;
    }
  }
  const label = (node: number) => `${nodeTypes[raw.nodes[node * width + typeAt]!]} ${String(raw.strings[raw.nodes[node * width + nameAt]!]).slice(0, 60)}`;
  const edgeLabel = (edge: number) => {
    const type = edgeTypes[raw.edges[edge + edgeTypeAt]!];
    const nameOrIndex = raw.edges[edge + edgeNameAt]!;
    return type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : `.${raw.strings[nameOrIndex]}`;
  };
  const out: string[] = [];
  let seen = 0;
  for (let node = 0; node < count && out.length < samples; node += 1) {
    if (raw.strings[raw.nodes[node * width + nameAt]!] !== name || parent[node] === -1) continue;
    seen += 1;
    if (seen <= skip) continue;
    const steps: string[] = [];
    for (let at = node; at !== 0 && steps.length < 40; at = parent[at]!) steps.push(`${edgeLabel(parentEdge[at]!)} -> ${label(at)}`);
    out.push(steps.reverse().join('\n    '));
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--retainers') {
  const [, path, name, samplesText, skipText] = process.argv.slice(2);
  if (!path || !name) throw new Error('usage: heap-diff.ts --retainers <file.heapsnapshot> <constructor name> [samples] [skip]');
  for (const found of retainers(path, name, Number(samplesText ?? 3), Number(skipText ?? 0))) console.log(`root\n    ${found}\n`);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [startPath, endPath, rowsText] = process.argv.slice(2);
  if (!startPath || !endPath) throw new Error('usage: heap-diff.ts <start.heapsnapshot> <end.heapsnapshot> [rows]');
  const rows = diff(summarize(startPath), summarize(endPath));
  const total = rows.reduce((sum, row) => sum + row.size, 0);
  console.log(`self size growth ${(total / 1_048_576).toFixed(2)} MB`);
  console.log(`${'Δ bytes'.padStart(12)} ${'Δ count'.padStart(9)} ${'count'.padStart(9)}  group`);
  for (const row of rows.slice(0, Number(rowsText ?? 40))) {
    console.log(`${String(row.size).padStart(12)} ${String(row.count).padStart(9)} ${String(row.countAfter).padStart(9)}  ${row.key}`);
  }
}
