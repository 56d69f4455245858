import { type CommandOutput, type CommandRequest, readMessages, sendMessage } from "../db/control-messages.ts";
import type { DataDirHolder } from "../db/data-dir.ts";
import { describeHolder } from "../db/data-dir.ts";
import { TendError } from "../errors.ts";
import { CommandHandedOver, type CommandStreams } from "./run-program.ts";

/** Thrown where a command would open an embedded database that a running Tend holds: run it there. */
export class RunningTendFound extends CommandHandedOver {
  constructor(readonly holder: DataDirHolder) {
    super("the data folder is held by a running Tend");
  }
}

/** How long a command waits for a data folder another command (or a starting Tend) holds. */
const WAIT_FOR_HOLDER_MS = 120_000;
const POLL_MS = 250;

/**
 * Finds out who has the embedded database: nobody (then `open` takes it), a running Tend that
 * serves commands (then RunningTendFound is thrown, to send the command there), or a process
 * that does not serve them, such as another command: then it waits until one of the first two.
 */
export async function openOrHandOver<T>(dataDir: string, open: () => Promise<T>, notice: (text: string) => void): Promise<T> {
  const { connectToHolder } = await import("../db/data-dir.ts");
  const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
  let noticed = false;
  for (;;) {
    const holder = await connectToHolder(dataDir);
    if (holder?.hello?.commands) throw new RunningTendFound(holder);
    if (!holder) {
      try {
        return await open();
      } catch (error) {
        // Someone took the folder between the look and the open: look again.
        if (!(error instanceof TendError && error.code === "DATA_DIR_IN_USE")) throw error;
      }
    } else {
      holder.socket.destroy();
      if (Date.now() > deadline) throw new TendError("DATA_DIR_IN_USE", `${describeHolder(dataDir, holder.hello)}; try again when it has finished`);
      if (!noticed) notice(`tend: waiting: ${describeHolder(dataDir, holder.hello)}\n`);
      noticed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Sends the command line to the running Tend, relays its output as it comes, and returns its exit code. */
export function runOnHolder(holder: DataDirHolder, request: Omit<CommandRequest, "type">, io: CommandStreams): Promise<number> {
  const { socket } = holder;
  const pid = holder.hello?.pid;
  return new Promise((resolve) => {
    let exitCode: number | undefined;
    readMessages(socket, (message) => {
      const output = message as CommandOutput;
      if (output?.type === "stdout") io.stdout.write(output.text);
      else if (output?.type === "stderr") io.stderr.write(output.text);
      else if (output?.type === "exit") {
        exitCode = output.code;
        socket.end();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (exitCode !== undefined) return resolve(exitCode);
      io.stderr.write(`tend: the running Tend (pid ${pid ?? "unknown"}) stopped before the command finished\n`);
      resolve(1);
    });
    sendMessage(socket, { type: "run", ...request });
  });
}
