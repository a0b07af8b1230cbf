/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and sums where the time went: self time per function
 * and per module (npm package, Node internals, Switchboard's own files), and total (inclusive) time per function
 * of Switchboard's own code, i.e. how long each of its steps took including what it called.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  selfByFunction: Row[];
  selfByModule: Row[];
  /** Switchboard's own functions (packages/*\/dist), by time spent in them and everything they called. */
  inclusiveOwn: Row[];
}

const IDLE = '(idle)';

/** `packages/server/dist/proxy/proxy-routes.js` → `server/proxy/proxy-routes.js`; npm packages by name; Node by area. */
export function moduleOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native V8/C++)';
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return parts[0] === 'internal' ? `node:internal/${parts[1] ?? ''}`.replace(/\.js$/, '') : `node:${parts[0]}`;
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const own = /\/packages\/([^/]+)\/dist\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** `name  where:line`, where is the npm package's file, Switchboard's file or Node's internal file. */
function functionKey(frame: CallFrame): string {
  const url = frame.url;
  let where = moduleOf(frame);
  if (url.startsWith('node:')) where = url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) where = url.slice(modules + '/node_modules/'.length);
  return `${frame.functionName || '(anonymous)'}  ${where}${url ? `:${frame.lineNumber + 1}` : ''}`;
}
const isOwn = (frame: CallFrame) => /\/packages\/[^/]+\/dist\//.test(frame.url);

/**
 * `windowsUs`: only samples taken inside these intervals count (µs on the monotonic clock, as
 * `process.hrtime.bigint() / 1000n` in any process of this machine), e.g. the measured windows of a bench,
 * leaving out start-up and warm-up.
 */
export function summariseCpuProfile(file: string, top = 25, windowsUs: [number, number][] = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // The time until the next sample belongs to this sample (the last one gets the mean interval).
  const meanUs = profile.samples.length > 0 ? (profile.endTime - profile.startTime) / profile.samples.length : 0;
  const inWindow = (us: number) => windowsUs.length === 0 || windowsUs.some(([from, to]) => us >= from && us < to);
  const selfUs = new Map<number, number>();
  let recordedUs = 0;
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    at += profile.timeDeltas[index] ?? 0;
    if (!inWindow(at)) continue;
    const id = profile.samples[index]!;
    const delta = Math.max(0, profile.timeDeltas[index + 1] ?? meanUs);
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    recordedUs += delta;
  }
  const totalMs = recordedUs / 1000;

  const selfFunction = new Map<string, number>();
  const selfModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    const key = functionKey(node.callFrame);
    selfFunction.set(key, (selfFunction.get(key) ?? 0) + us);
    const module = moduleOf(node.callFrame);
    selfModule.set(module, (selfModule.get(module) ?? 0) + us);
    // Each own function on this stack, once even when recursive.
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current)!.callFrame;
      if (!isOwn(frame)) continue;
      const ownKey = functionKey(frame);
      if (seen.has(ownKey)) continue;
      seen.add(ownKey);
      inclusive.set(ownKey, (inclusive.get(ownKey) ?? 0) + us);
    }
  }

  const busyUs = Math.max(1, totalMs * 1000 - idleUs);
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((left, right) => right[1] - left[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return { totalMs, busyMs: busyUs / 1000, selfByFunction: rows(selfFunction), selfByModule: rows(selfModule), inclusiveOwn: rows(inclusive) };
}

/** `requests`: requests served while sampling, to show each row as µs per request too. */
export function formatProfileSummary(summary: ProfileSummary, requests?: number): string {
  const perRequest = (value: number) => (requests ? `${((value * 1000) / requests).toFixed(1).padStart(7)} µs/req  ` : '');
  const section = (title: string, rows: Row[]) =>
    [title, ...rows.map((row) => `  ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(7)} ms  ${perRequest(row.ms)}${row.name}`)].join('\n');
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(summary.busyMs / 1000).toFixed(1)} s busy (not idle); shares are of the busy time` +
      (requests ? `\n${requests} requests served meanwhile: ${((summary.busyMs * 1000) / requests).toFixed(0)} µs of busy main-thread time per request` : ''),
    section('self time by module:', summary.selfByModule),
    section('self time by function:', summary.selfByFunction),
    section("total time (self + callees) of Switchboard's own functions:", summary.inclusiveOwn),
  ].join('\n\n');
}

/** The summary with each list cut to its first `top` rows. */
export function topRows(summary: ProfileSummary, top: number): ProfileSummary {
  return { ...summary, selfByFunction: summary.selfByFunction.slice(0, top), selfByModule: summary.selfByModule.slice(0, top), inclusiveOwn: summary.inclusiveOwn.slice(0, top) };
}

interface Profiled {
  summary: ProfileSummary;
  /** Requests served while it was sampled. */
  requests: number;
}

/**
 * Where `subject` spends more self time per request than `baseline` (two profiles of the same load, e.g.
 * Switchboard and the bare proxy): the rows with the largest differences in µs per request, by function and by
 * module, and the busy time per request of each. Summaries should hold every row (`top` = Infinity).
 */
export function formatProfileDifference(subject: Profiled, baseline: Profiled, top: number): string {
  const perRequest = (ms: number, requests: number) => (requests > 0 ? (ms * 1000) / requests : 0);
  const section = (title: string, pick: (summary: ProfileSummary) => Row[]) => {
    const subjectUs = new Map(pick(subject.summary).map((row) => [row.name, perRequest(row.ms, subject.requests)]));
    const baselineUs = new Map(pick(baseline.summary).map((row) => [row.name, perRequest(row.ms, baseline.requests)]));
    const names = new Set([...subjectUs.keys(), ...baselineUs.keys()]);
    const rows = [...names]
      .map((name) => ({ name, subject: subjectUs.get(name) ?? 0, baseline: baselineUs.get(name) ?? 0 }))
      .sort((left, right) => right.subject - right.baseline - (left.subject - left.baseline))
      .slice(0, top);
    const cell = (us: number) => us.toFixed(1).padStart(7);
    return [title, '   c−b µs      c µs      b µs', ...rows.map((row) => `  ${cell(row.subject - row.baseline)}   ${cell(row.subject)}   ${cell(row.baseline)}   ${row.name}`)].join('\n');
  };
  const busy = (profiled: Profiled) => perRequest(profiled.summary.busyMs, profiled.requests).toFixed(0);
  return [
    `per request beyond (b): (c) ${busy(subject)} µs of busy main-thread time, (b) ${busy(baseline)} µs, both under the profiler`,
    section('self time by module, largest differences first:', (summary) => summary.selfByModule),
    section('self time by function, largest differences first:', (summary) => summary.selfByFunction),
  ].join('\n\n');
}
