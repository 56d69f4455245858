import type net from "node:net";
import { StringDecoder } from "node:string_decoder";

/**
 * What the process holding a data folder and its visitors say to each other over the folder's
 * socket: one JSON object per line. The holder greets every connection first.
 */
export interface ControlHello {
  type: "hello";
  pid: number;
  /** What the holder is doing, e.g. "tend start" or "tend db status". */
  activity: string;
  /** Whether it runs commands sent to it (a running `tend start` does). */
  commands: boolean;
}

/** A CLI asking the running Tend to run its command. */
export interface CommandRequest {
  type: "run";
  /** The arguments after `tend`. */
  args: string[];
  /** Relative file names are read from here. */
  cwd: string;
  /** The caller's configuration variables (from its environment and its .env). */
  env: Record<string, string>;
  /** Set when the caller's stderr is a terminal, so that progress bars are drawn there as they would be locally. */
  terminal?: { columns: number };
}

export type CommandOutput = { type: "stdout"; text: string } | { type: "stderr"; text: string } | { type: "exit"; code: number };

/** The longest line either side accepts: a request or one chunk of output, never a file's content. */
const MAX_LINE = 1024 * 1024;

export function sendMessage(socket: net.Socket, message: ControlHello | CommandRequest | CommandOutput): boolean {
  if (socket.destroyed || !socket.writable) return false;
  return socket.write(`${JSON.stringify(message)}\n`);
}

/** Calls `onMessage` for each line received; the returned function stops listening. */
export function readMessages(socket: net.Socket, onMessage: (message: unknown) => void): () => void {
  const decoder = new StringDecoder("utf8");
  let buffer = "";
  let stopped = false;
  const onData = (chunk: Buffer) => {
    buffer += decoder.write(chunk);
    let newline: number;
    while (!stopped && (newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        message = undefined;
      }
      onMessage(message);
    }
    if (buffer.length > MAX_LINE) socket.destroy(new Error("control message too long"));
  };
  socket.on("data", onData);
  return () => {
    stopped = true;
    socket.off("data", onData);
  };
}
