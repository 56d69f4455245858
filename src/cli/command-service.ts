import { Writable } from "node:stream";
import type { Command } from "commander";
import type { Config } from "../config/env.ts";
import { type CommandOutput, type CommandRequest, readMessages, sendMessage } from "../db/control-messages.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../observability/logger.ts";
import { describeError } from "../errors.ts";
import { runProgram } from "./run-program.ts";
import type { CommandContext } from "./main.ts";

/**
 * The running Tend carries out the commands CLIs send it over the data folder's socket, against
 * its own open database: the embedded database allows one process, so this is how `tend db
 * status`, imports and reports work while Tend runs. One command at a time, as the CLI would.
 */
export interface CommandService {
  /** Refuses new commands and waits (up to `timeoutMs`) for those taken to finish, before the database closes. */
  drain(timeoutMs: number): Promise<void>;
}

export function serveCommands(
  db: Database,
  buildProgram: (context: CommandContext) => Command,
  loadConfig: (env: NodeJS.ProcessEnv) => Config,
  log: Logger,
): CommandService {
  let queue: Promise<unknown> = Promise.resolve();
  let draining = false;
  const service: CommandService = {
    async drain(timeoutMs) {
      draining = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([queue, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
  const lock = db.dataDirLock;
  if (!lock) return service;
  lock.acceptCommands((socket) => {
    const stop = readMessages(socket, (message) => {
      const request = message as CommandRequest;
      if (request?.type !== "run" || !Array.isArray(request.args) || typeof request.cwd !== "string") return void socket.destroy();
      stop();
      const send = (output: CommandOutput) => void sendMessage(socket, output);
      const stream = (type: "stdout" | "stderr") =>
        new Writable({
          write(chunk: Buffer | string, _encoding, done) {
            send({ type, text: String(chunk) });
            done();
          },
        });
      const io = { stdout: stream("stdout"), stderr: Object.assign(stream("stderr"), terminalOf(request)) };
      if (draining) {
        io.stderr.write("tend: Tend is shutting down; run the command again once it has stopped\n");
        send({ type: "exit", code: 1 });
        return void socket.end();
      }
      queue = queue.then(async () => {
        log.info({ command: request.args[0] }, "running a command sent by the CLI");
        let config: Config | undefined;
        const program = buildProgram({
          // The command sees the caller's configuration, as when it runs on its own; only the database is shared.
          config: () => (config ??= loadConfig(request.env ?? {})),
          openDb: async () => ({ ...db, close: async () => {} }),
          cwd: request.cwd,
          ...io,
        });
        const code = await runProgram(program, request.args, io).catch((error: unknown) => {
          io.stderr.write(`tend: unexpected error: ${describeError(error)}\n`);
          return 1;
        });
        send({ type: "exit", code });
        socket.end();
      });
    });
  });
  return service;
}

/** A caller on a terminal gets its progress bars: the bar's cursor moves travel through the socket as text. */
function terminalOf(request: CommandRequest): { isTTY?: true; columns?: number } {
  const columns = request.terminal?.columns;
  return typeof columns === "number" && Number.isInteger(columns) && columns > 0 ? { isTTY: true, columns } : {};
}
