import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The files of a project that change what runs: rules and geofences, templates and layouts, config. */
const projectFile = /\.(json|liquid)$/;

/** What a file looked like at the last look: a save, an atomic rename or a `git checkout` changes it. */
type Snapshot = ReadonlyMap<string, string>;

function snapshotOf(projectDir: string, directories: readonly string[]): Snapshot {
  const files = new Map<string, string>();
  for (const directory of directories) {
    let names: string[];
    try {
      names = readdirSync(directory, { recursive: true, encoding: 'utf8' });
    } catch {
      continue; // a folder not there (yet) holds nothing
    }
    for (const name of names) {
      if (!projectFile.test(name)) continue;
      const path = join(directory, name);
      try {
        const stat = statSync(path);
        if (stat.isFile()) files.set(relative(projectDir, path), `${stat.ino}:${stat.size}:${stat.mtimeMs}`);
      } catch {
        // removed between the listing and the look: the next look tells it as removed
      }
    }
  }
  return files;
}

/** The files added, changed or removed between two looks, sorted. */
export function changedFiles(before: Snapshot, after: Snapshot): string[] {
  const changed = new Set<string>();
  for (const [file, seen] of after) if (before.get(file) !== seen) changed.add(file);
  for (const file of before.keys()) if (!after.has(file)) changed.add(file);
  return [...changed].sort();
}

/**
 * Calls `onChange` with the project files that changed, once a burst of changes settles (an editor
 * saves a file in several writes; a `git checkout` changes many), never twice at once.
 *
 * It looks rather than listens: Node's recursive `fs.watch` on Linux loses a file that an editor
 * saves by writing a copy and renaming it over the original, so a second save went unseen. A look
 * at a few dozen files' sizes and times every `pollMillis` costs nothing that matters locally.
 */
export function watchProject(
  projectDir: string,
  directories: readonly string[],
  onChange: (files: readonly string[]) => Promise<void>,
  onFailure: (files: readonly string[], error: unknown) => void,
  { pollMillis = 250, settleMillis = 300 } = {},
): { close(): void } {
  let seen = snapshotOf(projectDir, directories);
  const pending = new Set<string>();
  let quietSince = 0;
  let running = false;
  const look = async () => {
    const now = snapshotOf(projectDir, directories);
    const changed = changedFiles(seen, now);
    seen = now;
    if (changed.length > 0) {
      for (const file of changed) pending.add(file);
      quietSince = Date.now();
      return;
    }
    if (pending.size === 0 || running || Date.now() - quietSince < settleMillis) return;
    const files = [...pending].sort();
    pending.clear();
    running = true;
    try {
      await onChange(files);
    } catch (error) {
      onFailure(files, error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void look(), pollMillis);
  return {
    close() {
      clearInterval(timer);
    },
  };
}
