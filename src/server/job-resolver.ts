import type { JobContext } from '../jobs/context.js';
import { registeredJob, type AnyJobDefinition } from '../jobs/define-job.js';
import type { IsolatedPool } from './isolation/isolated-pool.js';

/**
 * Finds the definition a server runs for a job name: among the server's own `jobs` when it was
 * given some, else in the process's registry (`defineJob`). An isolated job's definition is
 * wrapped once, so that its `run` hands the attempt to the isolated pool, which times the attempt
 * itself from when it starts in its executor (the wrapper has no `timeoutMs` of its own).
 */
export class JobResolver {
  private readonly byName: Map<string, AnyJobDefinition> | undefined;
  private readonly isolatedDefinitions = new WeakMap<AnyJobDefinition, AnyJobDefinition>();

  constructor(
    jobs: readonly AnyJobDefinition[] | undefined,
    private readonly isolated: IsolatedPool,
  ) {
    this.byName = jobs ? new Map(jobs.map((j) => [j.name, j])) : undefined;
  }

  resolve(name: string): AnyJobDefinition | undefined {
    const definition = this.byName ? this.byName.get(name) : registeredJob(name);
    if (definition?.isolation === undefined) return definition;
    let wrapped = this.isolatedDefinitions.get(definition);
    if (!wrapped) {
      const pool = this.isolated;
      wrapped = Object.freeze({ ...definition, timeoutMs: undefined, run: (args: never, ctx: JobContext) => pool.run(definition, args, ctx) });
      this.isolatedDefinitions.set(definition, wrapped);
    }
    return wrapped;
  }
}
