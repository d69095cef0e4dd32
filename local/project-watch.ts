import { existsSync, type FSWatcher, watch } from 'node:fs';
import { join, relative } from 'node:path';

/** The files of a project that change what runs: rules and geofences, templates and layouts, config. */
const projectFile = /\.(json|liquid)$/;

/**
 * Calls `onChange` with the project files that changed, once a burst of changes settles (an editor
 * saves a file in several writes; a `git checkout` changes many), never twice at once.
 */
export function watchProject(
  projectDir: string,
  directories: readonly string[],
  onChange: (files: readonly string[]) => Promise<void>,
  settleMillis = 300,
): { close(): void } {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const settle = () => {
    timer = undefined;
    const files = [...changed].sort();
    changed.clear();
    running = running.then(() => onChange(files)).catch(() => undefined);
  };
  const watchers: FSWatcher[] = directories.filter(existsSync).map((directory) =>
    watch(directory, { recursive: true }, (_event, name) => {
      if (name === null || !projectFile.test(name)) return;
      changed.add(relative(projectDir, join(directory, name)));
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(settle, settleMillis);
    }),
  );
  return {
    close() {
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
