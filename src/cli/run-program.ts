import { type Command, CommanderError } from "commander";
import { TendError, describeError } from "../errors.ts";

export interface CommandStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Thrown by a command to stop it and leave the exit to whoever caught it (e.g. to run it elsewhere). */
export class CommandHandedOver extends Error {}

/**
 * Runs one `tend` command line to its exit code. Errors become one `tend: …` line on stderr;
 * stdout stays for results. The exit code is what the command set in process.exitCode, read and
 * then put back, so a command run inside a running Tend does not change that process's own.
 */
export async function runProgram(program: Command, args: string[], io: CommandStreams): Promise<number> {
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommandHandedOver) throw error;
    if (error instanceof CommanderError) {
      // Commander already printed the usage problem (or the help text, which is not an error).
      return error.exitCode;
    }
    if (error instanceof TendError) {
      io.stderr.write(`tend: ${error.message}\n`);
    } else {
      io.stderr.write(`tend: unexpected error: ${describeError(error)}\n`);
      if (process.env.LOG_LEVEL === "debug" || process.env.LOG_LEVEL === "trace") {
        io.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
      }
    }
    return 1;
  } finally {
    process.exitCode = outer;
  }
}
