import path from "node:path";
import type { Command } from "commander";

/**
 * Makes every `<file>` argument and option of the program absolute, resolved against `cwd`: a
 * command the running Tend carries out for a CLI reads and writes the files the user named, from
 * the user's folder, and prints the same either way.
 */
export function resolveFileArguments(program: Command, cwd: string): void {
  const absolute = (value: string) => path.resolve(cwd, value);
  for (const command of program.commands) {
    for (const argument of command.registeredArguments) {
      if (!/file$/i.test(argument.name())) continue;
      const parse = argument.parseArg;
      argument.argParser((value: string, previous: unknown) => (parse ? parse(absolute(value), previous) : absolute(value)));
    }
    for (const option of command.options) {
      if (!/[<[]file[\]>]/i.test(option.flags)) continue;
      const parse = option.parseArg;
      option.argParser((value: string, previous: unknown) => (parse ? parse(absolute(value), previous) : absolute(value)));
    }
    resolveFileArguments(command, cwd);
  }
}
