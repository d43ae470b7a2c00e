import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadEntry } from '../catalog/load';
import { kebabId, TRACKS, type Track } from '../model/task';
import { writeFixtures } from '../testing/scenarios';
import { exampleTaskFiles } from './example-task';

/** Why a task cannot be scaffolded: the id, the track, or a file already there. */
export class NewTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NewTaskError';
  }
}

export interface NewTaskResult {
  /** Files written, relative to the root: the task, its README, grader, solution and its test, scenarios. */
  files: string[];
  /** Fixtures recorded from the scenarios, relative to the root. */
  fixtures: string[];
}

/**
 * Writes a new task into `tasks/<id>/` and `graders/<track>/<id>.ts` under `root` — nothing else —
 * and records its fixtures, so `skillproof grader test <id>` passes at once. Refuses to overwrite.
 */
export async function scaffoldTask(root: string, id: string, track: string): Promise<NewTaskResult> {
  const parsedId = kebabId.safeParse(id);
  if (!parsedId.success) throw new NewTaskError(`task id "${id}" ${parsedId.error.issues[0]!.message}`);
  if (!(TRACKS as readonly string[]).includes(track)) throw new NewTaskError(`track "${track}" is not one of ${TRACKS.join(', ')}`);
  const files = exampleTaskFiles(id, track as Track);
  if (existsSync(join(root, 'tasks', id))) throw new NewTaskError(`tasks/${id} already exists; choose another id or remove it first`);
  const taken = files.filter((f) => existsSync(join(root, f.path)));
  if (taken.length) throw new NewTaskError(`${taken.map((f) => f.path).join(', ')} already exists; choose another id or remove it first`);
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.content);
  }
  const fixtures = await writeFixtures(loadEntry(root, id));
  return { files: files.map((f) => f.path), fixtures: fixtures.map((f) => f.slice(root.length + 1)) };
}
